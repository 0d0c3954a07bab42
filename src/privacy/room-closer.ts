/**
 * Closes the rooms of erased people (RoomClosure, queued by erasure.ts): in each, Lien redacts the events
 * it posted and relayed there, redacts the room's name and topic (they may name the person), removes
 * every other member (joined or invited), takes the room out of the team's space and leaves. In a room
 * that stays (a team's triage room) it only redacts the person's events. Every step is idempotent (a
 * redaction's transaction id is derived from the event), so a closure cut short is simply done again.
 *
 * Run by the running Lien: at once after a retention run, and by a sweep for what the admin CLI queued.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { MatrixError, type MatrixClient } from '../channels/matrix/client.js';
import type { Logger } from '../logger.js';
import type { Models } from '../store/models/index.js';

export interface RoomCloserDeps {
  models: Pick<Models, 'RoomClosure'>;
  audit: AuditLog;
  /** The logged-in client; rejects while the homeserver is away (the closure then waits for the next sweep). */
  matrix: () => Promise<MatrixClient>;
  botUserId: () => string | undefined;
  logger: Logger;
}

/** State events that may carry the person's name or number. */
const NAMING_STATE = new Set(['m.room.name', 'm.room.topic', 'm.room.avatar']);

/** The homeserver answers that the event or room is not (or no longer) there for Lien. */
function gone(err: unknown): boolean {
  return err instanceof MatrixError && (err.status === 404 || err.status === 403 || err.status === 400);
}

export class RoomCloser {
  constructor(private readonly deps: RoomCloserDeps) {}

  /** Closes every queued room; returns how many were closed. Stops at the first failure the homeserver causes. */
  async closeQueued(): Promise<number> {
    const queued = await this.deps.models.RoomClosure.find({}).sort({ createdAt: 1 }).lean();
    let closed = 0;
    for (const closure of queued) {
      try {
        await this.closeOne(closure);
        closed++;
      } catch (err) {
        await this.deps.models.RoomClosure.updateOne({ _id: closure._id }, { $inc: { attempts: 1 }, $set: { lastError: (err as Error).message.slice(0, 300) } });
        this.deps.logger.warn({ roomId: closure.roomId, reason: (err as Error).message }, 'room closing failed; it is tried again at the next sweep');
        break; // the homeserver is away or refusing: the others would fail alike
      }
    }
    return closed;
  }

  private async closeOne(closure: { _id: unknown; roomId: string; eventIds: string[]; spaceId?: string | null; close: boolean }): Promise<void> {
    const client = await this.deps.matrix();
    const bot = this.deps.botUserId();
    const { roomId } = closure;
    let state;
    try {
      state = await client.roomState(roomId);
    } catch (err) {
      if (!gone(err)) throw err;
      // Lien is no longer in the room (it was removed, or the room is gone): nothing it can do there.
      this.deps.logger.warn({ roomId }, 'room to close is out of Lien’s reach; nothing to redact there');
      await this.done(closure, { redacted: 0, removed: 0, reachable: false });
      return;
    }
    let redacted = 0;
    for (const eventId of closure.eventIds) {
      try {
        // Only events of this room: the same list is given to a portal room and a triage room.
        await client.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`);
        await client.redact(roomId, eventId, `erase-${eventId}`);
        redacted++;
      } catch (err) {
        if (!gone(err)) throw err;
      }
    }
    let removed = 0;
    if (closure.close) {
      for (const e of state) {
        if (NAMING_STATE.has(e.type) && Object.keys(e.content).length > 0) {
          await client.redact(roomId, e.event_id, `erase-${e.event_id}`).catch((err: unknown) => {
            if (!gone(err)) throw err;
          });
        }
      }
      const members = state.filter((e) => e.type === 'm.room.member' && e.state_key && e.state_key !== bot && ['join', 'invite'].includes(String(e.content.membership)));
      for (const m of members) {
        try {
          await client.kick(roomId, m.state_key ?? '');
          removed++;
        } catch (err) {
          if (!gone(err)) throw err;
        }
      }
      if (closure.spaceId) {
        await client.sendStateEvent(closure.spaceId, 'm.space.child', roomId, {}).catch((err: unknown) => {
          if (!gone(err)) throw err;
        });
      }
      try {
        await client.leave(roomId);
      } catch (err) {
        if (!gone(err)) throw err;
      }
    }
    await this.done(closure, { redacted, removed, reachable: true });
  }

  private async done(closure: { _id: unknown; roomId: string; close: boolean }, figures: { redacted: number; removed: number; reachable: boolean }): Promise<void> {
    await this.deps.audit.append({
      actor: { kind: 'system' },
      action: closure.close ? 'room.closed' : 'room.cleaned',
      subject: { kind: 'room', id: closure.roomId },
      details: figures,
    });
    await this.deps.models.RoomClosure.deleteOne({ _id: closure._id });
  }
}
