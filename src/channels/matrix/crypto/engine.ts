/**
 * The one small interface Lien's end-to-end encryption goes through, whichever Rust crypto build runs
 * under it: `@matrix-org/matrix-sdk-crypto-nodejs` (native, SQLite store) when it is installed, otherwise
 * `@matrix-org/matrix-sdk-crypto-wasm` (everywhere; its store is kept by Lien, see wasm-engine.ts).
 * Everything crosses it as plain JSON-able values, so the rest of Lien never sees either library's types.
 */

export type EngineName = 'nodejs' | 'wasm';

/** What the homeserver must be asked on the Olm machine's behalf; `markSent` with the answer afterwards. */
export type CryptoRequest =
  | { id: string; kind: 'keys_upload'; body: Record<string, unknown> }
  | { id: string; kind: 'keys_query'; body: Record<string, unknown> }
  | { id: string; kind: 'keys_claim'; body: Record<string, unknown> }
  | { id: string; kind: 'to_device'; eventType: string; txnId: string; body: Record<string, unknown> }
  | { id: string; kind: 'signature_upload'; body: Record<string, unknown> }
  | { id: string; kind: 'room_message'; roomId: string; eventType: string; txnId: string; body: Record<string, unknown> }
  | { id: string; kind: 'keys_backup'; body: Record<string, unknown> };

export type CryptoRequestKind = CryptoRequest['kind'];

/** The crypto-relevant parts of one /sync answer. */
export interface SyncCryptoChanges {
  toDevice: unknown[];
  changedUsers: string[];
  leftUsers: string[];
  oneTimeKeyCounts: Record<string, number>;
  /** Algorithms of the fallback keys the server still holds unused; undefined when the server did not say. */
  unusedFallbackKeys: string[] | undefined;
}

export interface DecryptedEvent {
  /** The cleartext event: `type` and `content` are the real ones. */
  event: { type: string; content: Record<string, unknown>; [key: string]: unknown };
  senderDevice: string | undefined;
}

/** Why a room event could not be decrypted (the library's code, e.g. MissingRoomKey). */
export class DecryptionFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The sender's device withheld the key on purpose (e.g. Lien's device is unverified for them). */
    readonly withheld?: string,
  ) {
    super(message);
    this.name = 'DecryptionFailure';
  }
}

export interface RoomKeySharing {
  /** The room's history visibility, recorded with the session ("shared" lets members read back). */
  historyVisibility: 'shared' | 'invited' | 'joined' | 'world_readable';
  /** Rotate the Megolm session after this many messages / this long (ms). */
  rotationMessages?: number;
  rotationMs?: number;
}

/** The bootstrap of cross-signing: what to upload (the signing keys need user-interactive auth). */
export interface CrossSigningUploads {
  signingKeys: Record<string, unknown>;
  signatures: Record<string, unknown>;
  /** Device keys to upload first, when the device has not uploaded them yet. */
  deviceKeys: CryptoRequest | undefined;
}

export interface CryptoEngine {
  readonly name: EngineName;
  readonly userId: string;
  readonly deviceId: string;
  readonly identityKeys: { curve25519: string; ed25519: string };

  /** Feeds a sync's to-device events, device-list changes and key counts (before decrypting its rooms). */
  receiveSyncChanges(changes: SyncCryptoChanges): Promise<void>;
  outgoingRequests(): Promise<CryptoRequest[]>;
  markSent(request: Pick<CryptoRequest, 'id' | 'kind'>, response: unknown): Promise<void>;

  updateTrackedUsers(users: string[]): Promise<void>;
  /** A keys/claim for the devices of `users` Lien has no Olm session with yet, if any. */
  missingSessions(users: string[]): Promise<CryptoRequest | undefined>;
  /** To-device messages carrying the room's current Megolm key to every device of `users` that lacks it. */
  shareRoomKey(roomId: string, users: string[], sharing: RoomKeySharing): Promise<CryptoRequest[]>;
  encryptRoomEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Throws DecryptionFailure when the key is missing or the event is bad. */
  decryptRoomEvent(roomId: string, event: Record<string, unknown>): Promise<DecryptedEvent>;

  /** Cross-signing keys Lien holds privately; undefined when the engine cannot tell. */
  crossSigningStatus(): Promise<{ master: boolean; selfSigning: boolean; userSigning: boolean } | undefined>;
  /** New cross-signing keys for the account (reset=false keeps existing private keys). Undefined when unsupported. */
  bootstrapCrossSigning(): Promise<CrossSigningUploads | undefined>;

  /** Saves what changed since the last call (no-op for engines whose store writes through). */
  persist(): Promise<void>;
  close(): Promise<void>;
}

/** Parses a request body the libraries give as a JSON string. */
export function parseBody(body: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('crypto request body is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** The libraries' numeric request types, in their order (RequestType in both bindings). */
export const REQUEST_KINDS: readonly CryptoRequestKind[] = ['keys_upload', 'keys_query', 'keys_claim', 'to_device', 'signature_upload', 'room_message', 'keys_backup'];

/** An outgoing request as either binding gives it, its fields renamed to one spelling by the engine. */
export interface RawRequest {
  id: string | undefined;
  type: number;
  body: string;
  eventType?: unknown;
  txnId?: unknown;
  roomId?: unknown;
  version?: unknown;
}

/** A binding's request → Lien's CryptoRequest. */
export function toCryptoRequest(r: RawRequest): CryptoRequest {
  const kind = REQUEST_KINDS[r.type];
  const id = r.id ?? '';
  const body = parseBody(r.body);
  switch (kind) {
    case 'to_device':
      return { id, kind, eventType: String(r.eventType), txnId: String(r.txnId), body };
    case 'room_message':
      return { id, kind, roomId: String(r.roomId), eventType: String(r.eventType), txnId: String(r.txnId), body };
    case 'keys_backup':
      return { id, kind, body: r.version === undefined ? body : { ...body, version: r.version } };
    case undefined:
      throw new Error(`unknown crypto request type ${r.type}`);
    default:
      return { id, kind, body };
  }
}
