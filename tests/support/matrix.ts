/**
 * Small Matrix client-server API (v3) helpers for tests, over Lien's own MatrixClient (so 429 answers
 * are sat out). Failures throw MatrixError, which carries the HTTP status and the Matrix errcode, and
 * whose message names the method, path, status and errcode.
 */
import { randomUUID } from 'node:crypto';
import { MatrixClient, MatrixError } from '../../src/channels/matrix/client.js';
import { loginWithPassword, registerUser as registerWithSharedSecret, type MatrixSession } from '../../src/embedded/synapse.js';

export { MatrixError, type MatrixSession };

/** A Matrix event as returned by /messages (only the fields tests commonly read are typed). */
export interface MatrixEvent {
  event_id: string;
  type: string;
  sender: string;
  room_id?: string;
  origin_server_ts: number;
  state_key?: string;
  content: Record<string, unknown>;
}

const enc = encodeURIComponent;

/** Registers through the shared secret; an existing localpart logs in with the password instead. */
export function registerUser(
  baseUrl: string,
  sharedSecret: string,
  user: { localpart: string; password: string; admin?: boolean; displayName?: string },
): Promise<MatrixSession> {
  return registerWithSharedSecret(baseUrl, sharedSecret, user);
}

/** A localpart unique to this run, e.g. `alice-lx3k9a-1f2e`. */
export function uniqueLocalpart(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
}

export function login(baseUrl: string, userId: string, password: string): Promise<MatrixSession> {
  return loginWithPassword(baseUrl, userId, password);
}

export async function createRoom(
  baseUrl: string,
  token: string,
  opts: { name?: string; invite?: string[]; preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat'; isDirect?: boolean } = {},
): Promise<string> {
  const body: Record<string, unknown> = {};
  if (opts.name !== undefined) body.name = opts.name;
  if (opts.invite) body.invite = opts.invite;
  if (opts.preset) body.preset = opts.preset;
  if (opts.isDirect !== undefined) body.is_direct = opts.isDirect;
  const res = await new MatrixClient(baseUrl, token).request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', { body });
  return res.room_id;
}

/** Joins a room by ID or alias; returns the room ID. */
export async function joinRoom(baseUrl: string, token: string, roomIdOrAlias: string): Promise<string> {
  const res = await new MatrixClient(baseUrl, token).request<{ room_id: string }>('POST', `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`, {
    body: {},
  });
  return res.room_id;
}

/** Sends an m.room.message of msgtype m.text; returns the event ID. */
export async function sendText(baseUrl: string, token: string, roomId: string, body: string): Promise<string> {
  const txnId = `lien-test-${randomUUID()}`;
  const res = await new MatrixClient(baseUrl, token).request<{ event_id: string }>(
    'PUT',
    `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${enc(txnId)}`,
    { body: { msgtype: 'm.text', body } },
  );
  return res.event_id;
}

/**
 * The most recent events of a room (up to `limit`, default 50, counted after the `type` filter),
 * oldest first.
 */
export async function readRoomEvents(
  baseUrl: string,
  token: string,
  roomId: string,
  opts: { type?: string; limit?: number } = {},
): Promise<MatrixEvent[]> {
  const res = await new MatrixClient(baseUrl, token).request<{ chunk: MatrixEvent[] }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
    query: { dir: 'b', limit: opts.limit ?? 50, filter: opts.type ? JSON.stringify({ types: [opts.type] }) : undefined },
  });
  return [...res.chunk].reverse();
}

/** Polls the room until an event matches `predicate`; returns it, or throws after timeoutMs. */
export async function waitForRoomEvent(
  baseUrl: string,
  token: string,
  roomId: string,
  predicate: (event: MatrixEvent) => boolean,
  timeoutMs = 10_000,
): Promise<MatrixEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await readRoomEvents(baseUrl, token, roomId, { limit: 100 })).find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching event in ${roomId} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
