/**
 * botbuilder's Storage, on Lien's own database: the dialog stacks and the per-person bot state
 * (ConversationState, UserState) live in `dialogStates`, one document per storage key, so that every
 * read is an `_id` look-up. Values are sealed (they may hold what a person answered).
 *
 * eTags are kept for botbuilder's sake but never checked: a person's turns are serialised (bot/turn-lock.ts),
 * so there is never a concurrent write to lose, and BotState writes with eTag `*` anyway.
 */
import type { Storage, StoreItems } from 'botbuilder';
import type { FieldCipher } from '../store/field-cipher.js';
import type { Models } from '../store/models/index.js';

export class MongoDialogStorage implements Storage {
  private counter = 0;

  constructor(
    private readonly models: Pick<Models, 'DialogState'>,
    private readonly cipher: FieldCipher,
  ) {}

  async read(keys: string[]): Promise<StoreItems> {
    const items: StoreItems = {};
    // One `_id` look-up per key (FerretDB answers those from its index; an `$in` may scan).
    for (const key of new Set(keys)) {
      const doc = await this.models.DialogState.findById(key).lean();
      if (!doc) continue;
      const value = JSON.parse(this.cipher.decrypt(doc.valueSealed)) as Record<string, unknown>;
      items[doc._id] = { ...value, eTag: doc.eTag };
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      const { eTag: _ignored, ...value } = (item ?? {}) as Record<string, unknown>;
      const eTag = `${Date.now().toString(36)}-${(++this.counter).toString(36)}`;
      await this.models.DialogState.updateOne({ _id: key }, { $set: { valueSealed: this.cipher.encrypt(JSON.stringify(value)), eTag } }, { upsert: true });
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) await this.models.DialogState.deleteOne({ _id: key });
  }
}
