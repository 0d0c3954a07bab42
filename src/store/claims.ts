/**
 * Mutual exclusion between Lien processes that holds on MongoDB and on FerretDB v1 alike.
 *
 * FerretDB v1 (SQLite) applies findAndModify and conditional updates as read-then-write without
 * isolation: two processes can both "win" the same findOneAndUpdate, and concurrent $inc lose updates.
 * What it does enforce is a unique index. So every "only one process may do this" decision in Lien is
 * an insert of a document with a unique `_id` naming the work: the insert that succeeds wins.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Models } from './models/index.js';

/**
 * This process, as claims name their holder. The random part tells a restarted process from the one
 * before it even when both had the same pid (pid 1 in a container).
 */
export const PROCESS_ID = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** How often a running process says it is alive (see Heartbeat). */
export const HEARTBEAT_EVERY_MS = 2_000;
/** A process silent for this long is dead: the claims it holds are taken over at once. */
export const HEARTBEAT_LEASE_MS = 10_000;
const ALIVE = 'alive:';

/** What is known of a claim's holder: alive, dead (silent past its lease, or stopped), or unknown (it never beat). */
export type Holder = 'alive' | 'dead' | 'unknown';

export class Claims {
  constructor(
    private readonly models: Pick<Models, 'Claim'>,
    private readonly leaseMs = HEARTBEAT_LEASE_MS,
  ) {}

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
   * Like acquire, for work that may be abandoned (the process died half-way): a claim whose holder is
   * dead (see Heartbeat), or older than staleMs, is passed over by claiming the next generation of the
   * key. Never more than one live holder.
   * Returns the claim won (to `release` when the work failed and may be tried again at once), or null.
   */
  async acquireRenewable(key: string, staleMs: number, holder = PROCESS_ID): Promise<string | null> {
    for (let generation = 1; generation <= 20; generation++) {
      const k = `${key}#${generation}`;
      if (await this.acquire(k, holder)) return k;
      if ((await this.abandoned(k, staleMs)) === false) return null;
    }
    return null;
  }

  /**
   * Whether the claim on `key` was left behind: older than staleMs (whoever holds it, as ever), or held
   * by a process now dead, however recent. Undefined when nobody holds the key.
   */
  async abandoned(key: string, staleMs: number): Promise<boolean | undefined> {
    const doc = await this.models.Claim.findById(key, { at: 1, holder: 1 }).lean();
    if (!doc) return undefined;
    if (doc.at.getTime() <= Date.now() - staleMs) return true;
    return (await this.holder(doc.holder)) === 'dead';
  }

  /** Is the process that holds claims as `holder` alive? This process always is. */
  async holder(holder: string): Promise<Holder> {
    if (holder === PROCESS_ID) return 'alive';
    const beat = await this.models.Claim.findById(`${ALIVE}${holder}`, { at: 1 }).lean();
    if (!beat) return 'unknown';
    return beat.at.getTime() > Date.now() - this.leaseMs ? 'alive' : 'dead';
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

/**
 * Says, every HEARTBEAT_EVERY_MS, that this process is alive (a document `alive:<process id>` among the
 * claims, its time renewed), so that another process can tell a claim held by a live process from one a
 * dead process left behind: silent for HEARTBEAT_LEASE_MS, or stopped, its claims are taken over at
 * once instead of after they grow stale. A stop says so (the time set to the epoch).
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();

  constructor(
    private readonly models: Pick<Models, 'Claim'>,
    private readonly everyMs = HEARTBEAT_EVERY_MS,
  ) {}

  /** Beats once (so that the first claim is already covered), then on a timer that does not keep the process up. */
  async start(): Promise<void> {
    await this.beat(new Date());
    this.timer = setInterval(() => {
      this.beating = this.beat(new Date()).catch(() => undefined); // the database is away: the next beat tries again
    }, this.everyMs);
    this.timer.unref();
  }

  /** Stops beating and marks this process stopped: whatever it still holds is free at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.beat(new Date(0));
  }

  private async beat(at: Date): Promise<void> {
    await this.models.Claim.updateOne({ _id: `${ALIVE}${PROCESS_ID}` }, { $set: { holder: PROCESS_ID, at } }, { upsert: true });
  }
}
