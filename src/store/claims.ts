/**
 * Mutual exclusion between Lien processes that holds on MongoDB and on FerretDB v1 alike.
 *
 * FerretDB v1 (SQLite) applies findAndModify and conditional updates as read-then-write without
 * isolation: two processes can both "win" the same findOneAndUpdate, and concurrent $inc lose updates.
 * What it does enforce is a unique index. So every "only one process may do this" decision in Lien is
 * an insert of a document with a unique `_id` naming the work: the insert that succeeds wins.
 */
import { hostname } from 'node:os';
import type { Models } from './models/index.js';

export const PROCESS_ID = `${hostname()}:${process.pid}`;

export class Claims {
  constructor(private readonly models: Pick<Models, 'Claim'>) {}

  /** True for exactly one caller per key, whichever process it runs in. */
  async acquire(key: string, holder = PROCESS_ID): Promise<boolean> {
    try {
      await this.models.Claim.create({ _id: key, holder, at: new Date() });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /**
   * Like acquire, for work that may be abandoned (the process died half-way): a claim older than staleMs
   * is passed over by claiming the next generation of the key. Never more than one fresh holder.
   * Returns the claim won (to `release` when the work failed and may be tried again at once), or null.
   */
  async acquireRenewable(key: string, staleMs: number, holder = PROCESS_ID): Promise<string | null> {
    for (let generation = 1; generation <= 20; generation++) {
      const k = `${key}#${generation}`;
      if (await this.acquire(k, holder)) return k;
      const at = await this.claimedAt(k);
      if (at && at.getTime() > Date.now() - staleMs) return null;
    }
    return null;
  }

  /** Gives up a claim this process holds, so that the work can be claimed again at once. */
  async release(claim: string): Promise<void> {
    await this.models.Claim.deleteOne({ _id: claim });
  }

  /** When the key was claimed, or undefined if it never was. */
  async claimedAt(key: string): Promise<Date | undefined> {
    const doc = await this.models.Claim.findById(key, { at: 1 }).lean();
    return doc?.at;
  }

  /** Forgets claims older than `before` (their work is long done or long abandoned). */
  async prune(before: Date): Promise<number> {
    const res = await this.models.Claim.deleteMany({ at: { $lt: before } });
    return res.deletedCount;
  }
}
