/**
 * The crypto engine on `@matrix-org/matrix-sdk-crypto-nodejs`: the native build, whose store is a
 * SQLite file of its own (encrypted with the store passphrase), so nothing else is needed to persist
 * it. Its native library is downloaded when the package installs; where that download cannot happen
 * the package is present but does not load, and Lien uses the wasm engine instead (see load-engine.ts).
 */
import { createRequire } from 'node:module';
import {
  DecryptionFailure,
  parseBody,
  REQUEST_KINDS,
  toCryptoRequest,
  type RawRequest,
  type CrossSigningUploads,
  type CryptoEngine,
  type CryptoRequest,
  type DecryptedEvent,
  type RoomKeySharing,
  type SyncCryptoChanges,
} from './engine.js';

type Native = typeof import('@matrix-org/matrix-sdk-crypto-nodejs');

/** Loads the native binding; throws when its library is absent (not downloaded at install). */
export function loadNativeCrypto(): Native {
  const require = createRequire(import.meta.url);
  return require('@matrix-org/matrix-sdk-crypto-nodejs') as Native;
}

const HISTORY = { invited: 0, joined: 1, shared: 2, world_readable: 3 } as const;

export class NodejsCryptoEngine implements CryptoEngine {
  readonly name = 'nodejs' as const;

  private constructor(
    private readonly lib: Native,
    private readonly machine: InstanceType<Native['OlmMachine']>,
    readonly userId: string,
    readonly deviceId: string,
  ) {}

  static async open(opts: { userId: string; deviceId: string; passphrase: string; storePath: string }): Promise<NodejsCryptoEngine> {
    const lib = loadNativeCrypto();
    const machine = await lib.OlmMachine.initialize(new lib.UserId(opts.userId), new lib.DeviceId(opts.deviceId), opts.storePath, opts.passphrase);
    return new NodejsCryptoEngine(lib, machine, opts.userId, opts.deviceId);
  }

  get identityKeys(): { curve25519: string; ed25519: string } {
    const keys = this.machine.identityKeys;
    return { curve25519: keys.curve25519.toBase64(), ed25519: keys.ed25519.toBase64() };
  }

  private users(ids: string[]) {
    return ids.map((u) => new this.lib.UserId(u));
  }

  async receiveSyncChanges(changes: SyncCryptoChanges): Promise<void> {
    const lists = new this.lib.DeviceLists(this.users(changes.changedUsers), this.users(changes.leftUsers));
    await this.machine.receiveSyncChanges(JSON.stringify(changes.toDevice), lists, changes.oneTimeKeyCounts, changes.unusedFallbackKeys ?? []);
  }

  async outgoingRequests(): Promise<CryptoRequest[]> {
    return (await this.machine.outgoingRequests()).map((r) => toCryptoRequest(r as unknown as RawRequest));
  }

  async markSent(request: Pick<CryptoRequest, 'id' | 'kind'>, response: unknown): Promise<void> {
    // The binding's RequestType is a const enum: its values are the indexes of REQUEST_KINDS.
    await this.machine.markRequestAsSent(request.id, REQUEST_KINDS.indexOf(request.kind) as never, JSON.stringify(response ?? {}));
  }

  async updateTrackedUsers(users: string[]): Promise<void> {
    await this.machine.updateTrackedUsers(this.users(users));
  }

  async missingSessions(users: string[]): Promise<CryptoRequest | undefined> {
    const req = await this.machine.getMissingSessions(this.users(users));
    return req ? toCryptoRequest(req as unknown as RawRequest) : undefined;
  }

  async shareRoomKey(roomId: string, users: string[], sharing: RoomKeySharing): Promise<CryptoRequest[]> {
    const settings = new this.lib.EncryptionSettings();
    settings.historyVisibility = HISTORY[sharing.historyVisibility] as never;
    settings.onlyAllowTrustedDevices = false;
    if (sharing.rotationMessages) settings.rotationPeriodMessages = BigInt(sharing.rotationMessages);
    if (sharing.rotationMs) settings.rotationPeriod = BigInt(sharing.rotationMs) * 1000n;
    const reqs = await this.machine.shareRoomKey(new this.lib.RoomId(roomId), this.users(users), settings);
    return reqs.map((r) => toCryptoRequest(r as unknown as RawRequest));
  }

  async encryptRoomEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<Record<string, unknown>> {
    return parseBody(await this.machine.encryptRoomEvent(new this.lib.RoomId(roomId), type, JSON.stringify(content)));
  }

  async decryptRoomEvent(roomId: string, event: Record<string, unknown>): Promise<DecryptedEvent> {
    try {
      const decrypted = await this.machine.decryptRoomEvent(JSON.stringify(event), new this.lib.RoomId(roomId));
      return { event: parseBody(decrypted.event) as DecryptedEvent['event'], senderDevice: decrypted.senderDevice?.toString() };
    } catch (err) {
      // This binding reports failures as plain errors; the message names the cause.
      const message = (err as Error).message;
      throw new DecryptionFailure(/room key/i.test(message) ? 'MissingRoomKey' : 'UnableToDecrypt', message);
    }
  }

  async crossSigningStatus(): Promise<{ master: boolean; selfSigning: boolean; userSigning: boolean }> {
    const s = await this.machine.crossSigningStatus();
    return { master: s.hasMaster, selfSigning: s.hasSelfSigning, userSigning: s.hasUserSigning };
  }

  /** This binding bootstraps without handing back the uploads (they need user-interactive auth): unsupported. */
  async bootstrapCrossSigning(): Promise<CrossSigningUploads | undefined> {
    return undefined;
  }

  async persist(): Promise<void> {
    // The SQLite store writes through.
  }

  async close(): Promise<void> {
    this.machine.close();
  }
}
