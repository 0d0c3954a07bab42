import type { Models } from './models/index.js';

/** Read and write one of Lien's own settings by key. */
export class Settings {
  constructor(private readonly models: Pick<Models, 'Setting'>) {}

  async get<T>(key: string): Promise<T | undefined> {
    const doc = await this.models.Setting.findById(key).lean();
    return doc ? (doc.value as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.models.Setting.updateOne({ _id: key }, { $set: { value } }, { upsert: true });
  }
}
