/**
 * End-to-end encryption of Lien's rooms, the way the Rust crypto expects to be driven:
 *
 * - every /sync's to-device events, one-time-key counts, fallback keys and device-list changes are fed
 *   to the Olm machine before that sync's room events are decrypted (`onSync`);
 * - the machine's outgoing requests (keys upload / query / claim, to-device, signatures) are sent and
 *   marked sent, one round at a time (`flush`);
 * - before a room event is encrypted, the room's current members (joined and invited) are tracked, Olm
 *   sessions are claimed with their devices, and the room key is shared with those devices only;
 * - which rooms are encrypted is read from the room state once and then followed in the timeline, so a
 *   room that becomes encrypted is encrypted from its next message on.
 *
 * MatrixClient.sendEvent calls `encrypt` for rooms this says are encrypted: callers send as before.
 */
import type { Logger } from '../../../logger.js';
import { MatrixError, type ClientEvent, type MatrixClient, type SyncResponse } from '../client.js';
import type { RoomEvent } from '../types.js';
import type { CryptoEngine, CryptoRequest, RoomKeySharing } from './engine.js';

export const MEGOLM_ALGORITHM = 'm.megolm.v1.aes-sha2';

/** The parts of a /sync answer that concern encryption (the spec's names). */
export interface SyncCryptoFields {
  to_device?: { events?: unknown[] };
  device_lists?: { changed?: string[]; left?: string[] };
  device_one_time_keys_count?: Record<string, number>;
  device_unused_fallback_key_types?: string[];
}

const enc = encodeURIComponent;

/** One at a time, in order of arrival. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export interface RoomCryptoOptions {
  client: MatrixClient;
  engine: CryptoEngine;
  logger: Logger;
  /** Megolm session rotation (defaults: the library's, a week or 100 messages). */
  rotation?: { messages?: number; ms?: number };
}

export class RoomCrypto {
  private readonly client: MatrixClient;
  readonly engine: CryptoEngine;
  private readonly logger: Logger;
  private readonly rotation: { messages?: number; ms?: number };
  private readonly requests = new SerialQueue();
  private readonly roomQueues = new Map<string, SerialQueue>();
  /** Room id → encrypted (true) or, for a while, known not to be (false). */
  private readonly encrypted = new Map<string, boolean>();
  private readonly visibility = new Map<string, RoomKeySharing['historyVisibility']>();
  /** Room id → members (joined and invited) Lien shares the room key with; dropped on membership changes. */
  private readonly members = new Map<string, string[]>();
  private lastError: string | undefined;

  constructor(opts: RoomCryptoOptions) {
    this.client = opts.client;
    this.engine = opts.engine;
    this.logger = opts.logger.child({ component: 'matrix-crypto', engine: opts.engine.name });
    this.rotation = opts.rotation ?? {};
  }

  /** Feeds one /sync answer to the Olm machine, then sends what it asks for. */
  async onSync(res: SyncResponse & SyncCryptoFields): Promise<void> {
    await this.engine.receiveSyncChanges({
      toDevice: res.to_device?.events ?? [],
      changedUsers: res.device_lists?.changed ?? [],
      leftUsers: res.device_lists?.left ?? [],
      oneTimeKeyCounts: res.device_one_time_keys_count ?? {},
      unusedFallbackKeys: res.device_unused_fallback_key_types,
    });
    await this.engine.persist();
    try {
      await this.flush();
    } catch (err) {
      // The requests stay queued in the machine: the next sync sends them.
      this.lastError = (err as Error).message;
      this.logger.warn({ reason: this.lastError }, 'sending encryption keys failed; will retry at the next sync');
    }
  }

  /** Follows the timeline: encryption switched on, members coming and going. */
  observe(event: RoomEvent): void {
    if (event.type === 'm.room.encryption' && event.stateKey === '') {
      // Encryption cannot be switched off again in a room: only the switch on is followed.
      if (event.content.algorithm === MEGOLM_ALGORITHM) this.encrypted.set(event.roomId, true);
    } else if (event.type === 'm.room.member') {
      this.members.delete(event.roomId);
    } else if (event.type === 'm.room.history_visibility') {
      this.visibility.delete(event.roomId);
    }
  }

  /** Sends every request the machine has queued and marks each sent, until none is left. */
  flush(): Promise<void> {
    return this.requests.run(async () => {
      for (let round = 0; round < 10; round++) {
        const pending = await this.engine.outgoingRequests();
        if (pending.length === 0) break;
        for (const request of pending) await this.send(request);
        await this.engine.persist();
      }
      this.lastError = undefined;
    });
  }

  private async send(request: CryptoRequest): Promise<void> {
    const response = await this.call(request);
    await this.engine.markSent(request, response);
  }

  private call(request: CryptoRequest): Promise<unknown> {
    const v3 = '/_matrix/client/v3';
    switch (request.kind) {
      case 'keys_upload':
        return this.client.request('POST', `${v3}/keys/upload`, { body: request.body });
      case 'keys_query':
        return this.client.request('POST', `${v3}/keys/query`, { body: request.body });
      case 'keys_claim':
        return this.client.request('POST', `${v3}/keys/claim`, { body: request.body });
      case 'signature_upload':
        return this.client.request('POST', `${v3}/keys/signatures/upload`, { body: request.body });
      case 'to_device':
        return this.client.request('PUT', `${v3}/sendToDevice/${enc(request.eventType)}/${enc(request.txnId)}`, { body: request.body });
      case 'room_message':
        return this.client.request('PUT', `${v3}/rooms/${enc(request.roomId)}/send/${enc(request.eventType)}/${enc(request.txnId)}`, { body: request.body });
      case 'keys_backup':
        // Lien keeps no server-side key backup: nothing to send, the request is acknowledged as done.
        return Promise.resolve({});
    }
  }

  /** Whether the room is end-to-end encrypted (asked once, then followed in the timeline). */
  async isEncrypted(roomId: string): Promise<boolean> {
    const known = this.encrypted.get(roomId);
    if (known !== undefined) return known;
    try {
      const content = await this.client.getStateEvent<{ algorithm?: string }>(roomId, 'm.room.encryption');
      const on = content.algorithm === MEGOLM_ALGORITHM;
      this.encrypted.set(roomId, on);
      return on;
    } catch (err) {
      if (err instanceof MatrixError && err.status === 404) {
        this.encrypted.set(roomId, false);
        return false;
      }
      throw err;
    }
  }

  /** Lien itself invited or removed someone: the member list is read again before the next event. */
  forgetMembers(roomId: string): void {
    this.members.delete(roomId);
  }

  /** The room's members Lien shares keys with: joined and invited (an invited worker can read on joining). */
  async roomMembers(roomId: string): Promise<string[]> {
    const cached = this.members.get(roomId);
    if (cached) return cached;
    const res = await this.client.request<{ chunk: Array<{ state_key?: string; content?: { membership?: string } }> }>(
      'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/members`,
      { query: { not_membership: 'leave' } },
    );
    const users = res.chunk
      .filter((e) => e.content?.membership === 'join' || e.content?.membership === 'invite')
      .map((e) => e.state_key)
      .filter((u): u is string => typeof u === 'string');
    this.members.set(roomId, users);
    return users;
  }

  private async historyVisibility(roomId: string): Promise<RoomKeySharing['historyVisibility']> {
    const known = this.visibility.get(roomId);
    if (known) return known;
    let value: RoomKeySharing['historyVisibility'] = 'shared';
    try {
      const content = await this.client.getStateEvent<{ history_visibility?: string }>(roomId, 'm.room.history_visibility');
      if (content.history_visibility === 'invited' || content.history_visibility === 'joined' || content.history_visibility === 'world_readable') value = content.history_visibility;
    } catch (err) {
      if (!(err instanceof MatrixError && err.status === 404)) throw err;
    }
    this.visibility.set(roomId, value);
    return value;
  }

  /**
   * Encrypts a room event for the room's current members: their devices are looked up, Olm sessions
   * claimed where missing, the room key shared with them (and nobody else), then the event encrypted.
   */
  encrypt(roomId: string, type: string, content: Record<string, unknown>): Promise<{ type: string; content: Record<string, unknown> }> {
    let queue = this.roomQueues.get(roomId);
    if (!queue) {
      queue = new SerialQueue();
      this.roomQueues.set(roomId, queue);
    }
    return queue.run(async () => {
      const members = await this.roomMembers(roomId);
      await this.engine.updateTrackedUsers(members);
      await this.flush(); // device keys of newly tracked members
      await this.requests.run(async () => {
        const claim = await this.engine.missingSessions(members);
        if (claim) await this.send(claim);
        const shares = await this.engine.shareRoomKey(roomId, members, {
          historyVisibility: await this.historyVisibility(roomId),
          ...(this.rotation.messages ? { rotationMessages: this.rotation.messages } : {}),
          ...(this.rotation.ms ? { rotationMs: this.rotation.ms } : {}),
        });
        for (const share of shares) await this.send(share);
      });
      const encrypted = await this.engine.encryptRoomEvent(roomId, type, content);
      await this.engine.persist();
      return { type: 'm.room.encrypted', content: encrypted };
    });
  }

  /** The cleartext of an `m.room.encrypted` event, as a client event of its real type; throws DecryptionFailure. */
  async decrypt(roomId: string, raw: ClientEvent): Promise<ClientEvent> {
    const { event } = await this.engine.decryptRoomEvent(roomId, { ...raw, room_id: roomId });
    return { ...raw, type: event.type, content: event.content };
  }

  /**
   * Cross-signs Lien's device with the bot account's own keys, so that workers' clients show it as
   * verified. Done once per account: when the account already has cross-signing keys Lien does not hold,
   * nothing is changed (a human set them up; see the README). The signing keys' upload may need the
   * account's password (user-interactive auth); without one, homeservers that require it refuse.
   */
  async bootstrapCrossSigning(password: string | undefined): Promise<'created' | 'already' | 'foreign' | 'unsupported'> {
    const status = await this.engine.crossSigningStatus();
    if (!status) return 'unsupported';
    if (status.master && status.selfSigning) return 'already';
    await this.flush(); // own device keys first
    const me = this.engine.userId;
    const existing = await this.client.request<{ master_keys?: Record<string, unknown> }>('POST', '/_matrix/client/v3/keys/query', { body: { device_keys: { [me]: [] } } });
    if (existing.master_keys?.[me]) return 'foreign';
    const uploads = await this.engine.bootstrapCrossSigning();
    if (!uploads) return 'unsupported';
    if (uploads.deviceKeys) await this.send(uploads.deviceKeys);
    const path = '/_matrix/client/v3/keys/device_signing/upload';
    try {
      await this.client.request('POST', path, { body: uploads.signingKeys });
    } catch (err) {
      const session = err instanceof MatrixError && err.status === 401 ? (err.body?.session as string | undefined) : undefined;
      if (!(err instanceof MatrixError && err.status === 401) || !password) throw err;
      await this.client.request('POST', path, {
        body: { ...uploads.signingKeys, auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: me }, password, ...(session ? { session } : {}) } },
      });
    }
    await this.client.request('POST', '/_matrix/client/v3/keys/signatures/upload', { body: uploads.signatures });
    await this.engine.persist();
    return 'created';
  }

  /** For /healthz. */
  health(): string {
    if (this.lastError) throw new Error(`${this.engine.name} engine: ${this.lastError}`);
    return `${this.engine.name} engine, device ${this.engine.deviceId}`;
  }
}
