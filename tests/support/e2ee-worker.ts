/**
 * A worker whose Matrix client is not Lien's: matrix-js-sdk with its own Rust crypto (its own build of
 * the crypto library, in memory), so that in end-to-end encryption tests both ends really encrypt and
 * decrypt — nothing in this file reuses Lien's crypto code.
 */
import * as sdk from 'matrix-js-sdk';
import { logger as sdkGlobalLogger, type Logger as SdkLogger } from 'matrix-js-sdk/lib/logger.js';
import { waitFor } from './wait.js';

// Some of the SDK's modules log through its global logger (loglevel's; its type does not show setLevel).
(sdkGlobalLogger as unknown as { setLevel(level: string): void }).setLevel('error');

/** The SDK logs every step of its crypto at debug level: only its errors are shown. */
const quiet: SdkLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (...msg: unknown[]) => process.stderr.write(`[matrix-js-sdk] ${msg.map(String).join(' ')}\n`),
  getChild: () => quiet,
};

export interface DecryptedMessage {
  eventId: string;
  sender: string;
  type: string;
  content: Record<string, unknown>;
  /** It came end-to-end encrypted. */
  encrypted: boolean;
}

export class JsSdkWorker {
  readonly client: sdk.MatrixClient;

  private constructor(
    readonly userId: string,
    readonly deviceId: string,
    client: sdk.MatrixClient,
  ) {
    this.client = client;
  }

  /** Logs the session in with crypto, syncs once, and joins rooms it is invited to when asked. */
  static async start(baseUrl: string, session: { userId: string; accessToken: string; deviceId: string }): Promise<JsSdkWorker> {
    const client = sdk.createClient({ baseUrl, accessToken: session.accessToken, userId: session.userId, deviceId: session.deviceId, logger: quiet });
    await client.initRustCrypto({ useIndexedDB: false });
    const ready = new Promise<void>((resolve) => {
      const onSync = (state: string) => {
        if (state === 'PREPARED' || state === 'SYNCING') {
          client.off(sdk.ClientEvent.Sync, onSync);
          resolve();
        }
      };
      client.on(sdk.ClientEvent.Sync, onSync);
    });
    await client.startClient({ initialSyncLimit: 20 });
    await ready;
    return new JsSdkWorker(session.userId, session.deviceId, client);
  }

  /** Joins the room once the invitation has reached this client. */
  async joinWhenInvited(roomId: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(`an invitation to ${roomId}`, async () => (this.client.getRoom(roomId)?.getMyMembership() === 'invite' || this.client.getRoom(roomId)?.getMyMembership() === 'join') || undefined, timeoutMs);
    if (this.client.getRoom(roomId)?.getMyMembership() !== 'join') await this.client.joinRoom(roomId);
    await waitFor(`membership of ${roomId}`, async () => this.client.getRoom(roomId)?.getMyMembership() === 'join' || undefined, timeoutMs);
  }

  /** The room's timeline messages as this client reads them (decrypted where it can). */
  async messages(roomId: string): Promise<DecryptedMessage[]> {
    const room = this.client.getRoom(roomId);
    if (!room) return [];
    const out: DecryptedMessage[] = [];
    for (const event of room.getLiveTimeline().getEvents()) {
      if (event.isEncrypted()) await this.client.decryptEventIfNeeded(event);
      if (event.getType() !== 'm.room.message' && event.getType() !== 'm.reaction') continue;
      out.push({ eventId: event.getId() ?? '', sender: event.getSender() ?? '', type: event.getType(), content: event.getContent(), encrypted: event.isEncrypted() });
    }
    return out;
  }

  /** Waits for a message in the room that matches. */
  waitForMessage(roomId: string, what: string, match: (m: DecryptedMessage) => boolean, timeoutMs = 20_000): Promise<DecryptedMessage> {
    return waitFor(what, async () => (await this.messages(roomId)).find(match), timeoutMs);
  }

  /** Sends a text; js-sdk encrypts it when the room is encrypted. */
  async send(roomId: string, body: string): Promise<string> {
    const res = await this.client.sendTextMessage(roomId, body);
    return res.event_id;
  }

  async isRoomEncrypted(roomId: string): Promise<boolean> {
    return (await this.client.getCrypto()?.isEncryptionEnabledInRoom(roomId)) ?? false;
  }

  stop(): void {
    this.client.stopClient();
  }
}
