/**
 * The audit room: a room on the homeserver where Lien posts the head of its audit chain (sequence number
 * + hash + time), so that the chain can be checked against something the database does not hold.
 *
 * Only Lien and the team admins (workers with role `admin`, active) are in it: Lien invites the admins
 * and removes anyone else each time it anchors; it does not federate; nobody but Lien may write in it
 * (events_default and state_default 100, Lien alone at 100). Each anchor is a state event of Lien's
 * (`org.lien.audit.anchor`, state key = the seq): state events are not end-to-end encrypted, so the
 * anchors can be read back without Lien's crypto keys; they carry no personal data, only a seq, a hash
 * and a time. A notice in the room says the same for people reading it.
 */
import { randomUUID } from 'node:crypto';
import { MatrixError, type ClientEvent, type MatrixClient } from '../channels/matrix/client.js';
import type { ChainPoint } from '../audit/audit-log.js';
import { DeliveryError } from '../outbox/outbox.js';
import type { Settings } from '../store/settings.js';
import type { RoutingContext } from './context.js';
import { createOnce } from './create-once.js';

export const ANCHOR_EVENT = 'org.lien.audit.anchor';
/** A state event Lien puts in the audit room when it creates it: how the room is known for Lien's own. */
export const AUDIT_ROOM_MARKER = 'org.lien.audit.room';
export const AUDIT_ROOM_SETTING = 'audit.room';
const CREATION_CLAIM = 'audit-room';
const LIEN_ONLY = 100;

export interface Anchor extends ChainPoint {
  at: Date;
  eventId: string;
}

/** The audit room is not what it should be (not Lien's, or not found): the anchors in it cannot be trusted. */
export class AuditRoomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditRoomError';
  }
}

const enc = encodeURIComponent;

/** The anchor an event carries, or undefined when it is not one of Lien's well-formed anchors. */
export function anchorOf(event: ClientEvent, botUserId: string): Anchor | undefined {
  if (event.type !== ANCHOR_EVENT || event.sender !== botUserId) return undefined;
  const c = event.content as { seq?: unknown; hash?: unknown; at?: unknown };
  if (typeof c.seq !== 'number' || !Number.isInteger(c.seq) || c.seq < 0 || typeof c.hash !== 'string' || !/^[0-9a-f]{64}$/.test(c.hash)) return undefined;
  if (event.state_key !== String(c.seq)) return undefined;
  const at = typeof c.at === 'string' ? new Date(c.at) : new Date(event.origin_server_ts);
  return { seq: c.seq, hash: c.hash, at: Number.isNaN(at.getTime()) ? new Date(event.origin_server_ts) : at, eventId: event.event_id };
}

/**
 * Every anchor in the audit room, read from the homeserver, oldest seq first: the room's whole history
 * of anchor events (not only its current state, which a later state event with the same seq would
 * replace). An anchor replaced by another hash for the same seq, or redacted, is an AuditRoomError, as
 * is a room that is not Lien's audit room; HomeserverUnreachableError when the homeserver does not answer.
 */
export async function readAnchors(client: MatrixClient, roomId: string, botUserId: string): Promise<Anchor[]> {
  let state: ClientEvent[];
  const history: ClientEvent[] = [];
  try {
    state = await client.request<ClientEvent[]>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`, { timeoutMs: 30_000 });
    const filter = JSON.stringify({ types: [ANCHOR_EVENT], senders: [botUserId] });
    let from: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await client.request<{ chunk?: ClientEvent[]; end?: string }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, { query: { dir: 'b', limit: 500, filter, from } });
      history.push(...(res.chunk ?? []));
      if (!res.end || !res.chunk?.length) break;
      from = res.end;
    }
  } catch (err) {
    if (err instanceof MatrixError && (err.status === 403 || err.status === 404)) throw new AuditRoomError(`Lien cannot read the audit room ${roomId} (${err.errcode ?? err.status})`);
    throw err;
  }
  const marker = state.find((e) => e.type === AUDIT_ROOM_MARKER && e.state_key === '');
  if (!marker || marker.sender !== botUserId) throw new AuditRoomError(`${roomId} is not Lien's audit room (no ${AUDIT_ROOM_MARKER} from ${botUserId})`);
  const bySeq = new Map<number, Anchor>();
  for (const e of [...history, ...state]) {
    if (e.type !== ANCHOR_EVENT || e.sender !== botUserId) continue;
    const anchor = anchorOf(e, botUserId);
    if (!anchor) throw new AuditRoomError(`the anchor event ${e.event_id} in the audit room was redacted or is malformed`);
    const seen = bySeq.get(anchor.seq);
    if (seen && seen.hash !== anchor.hash) throw new AuditRoomError(`the anchor of event ${anchor.seq} in the audit room was replaced by another hash (${seen.eventId}, ${anchor.eventId})`);
    if (!seen || anchor.at < seen.at) bySeq.set(anchor.seq, anchor);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** One anchor event by its id, as the homeserver has it; undefined when the homeserver does not know it. */
export async function readAnchorEvent(client: MatrixClient, roomId: string, eventId: string, botUserId: string): Promise<Anchor | undefined> {
  try {
    const event = await client.request<ClientEvent>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`);
    return anchorOf(event, botUserId);
  } catch (err) {
    if (err instanceof MatrixError && err.status === 404) return undefined;
    throw err;
  }
}

export class AuditRoom {
  constructor(
    private readonly ctx: RoutingContext,
    private readonly settings: Settings,
  ) {}

  private t(key: string, vars: Record<string, string | number> = {}): string {
    return this.ctx.i18n.t(this.ctx.staffLanguage, key, vars);
  }

  private async admins(): Promise<{ userIds: string[]; clearOnly: boolean }> {
    const admins = await this.ctx.models.Worker.find({ role: 'admin', active: true }, { matrixUserId: 1, team: 1 }).lean();
    const teams = await this.ctx.models.Team.find({ _id: { $in: admins.map((a) => a.team) } }, { settings: 1 }).lean();
    // The same rule as the other rooms: end-to-end encrypted unless a team chose otherwise (its admins' clients may not decrypt).
    return { userIds: admins.map((a) => a.matrixUserId), clearOnly: teams.some((t) => t.settings?.encryptRooms === false) };
  }

  /** The audit room's id, creating the room once (whichever process gets there first). */
  async roomId(): Promise<string> {
    return createOnce(this.ctx.claims, CREATION_CLAIM, () => this.settings.get<string>(AUDIT_ROOM_SETTING), () => this.create());
  }

  private async create(): Promise<string> {
    const client = await this.ctx.matrix();
    const bot = this.ctx.botUserId();
    if (!bot) throw new DeliveryError('not logged in to the homeserver yet', { permanent: false });
    const { userIds, clearOnly } = await this.admins();
    const initialState: Array<{ type: string; state_key: string; content: Record<string, unknown> }> = [
      { type: AUDIT_ROOM_MARKER, state_key: '', content: { purpose: 'audit anchors' } },
      { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
      { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
    ];
    if (!clearOnly) initialState.push({ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } });
    const roomId = await client.createRoom({
      name: this.t('audit.roomName'),
      topic: this.t('audit.roomTopic'),
      preset: 'private_chat',
      visibility: 'private',
      is_direct: false,
      invite: userIds.filter((u) => u !== bot),
      creation_content: { 'm.federate': false },
      initial_state: initialState,
      // No `users`: the homeserver gives the creator (Lien) its full power, whatever the room version.
      power_level_content_override: { users_default: 0, events_default: LIEN_ONLY, state_default: LIEN_ONLY, invite: LIEN_ONLY, kick: LIEN_ONLY, ban: LIEN_ONLY, redact: LIEN_ONLY, events: {} },
    });
    await this.settings.set(AUDIT_ROOM_SETTING, roomId);
    await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'room.audit_created', details: { roomId } });
    return roomId;
  }

  /** Invites the active admins not in the room yet, removes whoever else is in it. */
  private async keepMembers(client: MatrixClient, roomId: string, bot: string): Promise<void> {
    const { userIds } = await this.admins();
    const admins = new Set(userIds);
    const res = await client.request<{ chunk?: Array<{ state_key?: string; content?: { membership?: string } }> }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/members`, { query: { not_membership: 'leave' } });
    const present = new Map((res.chunk ?? []).flatMap((e) => (e.state_key && e.content?.membership ? [[e.state_key, e.content.membership] as const] : [])));
    for (const [userId, membership] of present) {
      if (userId === bot || admins.has(userId) || (membership !== 'join' && membership !== 'invite')) continue;
      await client.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { body: { user_id: userId, reason: this.t('audit.removed') } });
    }
    for (const userId of admins) {
      const m = present.get(userId);
      if (userId === bot || m === 'join' || m === 'invite' || m === 'ban') continue;
      await client.invite(roomId, userId);
    }
  }

  /**
   * Posts the chain's current head into the audit room, records the anchor in the chain itself
   * (`audit.anchored`, with the event id) and returns it.
   */
  async anchor(reason: 'start' | 'daily'): Promise<Anchor> {
    const client = await this.ctx.matrix();
    const bot = this.ctx.botUserId();
    if (!bot) throw new DeliveryError('not logged in to the homeserver yet', { permanent: false });
    const roomId = await this.roomId();
    await this.keepMembers(client, roomId, bot);
    const head = await this.ctx.audit.currentHead();
    const at = new Date();
    const eventId = await client.sendStateEvent(roomId, ANCHOR_EVENT, String(head.seq), { seq: head.seq, hash: head.hash, at: at.toISOString(), v: 2 });
    try {
      const body = this.t('audit.anchor', { seq: head.seq, hash: head.hash, time: at.toISOString() });
      await client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.notice', body }, `audit-anchor-${randomUUID()}`);
    } catch (err) {
      // The anchor itself is in: the notice only says it in words.
      this.ctx.logger.warn({ reason: (err as Error).message }, 'audit anchor posted, its notice could not be');
    }
    await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'audit.anchored', details: { seq: head.seq, hash: head.hash, roomId, eventId, reason } });
    return { seq: head.seq, hash: head.hash, at, eventId };
  }
}
