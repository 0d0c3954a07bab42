/**
 * Room events Lien could not decrypt yet. Keys often arrive a moment after the message they open (the
 * sender's device shares them by to-device message), so a failure is not final: the event waits here
 * and is tried again after every sync. One that still fails after the grace period is reported once
 * (the room is told that Lien could not read it, and nothing is sent by SMS) and dropped. The list is
 * saved with the sync token, so a restart neither loses nor repeats a report.
 */
import type { Metrics } from '../../../metrics.js';
import type { ClientEvent } from '../client.js';
import { DecryptionFailure } from './engine.js';

export interface PendingEvent {
  roomId: string;
  event: ClientEvent;
  firstFailedAt: number;
  code: string;
}

export interface PendingEventStore {
  load(): Promise<PendingEvent[] | undefined>;
  save(events: PendingEvent[]): Promise<void>;
}

/** More than this many waiting is a sign of a broken device: the oldest are reported at once. */
const MAX_PENDING = 500;

export const UTD_METRICS = {
  failures: 'lien_matrix_decryption_failures_total',
  late: 'lien_matrix_late_decryptions_total',
  reported: 'lien_matrix_undecryptable_messages_total',
} as const;

export class Undecryptables {
  private pending: PendingEvent[] = [];
  private loaded = false;
  private dirty = false;

  constructor(
    private readonly store: PendingEventStore,
    private readonly graceMs: number,
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {
    metrics.define(UTD_METRICS.failures, 'Room events that could not be decrypted when they arrived, by reason');
    metrics.define(UTD_METRICS.late, 'Room events decrypted on a later try, once their keys arrived');
    metrics.define(UTD_METRICS.reported, 'Room events that stayed undecryptable and were reported in their room');
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    this.pending = (await this.store.load()) ?? [];
    this.loaded = true;
  }

  get size(): number {
    return this.pending.length;
  }

  async add(roomId: string, event: ClientEvent, err: unknown): Promise<void> {
    await this.ensureLoaded();
    if (this.pending.some((p) => p.event.event_id === event.event_id)) return;
    const code = err instanceof DecryptionFailure ? err.code : 'UnableToDecrypt';
    this.pending.push({ roomId, event, firstFailedAt: this.now(), code });
    this.dirty = true;
    this.metrics.inc(UTD_METRICS.failures, { reason: code });
  }

  /** Tries every waiting event again; returns those that now decrypt (removed from the list), oldest first. */
  async retry(decrypt: (roomId: string, event: ClientEvent) => Promise<ClientEvent>): Promise<Array<{ roomId: string; event: ClientEvent }>> {
    await this.ensureLoaded();
    const decrypted: Array<{ roomId: string; event: ClientEvent }> = [];
    const still: PendingEvent[] = [];
    for (const p of this.pending) {
      try {
        decrypted.push({ roomId: p.roomId, event: await decrypt(p.roomId, p.event) });
        this.metrics.inc(UTD_METRICS.late);
      } catch (err) {
        still.push(err instanceof DecryptionFailure ? { ...p, code: err.code } : p);
      }
    }
    if (decrypted.length > 0) this.dirty = true;
    this.pending = still;
    return decrypted;
  }

  /** Events past the grace period (or beyond the list's limit), to report; `reported` removes one. */
  async expired(): Promise<PendingEvent[]> {
    await this.ensureLoaded();
    const cutoff = this.now() - this.graceMs;
    const overflow = Math.max(0, this.pending.length - MAX_PENDING);
    return this.pending.filter((p, i) => i < overflow || p.firstFailedAt <= cutoff);
  }

  /** How long until the first waiting event is due to be reported (undefined when none waits). */
  nextExpiryInMs(): number | undefined {
    if (this.pending.length === 0) return undefined;
    const first = Math.min(...this.pending.map((p) => p.firstFailedAt));
    return Math.max(0, first + this.graceMs - this.now());
  }

  reported(eventId: string): void {
    const before = this.pending.length;
    this.pending = this.pending.filter((p) => p.event.event_id !== eventId);
    if (this.pending.length !== before) {
      this.dirty = true;
      this.metrics.inc(UTD_METRICS.reported);
    }
  }

  /** Saves the list when it changed. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    await this.store.save(this.pending);
    this.dirty = false;
  }
}
