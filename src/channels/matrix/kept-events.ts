/**
 * Room events (and invitations) the handler kept failing on. The sync loop does not hold its batch up
 * for ever on one of them, nor drop it: after its retries the item is kept here, reported (an error log,
 * `lien_matrix_events_kept_total`), and handed to the handler again after later syncs, with a pause
 * that doubles from one try to the next, until it goes through (`lien_matrix_kept_events_handled_total`).
 * The list is saved before the sync token moves past the item's batch, so a restart neither loses nor
 * forgets one. Only beyond MAX_KEPT items is the oldest one dropped, loudly (a broken handler).
 */
import { retryDelayMs, type BackoffPolicy } from '../../domain/backoff.js';
import type { Metrics } from '../../metrics.js';
import type { RoomEvent } from './types.js';

export type KeptItem = { kind: 'event'; event: RoomEvent } | { kind: 'invite'; roomId: string; inviter: string | undefined };

export interface KeptEvent {
  item: KeptItem;
  /** Tries so far, those of the batch included. */
  failures: number;
  /** Tries since it was kept. */
  laterTries: number;
  keptAt: number;
  nextTryAt: number;
}

export interface KeptEventStore {
  load(): Promise<KeptEvent[] | undefined>;
  save(events: KeptEvent[]): Promise<void>;
}

/** A list this long means the handler is broken for everything: the oldest are dropped (and counted) beyond it. */
export const MAX_KEPT = 2000;
/** From the first later try to the next: 30 s, then doubled up to an hour. */
export const DEFAULT_KEPT_BACKOFF: BackoffPolicy = { baseMs: 30_000, maxMs: 60 * 60_000 };

export const KEPT_METRICS = {
  kept: 'lien_matrix_events_kept_total',
  handled: 'lien_matrix_kept_events_handled_total',
  dropped: 'lien_matrix_kept_events_dropped_total',
} as const;

export function keptKey(item: KeptItem): string {
  return item.kind === 'event' ? item.event.eventId : `invite:${item.roomId}`;
}

/** A store that lasts as long as the process (when none is given: a restart forgets the kept items). */
export class MemoryKeptEventStore implements KeptEventStore {
  private events: KeptEvent[] | undefined;
  async load(): Promise<KeptEvent[] | undefined> {
    return this.events;
  }
  async save(events: KeptEvent[]): Promise<void> {
    this.events = events;
  }
}

export class KeptEvents {
  private kept: KeptEvent[] = [];
  private loaded = false;
  private dirty = false;

  constructor(
    private readonly store: KeptEventStore,
    private readonly metrics: Metrics,
    private readonly backoff: BackoffPolicy = DEFAULT_KEPT_BACKOFF,
    private readonly now: () => number = Date.now,
  ) {
    metrics.define(KEPT_METRICS.kept, 'Room events and invitations the handler kept failing on, kept to be tried again after later syncs');
    metrics.define(KEPT_METRICS.handled, 'Kept room events and invitations handled on a later try');
    metrics.define(KEPT_METRICS.dropped, 'Kept room events dropped because too many were kept (the handler fails on everything)');
  }

  async load(): Promise<void> {
    if (this.loaded) return;
    this.kept = (await this.store.load()) ?? [];
    this.loaded = true;
  }

  get size(): number {
    return this.kept.length;
  }

  /** Keeps an item the handler failed on `failures` times; returns the items dropped to make room (oldest first). */
  async add(item: KeptItem, failures: number): Promise<KeptEvent[]> {
    await this.load();
    const key = keptKey(item);
    if (this.kept.some((k) => keptKey(k.item) === key)) return [];
    const at = this.now();
    this.kept.push({ item, failures, laterTries: 0, keptAt: at, nextTryAt: at + retryDelayMs(1, this.backoff) });
    this.dirty = true;
    this.metrics.inc(KEPT_METRICS.kept, { kind: item.kind });
    const dropped = this.kept.splice(0, Math.max(0, this.kept.length - MAX_KEPT));
    if (dropped.length > 0) this.metrics.inc(KEPT_METRICS.dropped, {}, dropped.length);
    return dropped;
  }

  /** The kept items due for another try, oldest first. */
  async due(): Promise<KeptEvent[]> {
    await this.load();
    const now = this.now();
    return this.kept.filter((k) => k.nextTryAt <= now);
  }

  /** How long until the next kept item is due (undefined when none is kept). */
  nextDueInMs(): number | undefined {
    if (this.kept.length === 0) return undefined;
    return Math.max(0, Math.min(...this.kept.map((k) => k.nextTryAt)) - this.now());
  }

  /** The item went through: it is no longer kept. */
  handled(key: string): void {
    const before = this.kept.length;
    this.kept = this.kept.filter((k) => keptKey(k.item) !== key);
    if (this.kept.length !== before) {
      this.dirty = true;
      this.metrics.inc(KEPT_METRICS.handled);
    }
  }

  /** The item failed once more: its next try is put off (the pause doubles). Returns its tries so far. */
  failedAgain(key: string): number {
    const k = this.kept.find((x) => keptKey(x.item) === key);
    if (!k) return 0;
    k.failures += 1;
    k.laterTries += 1;
    k.nextTryAt = this.now() + retryDelayMs(k.laterTries + 1, this.backoff);
    this.dirty = true;
    return k.failures;
  }

  /** Saves the list when it changed. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    await this.store.save(this.kept);
    this.dirty = false;
  }
}
