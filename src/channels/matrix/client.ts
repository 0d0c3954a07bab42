/**
 * A small client for the Matrix client-server API (v3), over fetch. Every call honours 429 with the
 * server's retry-after, and failures carry the HTTP status and Matrix errcode.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { encryptAttachment, type EncryptedFile } from './crypto/attachments.js';
import type { RoomPacer } from './room-pacer.js';

/** Encrypts events for end-to-end encrypted rooms (see crypto/room-crypto.ts). */
export interface EventEncryptor {
  isEncrypted(roomId: string): Promise<boolean>;
  encrypt(roomId: string, type: string, content: Record<string, unknown>): Promise<{ type: string; content: Record<string, unknown> }>;
  /** The room's members changed by this client's own hand (invite, kick): the next event is encrypted for the new list. */
  forgetMembers?(roomId: string): void;
}

export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string | undefined,
    message: string,
    readonly retryAfterMs?: number,
    /** The error's JSON body (e.g. the session and flows of a user-interactive auth challenge). */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'MatrixError';
  }
}

export class HomeserverUnreachableError extends Error {
  constructor(baseUrl: string, cause: unknown) {
    super(`the homeserver at ${baseUrl} does not answer: ${(cause as Error).message}`, { cause });
    this.name = 'HomeserverUnreachableError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, with its content type (media uploads); wins over `body`. */
  rawBody?: { data: Uint8Array; contentType: string };
  /** Abort after this many milliseconds (the sync long-poll passes its own). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How many 429 answers to sit out before giving up. */
  maxRateLimitRetries?: number;
}

export class MatrixClient {
  private encryptor: EventEncryptor | undefined;
  private pacer: RoomPacer | undefined;

  constructor(
    readonly baseUrl: string,
    private accessToken: string | undefined,
  ) {}

  setAccessToken(token: string): void {
    this.accessToken = token;
  }

  /** From now on, events sent to encrypted rooms are encrypted first (callers send as before). */
  setEncryptor(encryptor: EventEncryptor | undefined): void {
    this.encryptor = encryptor;
  }

  /** From now on, writes to a room (events, state, redactions) are paced per room. */
  setPacer(pacer: RoomPacer | undefined): void {
    this.pacer = pacer;
  }

  /** A JSON call: resolves with the parsed answer, or throws MatrixError / HomeserverUnreachableError. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch {
      return { error: text.slice(0, 200) } as T;
    }
  }

  /** A call whose answer is bytes (media downloads). */
  async requestBytes(method: string, path: string, opts: RequestOptions = {}): Promise<DownloadedMedia> {
    const res = await this.send(method, path, opts);
    const data = new Uint8Array(await res.arrayBuffer());
    return { data, contentType: res.headers.get('content-type') ?? 'application/octet-stream', filename: dispositionFilename(res.headers.get('content-disposition')) };
  }

  /** Sends the request, sitting out 429s; resolves with a successful response whose body is unread. */
  private async send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const maxRetries = opts.maxRateLimitRetries ?? 5;
    const contentType = opts.rawBody ? opts.rawBody.contentType : opts.body !== undefined ? 'application/json' : undefined;
    const payload = opts.rawBody ? opts.rawBody.data : opts.body !== undefined ? JSON.stringify(opts.body) : undefined;
    for (let attempt = 0; ; attempt++) {
      const signals = [AbortSignal.timeout(opts.timeoutMs ?? 30_000), ...(opts.signal ? [opts.signal] : [])];
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            ...(this.accessToken ? { Authorization: `Bearer ${this.accessToken}` } : {}),
            ...(contentType ? { 'Content-Type': contentType } : {}),
          },
          body: payload,
          signal: AbortSignal.any(signals),
        });
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        throw new HomeserverUnreachableError(this.baseUrl, err);
      }
      if (res.ok) return res;
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        json = { error: text.slice(0, 200) };
      }
      const retryAfterMs = retryAfter(res, json);
      if (res.status === 429 && attempt < maxRetries) {
        await sleep(retryAfterMs ?? 1000 * 2 ** attempt, undefined, { signal: opts.signal });
        continue;
      }
      const errcode = typeof json.errcode === 'string' ? json.errcode : undefined;
      const error = typeof json.error === 'string' ? json.error : res.statusText;
      throw new MatrixError(res.status, errcode, `${method} ${path} → ${res.status} ${errcode ?? ''} ${error}`.trim(), retryAfterMs, json);
    }
  }

  whoami(): Promise<{ user_id: string; device_id?: string }> {
    return this.request('GET', '/_matrix/client/v3/account/whoami', { timeoutMs: 5000 });
  }

  /** GET /capabilities (e.g. `m.room_versions.default`). */
  async capabilities(): Promise<Record<string, unknown>> {
    const res = await this.request<{ capabilities?: Record<string, unknown> }>('GET', '/_matrix/client/v3/capabilities');
    return res.capabilities ?? {};
  }

  // -------------------------------------------------------------------------------------------
  // Sync

  /** Uploads a sync filter; returns its id, for `sync({ filter })`. */
  async createFilter(userId: string, filter: Record<string, unknown>): Promise<string> {
    const res = await this.request<{ filter_id: string }>('POST', `/_matrix/client/v3/user/${enc(userId)}/filter`, { body: filter });
    return res.filter_id;
  }

  /**
   * One /sync. `timeoutMs` is the long-poll duration the server may wait for news (0: answer at once);
   * the HTTP request itself is given 30 s more. `filter` is a filter id or a JSON filter.
   */
  sync(opts: { since?: string; timeoutMs?: number; filter?: string; signal?: AbortSignal; fullState?: boolean } = {}): Promise<SyncResponse> {
    const timeout = opts.timeoutMs ?? 0;
    return this.request('GET', '/_matrix/client/v3/sync', {
      query: { since: opts.since, timeout, filter: opts.filter, full_state: opts.fullState ? 'true' : undefined },
      timeoutMs: timeout + 30_000,
      signal: opts.signal,
    });
  }

  /** /messages: a page of a room's timeline from a pagination token (`dir` 'b': backwards from `from`). */
  roomMessages(
    roomId: string,
    opts: { from?: string; to?: string; dir?: 'b' | 'f'; limit?: number; filter?: Record<string, unknown>; signal?: AbortSignal } = {},
  ): Promise<MessagesResponse> {
    return this.request('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
      query: {
        from: opts.from,
        to: opts.to,
        dir: opts.dir ?? 'b',
        limit: opts.limit,
        filter: opts.filter ? JSON.stringify(opts.filter) : undefined,
      },
      signal: opts.signal,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Rooms

  /** POST /createRoom with the body as the spec describes it; returns the new room id. */
  async createRoom(body: CreateRoomBody): Promise<string> {
    const res = await this.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', { body, timeoutMs: 60_000 });
    return res.room_id;
  }

  async invite(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { body: { user_id: userId, ...(reason ? { reason } : {}) } });
    this.encryptor?.forgetMembers?.(roomId);
  }

  /** Joins by room id or alias (`via`: servers to join through); returns the room id. */
  async join(roomIdOrAlias: string, via?: string[]): Promise<string> {
    const servers = (via ?? []).map((s) => `server_name=${enc(s)}`).join('&');
    const res = await this.request<{ room_id: string }>('POST', `/_matrix/client/v3/join/${enc(roomIdOrAlias)}${servers ? `?${servers}` : ''}`, {
      body: {},
      timeoutMs: 60_000,
    });
    return res.room_id;
  }

  async leave(roomId: string, reason?: string): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { body: reason ? { reason } : {} });
  }

  /** Removes a member (joined or invited) from a room; needs the power level to kick. */
  async kick(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.pacer?.take(roomId);
    await this.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { body: { user_id: userId, ...(reason ? { reason } : {}) } });
    this.encryptor?.forgetMembers?.(roomId);
  }

  /** The room's members that have not left, by user id: `join`, `invite`, `ban`, `knock`. */
  async members(roomId: string): Promise<Map<string, string>> {
    const res = await this.request<{ chunk?: Array<{ state_key?: string; content?: { membership?: string } }> }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/members`, {
      query: { not_membership: 'leave' },
    });
    const out = new Map<string, string>();
    for (const e of res.chunk ?? []) if (e.state_key && e.content?.membership) out.set(e.state_key, e.content.membership);
    return out;
  }

  /** The room's whole current state, as full events (with their event ids). */
  roomState(roomId: string): Promise<ClientEvent[]> {
    return this.request('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`);
  }

  /**
   * Sends a room event; returns its event id. The homeserver remembers `txnId` per access token and
   * answers a repeated one with the event it already sent, so a retry with the same id never posts twice.
   */
  async sendEvent(roomId: string, type: string, content: Record<string, unknown>, txnId: string): Promise<string> {
    const event = this.encryptor && (await this.encryptor.isEncrypted(roomId)) ? await this.encryptor.encrypt(roomId, type, content) : { type, content };
    await this.pacer?.take(roomId);
    const res = await this.request<{ event_id: string }>('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(event.type)}/${enc(txnId)}`, {
      body: event.content,
    });
    return res.event_id;
  }

  async sendStateEvent(roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<string> {
    await this.pacer?.take(roomId);
    const res = await this.request<{ event_id: string }>('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, {
      body: content,
    });
    return res.event_id;
  }

  /** The content of a state event; throws MatrixError 404 M_NOT_FOUND when the room has none. */
  getStateEvent<T = Record<string, unknown>>(roomId: string, type: string, stateKey = ''): Promise<T> {
    return this.request('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`);
  }

  /** Joined members by user id. */
  async getJoinedMembers(roomId: string): Promise<Record<string, { display_name?: string; avatar_url?: string }>> {
    const res = await this.request<{ joined: Record<string, { display_name?: string; avatar_url?: string }> }>(
      'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`,
    );
    return res.joined;
  }

  /** Redacts an event; returns the redaction's event id. `txnId` dedupes retries as for sendEvent. */
  async redact(roomId: string, eventId: string, txnId: string, reason?: string): Promise<string> {
    await this.pacer?.take(roomId);
    const res = await this.request<{ event_id: string }>(
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(eventId)}/${enc(txnId)}`,
      { body: reason ? { reason } : {} },
    );
    return res.event_id;
  }

  // -------------------------------------------------------------------------------------------
  // Profile and media

  async setDisplayName(userId: string, displayName: string): Promise<void> {
    await this.request('PUT', `/_matrix/client/v3/profile/${enc(userId)}/displayname`, { body: { displayname: displayName } });
  }

  /** Uploads bytes to the media repository; returns their mxc:// URI. */
  /**
   * Uploads a file for a message in `roomId` and returns the content fields that point to it: `url` in a
   * clear room, an encrypted `file` object in an end-to-end encrypted one (the server sees only ciphertext).
   */
  async attachmentContent(roomId: string, data: Uint8Array, contentType: string, filename?: string): Promise<{ url: string } | { file: EncryptedFile }> {
    if (!(this.encryptor && (await this.encryptor.isEncrypted(roomId)))) return { url: await this.uploadMedia(data, contentType, filename) };
    const { ciphertext, file } = encryptAttachment(data);
    const url = await this.uploadMedia(ciphertext, 'application/octet-stream', filename);
    return { file: { ...file, url } };
  }

  async uploadMedia(data: Uint8Array, contentType: string, filename?: string): Promise<string> {
    const res = await this.request<{ content_uri: string }>('POST', '/_matrix/media/v3/upload', {
      rawBody: { data, contentType },
      query: { filename },
      timeoutMs: 120_000,
    });
    return res.content_uri;
  }

  /**
   * Downloads an mxc:// URI through the authenticated media API (`/_matrix/client/v1/media`), or the
   * legacy unauthenticated one (`/_matrix/media/v3`) on a homeserver that does not know the former.
   */
  async downloadMedia(mxc: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<DownloadedMedia> {
    const { serverName, mediaId } = parseMxc(mxc);
    const tail = `${enc(serverName)}/${enc(mediaId)}`;
    const reqOpts: RequestOptions = { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 120_000 };
    if (this.authenticatedMedia !== false) {
      try {
        const media = await this.requestBytes('GET', `/_matrix/client/v1/media/download/${tail}`, reqOpts);
        this.authenticatedMedia = true;
        return media;
      } catch (err) {
        if (!(this.authenticatedMedia === undefined && endpointUnknown(err))) throw err;
        this.authenticatedMedia = false;
      }
    }
    return this.requestBytes('GET', `/_matrix/media/v3/download/${tail}`, reqOpts);
  }

  /** Whether the homeserver serves authenticated media: unknown until the first download. */
  private authenticatedMedia: boolean | undefined;
}

const enc = encodeURIComponent;

/** A room event as the client-server API serialises it. */
export interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  room_id?: string;
  unsigned?: Record<string, unknown>;
  /** Redactions in room versions before 11 (from 11 on: `content.redacts`). */
  redacts?: string;
}

/** A state event as found in invite_state (stripped: no event id, no timestamp). */
export interface StrippedStateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: Record<string, unknown>;
}

export interface SyncTimeline {
  events?: ClientEvent[];
  limited?: boolean;
  prev_batch?: string;
}

export interface SyncJoinedRoom {
  timeline?: SyncTimeline;
  state?: { events?: ClientEvent[] };
}

/** The parts of a /sync answer Lien reads. */
export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, SyncJoinedRoom>;
    invite?: Record<string, { invite_state?: { events?: StrippedStateEvent[] } }>;
    leave?: Record<string, SyncJoinedRoom>;
  };
}

export interface MessagesResponse {
  chunk: ClientEvent[];
  start: string;
  end?: string;
  state?: ClientEvent[];
}

/** The body of POST /createRoom (the commonly used fields; anything else passes through). */
export interface CreateRoomBody {
  name?: string;
  topic?: string;
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  visibility?: 'private' | 'public';
  invite?: string[];
  is_direct?: boolean;
  room_version?: string;
  creation_content?: Record<string, unknown>;
  initial_state?: Array<{ type: string; state_key?: string; content: Record<string, unknown> }>;
  power_level_content_override?: Record<string, unknown>;
  room_alias_name?: string;
  [key: string]: unknown;
}

export interface DownloadedMedia {
  data: Uint8Array;
  contentType: string;
  /** From Content-Disposition, when the server names the file. */
  filename?: string;
}

/** mxc://server/mediaId → its parts; throws on anything else. */
export function parseMxc(mxc: string): { serverName: string; mediaId: string } {
  const m = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
  if (!m?.[1] || !m[2]) throw new Error(`not an mxc:// URI: ${mxc.slice(0, 100)}`);
  return { serverName: m[1], mediaId: m[2] };
}

/** A homeserver that predates an endpoint answers 404 M_UNRECOGNIZED (or 405, or 404 without JSON). */
function endpointUnknown(err: unknown): boolean {
  if (!(err instanceof MatrixError)) return false;
  return err.errcode === 'M_UNRECOGNIZED' || err.status === 405 || (err.status === 404 && err.errcode === undefined);
}

function dispositionFilename(header: string | null): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*(?:utf-8|UTF-8)''([^;]+)/.exec(header);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/.exec(header);
  return plain?.[1] ?? plain?.[2];
}

function retryAfter(res: Response, json: Record<string, unknown>): number | undefined {
  const header = res.headers.get('retry-after');
  if (header && /^\d+$/.test(header)) return Number(header) * 1000;
  return typeof json.retry_after_ms === 'number' ? json.retry_after_ms : undefined;
}
