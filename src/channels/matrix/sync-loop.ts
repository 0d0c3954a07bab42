/**
 * Lien's /sync loop: long-polls the homeserver and hands every new timeline event of its rooms to the
 * handler, in order, and every invitation.
 *
 * Nothing is skipped and nothing is lost across restarts: the sync token is saved only once every
 * event of the batch it closes has been handled, so a crash replays a batch (the handler is idempotent
 * on event ids) rather than skipping one; when the homeserver cuts a room's timeline short (a "gap",
 * e.g. after Lien was stopped a while), the missing events are fetched with /messages. A handler that
 * fails has its batch retried after a pause; an event that fails 5 times is kept (kept-events.ts, saved
 * before the token moves on), reported, and handed over again after later syncs until it goes through,
 * while the loop goes on with the events after it.
 * Homeserver outages are sat out with exponential backoff (1 s → 60 s) and shown by `health()`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.js';
import { Metrics } from '../../metrics.js';
import { MatrixError, type ClientEvent, type MatrixClient, type SyncJoinedRoom, type SyncResponse } from './client.js';
import type { Undecryptables } from './crypto/undecryptable.js';
import { KeptEvents, keptKey, MemoryKeptEventStore, type KeptItem } from './kept-events.js';
import type { RoomEvent, RoomEventHandler, SyncTokenStore } from './types.js';

/** End-to-end encryption as the sync loop drives it (crypto/room-crypto.ts). */
export interface SyncCrypto {
  /** Feeds a sync's to-device events, key counts and device lists (before its room events are decrypted). */
  onSync(res: SyncResponse): Promise<void>;
  /** Sees every timeline event, in order (encryption switched on, membership changes). */
  observe(event: RoomEvent): void;
  /** Throws when the event cannot be decrypted (yet). */
  decrypt(roomId: string, raw: ClientEvent): Promise<ClientEvent>;
}

/** The event types Lien reads in room timelines. */
export const SYNC_EVENT_TYPES = ['m.room.message', 'm.room.redaction', 'm.reaction', 'm.room.member', 'm.room.encrypted', 'm.room.encryption'];

const MAX_EVENT_FAILURES = 5;
const MAX_GAP_EVENTS = 500;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

export interface SyncLoopOptions {
  client: MatrixClient;
  userId: string;
  tokens: SyncTokenStore;
  handler: RoomEventHandler;
  logger: Logger;
  /** How long each /sync may wait for news on the server. */
  timeoutMs?: number;
  /** Timeline events per room per sync; a busier room gets its gap filled with /messages. */
  timelineLimit?: number;
  /** At most this many events are fetched to fill one room's gap. */
  maxGapEvents?: number;
  /** First pause after a failure, doubled at each further one up to 60 s (tests shorten it). */
  minBackoffMs?: number;
  /** Decrypts encrypted rooms' events; without it they reach the handler as `m.room.encrypted`. */
  crypto?: SyncCrypto;
  /** Where events that cannot be decrypted yet wait (required with `crypto`). */
  undecryptables?: Undecryptables;
  /** Where events the handler kept failing on wait for another try (default: in memory, forgotten at a restart). */
  kept?: KeptEvents;
}

export interface SyncHealth {
  running: boolean;
  /** When a sync last succeeded and its batch was handled. */
  lastSyncAt?: Date;
  lastError?: string;
  lastErrorAt?: Date;
  /** Sync or handler failures since the last success. */
  consecutiveFailures: number;
  /** Events the handler kept failing on, waiting for another try. */
  keptEvents: number;
}

/** A received batch, kept until all of it has been handled. */
interface Batch {
  nextBatch: string;
  items: KeptItem[];
  /** Keys (event ids, `invite:<room>`) already handled, so that a retry resumes where it failed. */
  done: Set<string>;
}

export class SyncLoop {
  private readonly client: MatrixClient;
  private readonly userId: string;
  private readonly tokens: SyncTokenStore;
  private readonly handler: RoomEventHandler;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly timelineLimit: number;
  private readonly maxGapEvents: number;
  private readonly minBackoffMs: number;
  private readonly crypto: SyncCrypto | undefined;
  private readonly undecryptables: Undecryptables | undefined;
  private readonly kept: KeptEvents;

  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly failures = new Map<string, number>();
  private state: Omit<SyncHealth, 'running' | 'keptEvents'> = { consecutiveFailures: 0 };
  private syncedWaiters: Array<() => void> = [];
  private syncedOnce = false;

  constructor(opts: SyncLoopOptions) {
    this.client = opts.client;
    this.userId = opts.userId;
    this.tokens = opts.tokens;
    this.handler = opts.handler;
    this.logger = opts.logger.child({ component: 'matrix-sync' });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.timelineLimit = opts.timelineLimit ?? 50;
    this.maxGapEvents = opts.maxGapEvents ?? MAX_GAP_EVENTS;
    this.minBackoffMs = opts.minBackoffMs ?? BACKOFF_MIN_MS;
    this.crypto = opts.crypto;
    this.undecryptables = opts.undecryptables;
    this.kept = opts.kept ?? new KeptEvents(new MemoryKeptEventStore(), new Metrics());
    if (this.crypto && !this.undecryptables) throw new Error('a sync loop that decrypts needs a place for undecryptable events');
  }

  /** Starts the loop in the background (a homeserver outage does not make this wait). */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.syncedOnce = false;
    const signal = this.abort.signal;
    this.loop = this.run(signal)
      .catch((err: unknown) => {
        if (!signal.aborted) this.logger.error({ reason: (err as Error).message }, 'the Matrix sync loop stopped unexpectedly');
      })
      .finally(() => {
        this.loop = undefined;
      });
  }

  /** Stops: aborts the long poll; resolves once the loop has exited (after the event being handled, if any). */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
  }

  /**
   * Resolves after the first sync of this start has been handled and its token saved: from then on,
   * whatever is posted is delivered as new (the first-ever start does not deliver older history).
   */
  synced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  health(): SyncHealth {
    return { running: this.loop !== undefined, ...this.state, keptEvents: this.kept.size };
  }

  private async run(signal: AbortSignal): Promise<void> {
    let filterId: string | undefined;
    let since: string | undefined;
    let tokenLoaded = false;
    let pending: Batch | undefined;
    let backoffMs = this.minBackoffMs;
    let first = true;

    while (!signal.aborted) {
      try {
        if (!tokenLoaded) {
          since = await this.tokens.load();
          tokenLoaded = true;
        }
        filterId ??= await this.client.createFilter(this.userId, this.filter());

        if (!pending) {
          const startedAt = Date.now();
          // The first sync of a start catches up at once; the following ones wait for news.
          // An event waiting for its keys is reported on time: the long poll does not outlast its grace period.
          // So is a kept event due for another try.
          const utdDue = this.undecryptables?.nextExpiryInMs();
          const keptDue = this.kept.nextDueInMs();
          const wait = first ? 0 : Math.min(this.timeoutMs, utdDue === undefined ? Infinity : utdDue + 50, keptDue === undefined ? Infinity : keptDue + 50);
          const res = await this.client.sync({ since, filter: filterId, timeoutMs: wait, signal });
          // Keys first: the to-device messages of this very sync may hold the keys of its room events.
          if (this.crypto) await this.crypto.onSync(res);
          // Without a token, this was the initial sync: its timelines are old history, not news.
          pending = since === undefined ? this.initialBatch(res) : await this.batch(res, since, signal);
          if (!first && pending.items.length === 0 && Date.now() - startedAt < 100 && wait > 100) {
            await sleep(500, undefined, { signal }); // a server answering at once with nothing: don't spin
          }
        }

        const failed = await this.dispatch(pending, signal);
        if (signal.aborted) break;
        if (failed) {
          this.recordFailure(failed.reason);
          await sleep(failed.retryInMs, undefined, { signal });
          continue;
        }

        await this.retryUndecryptable();
        await this.retryKept(signal);
        // What was kept from this batch is saved before the token moves past it.
        await this.kept.save();
        await this.tokens.save(pending.nextBatch);
        since = pending.nextBatch;
        for (const key of pending.done) this.failures.delete(key);
        pending = undefined;
        first = false;
        backoffMs = this.minBackoffMs;
        this.state = { ...this.state, lastSyncAt: new Date(), consecutiveFailures: 0 };
        this.markSynced();
      } catch (err) {
        if (signal.aborted) break;
        const reason = (err as Error).message;
        this.recordFailure(reason);
        const fatalish = err instanceof MatrixError && err.status >= 400 && err.status < 500;
        this.logger[fatalish ? 'error' : 'warn']({ reason, retryInMs: backoffMs }, 'Matrix sync failed; retrying');
        try {
          await sleep(backoffMs, undefined, { signal });
        } catch {
          break;
        }
        backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /**
   * Hands the batch's items to the handler in order, skipping those already done. Returns undefined
   * when all are done, or why and when to retry when one failed (fewer than 5 times).
   */
  private async dispatch(batch: Batch, signal: AbortSignal): Promise<{ reason: string; retryInMs: number } | undefined> {
    for (const item of batch.items) {
      if (signal.aborted) return undefined;
      const key = keptKey(item);
      if (batch.done.has(key)) continue;
      try {
        if (item.kind === 'event') await this.handler.onRoomEvent(item.event);
        else await this.handler.onInvite?.(item.roomId, item.inviter);
        batch.done.add(key);
      } catch (err) {
        const count = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, count);
        const where = itemFields(item);
        const reason = (err as Error).message;
        if (count >= MAX_EVENT_FAILURES) {
          for (const lost of await this.kept.add(item, count)) {
            this.logger.error({ ...itemFields(lost.item), failures: lost.failures }, 'too many Matrix events kept failing: the oldest kept one is dropped');
          }
          this.logger.error({ ...where, failures: count, reason }, 'a Matrix event keeps failing; kept to be tried again after later syncs');
          batch.done.add(key);
          continue;
        }
        const retryInMs = Math.min(this.minBackoffMs * 2 ** (count - 1), BACKOFF_MAX_MS);
        this.logger.warn({ ...where, failures: count, reason, retryInMs }, 'handling a Matrix event failed; will retry');
        return { reason: `handling ${key} failed: ${reason}`, retryInMs };
      }
    }
    return undefined;
  }

  /**
   * Events that could not be decrypted before: those whose keys have arrived are handled now (late,
   * but once); those past the grace period are reported to the handler and dropped.
   */
  private async retryUndecryptable(): Promise<void> {
    const crypto = this.crypto;
    const waiting = this.undecryptables;
    if (!crypto || !waiting || waiting.size === 0) return;
    for (const late of await waiting.retry((roomId, raw) => crypto.decrypt(roomId, raw))) {
      const event = { ...toRoomEvent(late.roomId, late.event), encrypted: true };
      try {
        await this.handler.onRoomEvent(event);
      } catch (err) {
        // It has left the waiting list: kept, like an event of a batch that keeps failing, to be tried again.
        await this.kept.add({ kind: 'event', event }, 1);
        this.logger.error({ roomId: event.roomId, eventId: event.eventId, reason: (err as Error).message }, 'handling a late-decrypted Matrix event failed; kept to be tried again after later syncs');
      }
    }
    for (const p of await waiting.expired()) {
      try {
        await this.handler.onUndecryptable?.(toRoomEvent(p.roomId, p.event), p.code);
        waiting.reported(p.event.event_id);
        this.logger.warn({ roomId: p.roomId, eventId: p.event.event_id, sender: p.event.sender, code: p.code }, 'a Matrix event stayed undecryptable; reported in its room');
      } catch (err) {
        this.logger.warn({ roomId: p.roomId, eventId: p.event.event_id, reason: (err as Error).message }, 'reporting an undecryptable event failed; will retry');
      }
    }
    await this.kept.save(); // before the waiting list forgets what was kept
    await waiting.save();
  }

  /** Kept events due for another try are handed over again (late, but once); those that fail still wait. */
  private async retryKept(signal: AbortSignal): Promise<void> {
    for (const k of await this.kept.due()) {
      if (signal.aborted) return;
      const key = keptKey(k.item);
      try {
        if (k.item.kind === 'event') await this.handler.onRoomEvent(k.item.event);
        else await this.handler.onInvite?.(k.item.roomId, k.item.inviter);
        this.kept.handled(key);
        this.logger.info({ ...itemFields(k.item), failures: k.failures }, 'a kept Matrix event was handled on a later try');
      } catch (err) {
        const failures = this.kept.failedAgain(key);
        this.logger.warn({ ...itemFields(k.item), failures, reason: (err as Error).message }, 'a kept Matrix event failed again; it stays kept');
      }
    }
  }

  /** The initial sync: only the pending invitations count (they are current, not history). */
  private initialBatch(res: SyncResponse): Batch {
    return { nextBatch: res.next_batch, items: this.invites(res), done: new Set() };
  }

  private async batch(res: SyncResponse, since: string, signal: AbortSignal): Promise<Batch> {
    const items: Batch['items'] = [];
    // Rooms left (or kicked from) are read too: what was said before, and the leave itself.
    const rooms: Array<[string, SyncJoinedRoom]> = [...Object.entries(res.rooms?.join ?? {}), ...Object.entries(res.rooms?.leave ?? {})];
    for (const [roomId, room] of rooms) {
      const timeline = room.timeline?.events ?? [];
      const gap = room.timeline?.limited && room.timeline.prev_batch ? await this.fillGap(roomId, room.timeline.prev_batch, since, signal) : [];
      const seen = new Set<string>();
      for (const raw of [...gap, ...timeline]) {
        if (seen.has(raw.event_id)) continue;
        seen.add(raw.event_id);
        const event = await this.readable(roomId, raw);
        if (event) items.push({ kind: 'event', event });
      }
    }
    items.push(...this.invites(res));
    return { nextBatch: res.next_batch, items, done: new Set() };
  }

  /**
   * The event as the handler should see it: decrypted when it came encrypted. One that cannot be
   * decrypted yet waits among the undecryptables (undefined here); Lien's own events are not kept waiting.
   */
  private async readable(roomId: string, raw: ClientEvent): Promise<RoomEvent | undefined> {
    if (!this.crypto) return toRoomEvent(roomId, raw);
    if (raw.type !== 'm.room.encrypted') {
      const event = toRoomEvent(roomId, raw);
      this.crypto.observe(event);
      return event;
    }
    try {
      const event = { ...toRoomEvent(roomId, await this.crypto.decrypt(roomId, raw)), encrypted: true };
      this.crypto.observe(event);
      return event;
    } catch (err) {
      if (raw.sender === this.userId) return undefined;
      this.logger.info({ roomId, eventId: raw.event_id, sender: raw.sender, reason: (err as Error).message }, 'cannot decrypt a Matrix event yet; will retry when keys arrive');
      await this.undecryptables?.add(roomId, raw, err);
      return undefined;
    }
  }

  /** The events between the previous sync (`since`) and the first of a cut-short timeline, oldest first. */
  private async fillGap(roomId: string, prevBatch: string, since: string, signal: AbortSignal): Promise<ClientEvent[]> {
    const found: ClientEvent[] = [];
    let from = prevBatch;
    while (found.length < this.maxGapEvents) {
      const page = await this.client.roomMessages(roomId, {
        from,
        to: since,
        dir: 'b',
        limit: Math.min(100, this.maxGapEvents - found.length),
        filter: { types: SYNC_EVENT_TYPES, lazy_load_members: true },
        signal,
      });
      found.push(...page.chunk);
      if (page.chunk.length === 0 || !page.end || page.end === from) {
        this.logger.debug({ roomId, events: found.length }, 'filled a gap in a room timeline');
        return found.reverse();
      }
      from = page.end;
    }
    this.logger.warn({ roomId, events: found.length }, 'a room timeline gap is larger than can be fetched; older events in it are skipped');
    return found.reverse();
  }

  private invites(res: SyncResponse): Batch['items'] {
    const items: Batch['items'] = [];
    for (const [roomId, room] of Object.entries(res.rooms?.invite ?? {})) {
      const me = room.invite_state?.events?.find((e) => e.type === 'm.room.member' && e.state_key === this.userId);
      items.push({ kind: 'invite', roomId, inviter: me?.sender });
    }
    return items;
  }

  private filter(): Record<string, unknown> {
    const none = { not_types: ['*'] };
    return {
      presence: none,
      account_data: none,
      room: {
        timeline: { types: SYNC_EVENT_TYPES, limit: this.timelineLimit, lazy_load_members: true },
        state: { lazy_load_members: true },
        ephemeral: none,
        account_data: none,
      },
    };
  }

  private recordFailure(reason: string): void {
    this.state = { ...this.state, lastError: reason, lastErrorAt: new Date(), consecutiveFailures: this.state.consecutiveFailures + 1 };
  }

  private markSynced(): void {
    this.syncedOnce = true;
    for (const resolve of this.syncedWaiters.splice(0)) resolve();
  }
}

/** What a log line says of an item: where it is, never what it says. */
function itemFields(item: KeptItem): Record<string, unknown> {
  return item.kind === 'event' ? { roomId: item.event.roomId, eventId: item.event.eventId, eventType: item.event.type } : { roomId: item.roomId, invite: true };
}

/** A client-server API event → the channel's RoomEvent. */
export function toRoomEvent(roomId: string, raw: ClientEvent): RoomEvent {
  const content = raw.content ?? {};
  const rel = content['m.relates_to'];
  const relObj = typeof rel === 'object' && rel !== null ? (rel as Record<string, unknown>) : undefined;
  const relType = typeof relObj?.rel_type === 'string' ? relObj.rel_type : undefined;
  const relEventId = typeof relObj?.event_id === 'string' ? relObj.event_id : undefined;
  const redacts = raw.redacts ?? (typeof content.redacts === 'string' ? content.redacts : undefined);
  return {
    roomId,
    eventId: raw.event_id,
    sender: raw.sender,
    type: raw.type,
    ...(raw.state_key !== undefined ? { stateKey: raw.state_key } : {}),
    content,
    originServerTs: raw.origin_server_ts,
    ...(raw.unsigned ? { unsigned: raw.unsigned } : {}),
    ...(relType || relEventId ? { relatesTo: { relType, eventId: relEventId } } : {}),
    ...(redacts ? { redacts } : {}),
  };
}
