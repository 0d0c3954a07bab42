/**
 * The whole audit check behind `npm run admin -- audit:verify`: the keyed chain in the database, and
 * the anchors of its head read back from the audit room on the homeserver (the database alone cannot
 * vouch for itself). The anchors recorded in the database (`audit.anchored` events) are looked up on
 * the homeserver too: one the homeserver does not have is reported.
 */
import { HomeserverUnreachableError, MatrixError, type MatrixClient } from '../channels/matrix/client.js';
import type { AuditLog, AuditVerification, BrokenEvent } from '../audit/audit-log.js';
import type { Models } from '../store/models/index.js';
import type { Settings } from '../store/settings.js';
import { AUDIT_ROOM_MARKER, AUDIT_ROOM_SETTING, AuditRoomError, readAnchorEvent, readAnchors, type Anchor } from './audit-room.js';

export interface AuditReport {
  chain: AuditVerification;
  /** What the homeserver said: the anchors checked, or why they could not be. */
  anchors: { checked: number; last: Anchor | undefined } | { unavailable: string };
  /** Anchors the database records that the homeserver does not hold (or holds with another seq/hash). */
  missingAnchors: string[];
  /** 0: all verified; 1: something is broken; 2: the chain verifies but the anchors could not be checked. */
  exitCode: 0 | 1 | 2;
  text: string;
}

export interface HomeserverAccess {
  client: MatrixClient;
  botUserId: string;
}

function describe(b: BrokenEvent): string {
  const what = b.action ? `event ${b.seq} (${b.action}${b.at ? `, ${b.at.toISOString()}` : ''})` : `event ${b.seq}`;
  return `the audit chain is broken at ${what}: ${b.reason}`;
}

/** The room of Lien's that carries Lien's audit-room marker, looked for among the rooms it is in. */
async function findAuditRoom(client: MatrixClient, botUserId: string): Promise<string | undefined> {
  const { joined_rooms: rooms = [] } = await client.request<{ joined_rooms?: string[] }>('GET', '/_matrix/client/v3/joined_rooms');
  for (const roomId of rooms) {
    try {
      const state = await client.request<Array<{ type: string; state_key?: string; sender: string }>>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`);
      if (state.some((e) => e.type === AUDIT_ROOM_MARKER && e.state_key === '' && e.sender === botUserId)) return roomId;
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
    }
  }
  return undefined;
}

/** The anchors the database says were posted (they are events of the chain itself). */
async function recordedAnchors(models: Pick<Models, 'AuditEvent'>): Promise<Array<{ seq: number; hash: string; eventId: string; roomId: string }>> {
  const events = await models.AuditEvent.find({ action: 'audit.anchored' }, { details: 1 }).lean();
  return events.flatMap((e) => {
    const d = (e.details ?? {}) as Record<string, unknown>;
    return typeof d.seq === 'number' && typeof d.hash === 'string' && typeof d.eventId === 'string' && typeof d.roomId === 'string' ? [{ seq: d.seq, hash: d.hash, eventId: d.eventId, roomId: d.roomId }] : [];
  });
}

/**
 * Checks the chain against the anchors on the homeserver. `homeserver` is a logged-in client (Lien's
 * account) or the reason there is none; the chain is checked either way.
 */
export async function verifyAuditTrail(deps: { models: Pick<Models, 'AuditEvent'>; audit: AuditLog; settings: Settings; homeserver: HomeserverAccess | { unavailable: string } }): Promise<AuditReport> {
  let anchors: Anchor[] | undefined;
  let unavailable: string | undefined;
  const missingAnchors: string[] = [];
  let roomId = await deps.settings.get<string>(AUDIT_ROOM_SETTING);
  const recorded = await recordedAnchors(deps.models);
  if ('unavailable' in deps.homeserver) unavailable = deps.homeserver.unavailable;
  else {
    const { client, botUserId } = deps.homeserver;
    try {
      if (!roomId) {
        // The database lost the room (or never had it): the homeserver knows which of Lien's rooms it is.
        roomId = await findAuditRoom(client, botUserId);
        if (roomId) missingAnchors.push(`the database does not name the audit room (${roomId} on the homeserver)`);
        else if (recorded.length > 0) missingAnchors.push(`the database records ${recorded.length} anchors but the homeserver has no audit room`);
        else unavailable = 'no audit room yet (Lien creates it at its first start with a homeserver)';
      }
      if (roomId) anchors = await readAnchors(client, roomId, botUserId);
    } catch (err) {
      if (err instanceof HomeserverUnreachableError) unavailable = err.message;
      else if (err instanceof AuditRoomError) missingAnchors.push(err.message);
      else if (err instanceof MatrixError) unavailable = `the homeserver refused: ${err.message}`;
      else throw err;
    }
  }
  if (anchors && roomId && !('unavailable' in deps.homeserver)) {
    const { client, botUserId } = deps.homeserver;
    try {
      const onHomeserver = new Map(anchors.map((a) => [a.eventId, a]));
      for (const r of recorded) {
        const found = onHomeserver.get(r.eventId) ?? (r.roomId === roomId ? await readAnchorEvent(client, roomId, r.eventId, botUserId) : undefined);
        if (!found || found.seq !== r.seq || found.hash !== r.hash) missingAnchors.push(`the anchor of event ${r.seq} recorded in the database (${r.eventId}) is not in the audit room`);
      }
      if (anchors.length === 0) missingAnchors.push(`the audit room ${roomId} holds no anchor`);
    } catch (err) {
      if (err instanceof HomeserverUnreachableError || err instanceof MatrixError) unavailable = `the recorded anchors could not all be looked up: ${err.message}`;
      else throw err;
    }
  }

  const chain = await deps.audit.verify(anchors ? { anchors } : {});
  const lines: string[] = [];
  if (chain.ok) lines.push(`audit chain intact: ${chain.checked} events${chain.unkeyed > 0 ? ` (the first ${chain.unkeyed} written before the chain was keyed: plain SHA-256)` : ''}`);
  else lines.push(describe(chain.broken ?? { seq: chain.brokenAt ?? 0, reason: 'unknown' }), `${chain.checked} events before it verify`);
  const last = anchors?.at(-1);
  if (anchors) lines.push(anchors.length > 0 ? `anchors on the homeserver: ${anchors.length}, the last at event ${last?.seq} (${last?.at.toISOString()})${chain.ok ? ', all matching' : ''}` : 'anchors on the homeserver: none');
  lines.push(...missingAnchors);
  if (unavailable) lines.push(`anchors NOT checked: ${unavailable}`);
  const exitCode = !chain.ok || missingAnchors.length > 0 ? 1 : unavailable ? 2 : 0;
  return { chain, anchors: anchors ? { checked: anchors.length, last } : { unavailable: unavailable ?? missingAnchors.join('; ') }, missingAnchors, exitCode, text: lines.join('\n') };
}
