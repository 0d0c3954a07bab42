/**
 * The crypto engine on `@matrix-org/matrix-sdk-crypto-wasm`, which installs everywhere.
 *
 * Persistence. The wasm build keeps its state (account and identity keys, Olm and Megolm sessions,
 * tracked devices, cross-signing keys) either in memory or in IndexedDB, and Node has no IndexedDB
 * (matrix-js-sdk#4769, crypto-wasm#168). Lien gives it one in memory (fake-indexeddb, the same library
 * the crypto crate's own Node tests run on), opened with a store passphrase so that every value is
 * encrypted by the library itself, and keeps that database in Lien's own database: on start the last
 * snapshot is restored, and after every change (a sync, a key upload, a new session) the snapshot is
 * written again — only when something was written, found by watching the store's writes. The snapshot
 * is sealed once more with Lien's secret key before it leaves the process. A crash between a change and
 * its snapshot loses at most that change; the crypto library copes (keys uploaded twice are the same
 * keys, a lost Megolm session is replaced by a new one).
 */
import 'fake-indexeddb/auto';
import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import * as W from '@matrix-org/matrix-sdk-crypto-wasm';
import { IDBObjectStore } from 'fake-indexeddb';
import {
  DecryptionFailure,
  parseBody,
  REQUEST_KINDS,
  toCryptoRequest,
  type CrossSigningUploads,
  type CryptoEngine,
  type CryptoRequest,
  type DecryptedEvent,
  type RoomKeySharing,
  type SyncCryptoChanges,
} from './engine.js';
import { deleteDatabases, dumpDatabases, restoreDatabases, type DatabaseSnapshot, type IdbFactory } from './idb-snapshot.js';

/** Where the snapshot of the crypto store is kept (Lien's database, sealed). */
export interface CryptoSnapshotStore {
  load(): Promise<Buffer | undefined>;
  save(snapshot: Buffer): Promise<void>;
}

let writes = 0;
let watching = false;

/** Counts writes to any fake IndexedDB object store: a snapshot is taken only after something changed. */
function watchWrites(): void {
  if (watching) return;
  watching = true;
  // The DOM types are not part of Node's; the prototype's methods are wrapped as they are.
  const proto = (IDBObjectStore as unknown as { prototype: Record<string, (...args: unknown[]) => unknown> }).prototype;
  for (const method of ['put', 'add', 'delete', 'clear']) {
    const original = proto[method];
    if (!original) continue;
    proto[method] = function (this: unknown, ...args: unknown[]) {
      writes++;
      return original.apply(this, args);
    };
  }
}

let wasmReady: Promise<void> | undefined;

const HISTORY: Record<RoomKeySharing['historyVisibility'], W.HistoryVisibility> = {
  invited: W.HistoryVisibility.Invited,
  joined: W.HistoryVisibility.Joined,
  shared: W.HistoryVisibility.Shared,
  world_readable: W.HistoryVisibility.WorldReadable,
};

/** The wasm binding spells its requests' fields in snake case. */
function toRequest(r: { id?: string | undefined; type: W.RequestType; body: string } & Record<string, unknown>): CryptoRequest {
  return toCryptoRequest({ id: r.id, type: r.type, body: r.body, eventType: r.event_type, txnId: r.txn_id, roomId: r.room_id, version: r.version });
}

export class WasmCryptoEngine implements CryptoEngine {
  readonly name = 'wasm' as const;
  private lastSavedWrites = -1;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly machine: W.OlmMachine,
    private readonly factory: IdbFactory,
    private readonly prefix: string,
    private readonly snapshots: CryptoSnapshotStore,
    readonly userId: string,
    readonly deviceId: string,
  ) {}

  get identityKeys(): { curve25519: string; ed25519: string } {
    const keys = this.machine.identityKeys;
    return { curve25519: keys.curve25519.toBase64(), ed25519: keys.ed25519.toBase64() };
  }

  /**
   * Opens the Olm machine of `userId`/`deviceId` on the last saved snapshot (or a new store).
   * `passphrase` encrypts the store's values; it must be the same on every start.
   */
  static async open(opts: { userId: string; deviceId: string; passphrase: string; snapshots: CryptoSnapshotStore }): Promise<WasmCryptoEngine> {
    wasmReady ??= W.initAsync();
    await wasmReady;
    watchWrites();
    const factory = (globalThis as unknown as { indexedDB: IdbFactory }).indexedDB;
    // A name of its own per opening: two Lien instances in one process never share a database.
    const prefix = `lien-${randomBytes(6).toString('hex')}`;
    const saved = await opts.snapshots.load();
    if (saved) await restoreDatabases(factory, prefix, deserialize(saved) as DatabaseSnapshot[]);
    const machine = await W.OlmMachine.initialize(new W.UserId(opts.userId), new W.DeviceId(opts.deviceId), prefix, opts.passphrase);
    const engine = new WasmCryptoEngine(machine, factory, prefix, opts.snapshots, opts.userId, opts.deviceId);
    await engine.persist();
    return engine;
  }

  async receiveSyncChanges(changes: SyncCryptoChanges): Promise<void> {
    const lists = new W.DeviceLists(changes.changedUsers.map((u) => new W.UserId(u)), changes.leftUsers.map((u) => new W.UserId(u)));
    const counts = new Map(Object.entries(changes.oneTimeKeyCounts));
    const fallback = changes.unusedFallbackKeys ? new Set(changes.unusedFallbackKeys) : undefined;
    await this.machine.receiveSyncChanges(JSON.stringify(changes.toDevice), lists, counts, fallback);
  }

  async outgoingRequests(): Promise<CryptoRequest[]> {
    const reqs = (await this.machine.outgoingRequests()) as unknown as Array<{ id?: string; type: W.RequestType; body: string } & Record<string, unknown>>;
    return reqs.map(toRequest);
  }

  async markSent(request: Pick<CryptoRequest, 'id' | 'kind'>, response: unknown): Promise<void> {
    const type = REQUEST_KINDS.indexOf(request.kind) as W.RequestType;
    await this.machine.markRequestAsSent(request.id, type, JSON.stringify(response ?? {}));
  }

  async updateTrackedUsers(users: string[]): Promise<void> {
    await this.machine.updateTrackedUsers(users.map((u) => new W.UserId(u)));
  }

  async missingSessions(users: string[]): Promise<CryptoRequest | undefined> {
    const req = await this.machine.getMissingSessions(users.map((u) => new W.UserId(u)));
    return req ? toRequest(req as unknown as { id: string; type: W.RequestType; body: string }) : undefined;
  }

  async shareRoomKey(roomId: string, users: string[], sharing: RoomKeySharing): Promise<CryptoRequest[]> {
    const settings = new W.EncryptionSettings();
    settings.historyVisibility = HISTORY[sharing.historyVisibility];
    // Every device of the room's members gets the key; whether a worker verified their devices is theirs to manage.
    settings.sharingStrategy = W.CollectStrategy.deviceBasedStrategy(false, false);
    if (sharing.rotationMessages) settings.rotationPeriodMessages = BigInt(sharing.rotationMessages);
    if (sharing.rotationMs) settings.rotationPeriod = BigInt(sharing.rotationMs) * 1000n;
    const reqs = await this.machine.shareRoomKey(new W.RoomId(roomId), users.map((u) => new W.UserId(u)), settings);
    return reqs.map((r) => toRequest(r as unknown as { id: string; type: W.RequestType; body: string }));
  }

  async encryptRoomEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<Record<string, unknown>> {
    return parseBody(await this.machine.encryptRoomEvent(new W.RoomId(roomId), type, JSON.stringify(content)));
  }

  async decryptRoomEvent(roomId: string, event: Record<string, unknown>): Promise<DecryptedEvent> {
    try {
      const settings = new W.DecryptionSettings(W.TrustRequirement.Untrusted);
      const decrypted = await this.machine.decryptRoomEvent(JSON.stringify(event), new W.RoomId(roomId), settings);
      return { event: parseBody(decrypted.event) as DecryptedEvent['event'], senderDevice: decrypted.senderDevice?.toString() };
    } catch (err) {
      if (err instanceof W.MegolmDecryptionError) throw new DecryptionFailure(W.DecryptionErrorCode[err.code] ?? 'UnableToDecrypt', err.description, err.withheldCode);
      throw new DecryptionFailure('UnableToDecrypt', (err as Error).message);
    }
  }

  async crossSigningStatus(): Promise<{ master: boolean; selfSigning: boolean; userSigning: boolean }> {
    const s = await this.machine.crossSigningStatus();
    return { master: s.hasMaster, selfSigning: s.hasSelfSigning, userSigning: s.hasUserSigning };
  }

  async bootstrapCrossSigning(): Promise<CrossSigningUploads> {
    const reqs = await this.machine.bootstrapCrossSigning(true);
    const upload = reqs.uploadKeysRequest as ({ id: string; type: W.RequestType; body: string } & Record<string, unknown>) | undefined;
    return {
      signingKeys: parseBody(reqs.uploadSigningKeysRequest.body),
      signatures: parseBody(reqs.uploadSignaturesRequest.body),
      deviceKeys: upload ? toRequest(upload) : undefined,
    };
  }

  /** Writes the store's snapshot when something changed since the last one (one save at a time). */
  persist(): Promise<void> {
    const next = this.saving.then(async () => {
      const seen = writes;
      if (seen === this.lastSavedWrites) return;
      const snapshot = await dumpDatabases(this.factory, this.prefix);
      await this.snapshots.save(serialize(snapshot));
      this.lastSavedWrites = seen;
    });
    this.saving = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.persist().catch(() => undefined);
    this.machine.close();
    // A connection the library left open would block the deletion: memory is freed at exit anyway.
    await Promise.race([deleteDatabases(this.factory, this.prefix), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
}
