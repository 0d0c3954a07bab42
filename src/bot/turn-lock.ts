/**
 * One turn at a time per person, across every Lien process: two SMS from the same person arriving
 * together are read one after the other, each against the state the other left (botbuilder's state is
 * last-write-wins, so two turns at once would lose one's answer).
 *
 * Within a process, turns for one person queue in the order they were asked for. Across processes, the
 * turn holds a claim (store/claims.ts, a unique insert: the only race-safe primitive FerretDB v1 has)
 * named after the person; another process waits, polling with a growing pause, until it is released.
 * A claim older than `staleMs` is one a crashed process left behind: the next generation of the key
 * passes it over.
 */
import type { Claims } from '../store/claims.js';

export class TurnBusyError extends Error {
  constructor(readonly key: string, waitedMs: number) {
    super(`another turn held ${key} for more than ${waitedMs} ms`);
    this.name = 'TurnBusyError';
  }
}

export interface TurnLockOptions {
  /** A claim older than this is abandoned (its process died mid-turn). */
  staleMs?: number;
  /** How long to wait for another process's turn before giving up (the turn is tried again later). */
  waitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TurnLock {
  private readonly local = new Map<string, Promise<unknown>>();
  private readonly staleMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly claims: Claims,
    opts: TurnLockOptions = {},
  ) {
    this.staleMs = opts.staleMs ?? 60_000;
    this.waitMs = opts.waitMs ?? 30_000;
  }

  /** Runs `work` holding the person's turn; resolves or rejects with what `work` does. */
  run<T>(personId: string, work: () => Promise<T>): Promise<T> {
    const key = `turn:${personId}`;
    const previous = this.local.get(key) ?? Promise.resolve();
    const next = previous.then(
      () => this.withClaim(key, work),
      () => this.withClaim(key, work),
    );
    const settled = next.catch(() => undefined);
    this.local.set(key, settled);
    void settled.then(() => {
      if (this.local.get(key) === settled) this.local.delete(key);
    });
    return next;
  }

  private async withClaim<T>(key: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let pause = 20;
    for (;;) {
      const claim = await this.claims.acquireRenewable(key, this.staleMs);
      if (claim) {
        try {
          return await work();
        } finally {
          await this.claims.release(claim);
        }
      }
      if (Date.now() - started > this.waitMs) throw new TurnBusyError(key, this.waitMs);
      await sleep(pause + Math.floor(Math.random() * pause));
      pause = Math.min(pause * 2, 250);
    }
  }
}
