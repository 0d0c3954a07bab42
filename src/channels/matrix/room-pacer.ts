/**
 * Keeps Lien's writes to each room under a steady rate (public homeservers such as Tchap ask bots for
 * about one event per second per room): a token bucket per room, `burst` events at once, then one every
 * `1 / perSecond` seconds. A write waits for its token; nothing is dropped.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PacerOptions {
  /** Events a quiet room may take at once. */
  burst: number;
  /** Steady rate, events per second. */
  perSecond: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RoomPacer {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly opts: PacerOptions) {
    if (!(opts.burst >= 1) || !(opts.perSecond > 0)) throw new Error('room pacing needs burst ≥ 1 and a positive rate');
    this.now = opts.now ?? Date.now;
  }

  /** How long the next write to `roomId` must wait (ms), with its token taken now. */
  reserve(roomId: string): number {
    const now = this.now();
    const bucket = this.buckets.get(roomId) ?? { tokens: this.opts.burst, at: now };
    const refilled = Math.min(this.opts.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.opts.perSecond);
    const tokens = refilled - 1;
    this.buckets.set(roomId, { tokens, at: now });
    if (this.buckets.size > 10_000) this.forgetFull(now);
    return tokens >= 0 ? 0 : Math.ceil((-tokens / this.opts.perSecond) * 1000);
  }

  /** Waits for the room's next token. */
  async take(roomId: string, signal?: AbortSignal): Promise<void> {
    const wait = this.reserve(roomId);
    if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined);
  }

  /** Drops buckets that have refilled completely (they hold nothing a new bucket would not). */
  private forgetFull(now: number): void {
    for (const [room, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.opts.perSecond >= this.opts.burst) this.buckets.delete(room);
    }
  }
}
