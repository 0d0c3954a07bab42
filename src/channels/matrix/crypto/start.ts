/**
 * Starts end-to-end encryption for Lien's Matrix session: opens the crypto engine on the session's
 * device, uploads its keys, cross-signs it once, and hands back what the client and the sync loop use.
 */
import type { Logger } from '../../../logger.js';
import type { Metrics } from '../../../metrics.js';
import type { MatrixClient } from '../client.js';
import { openCryptoEngine } from './load-engine.js';
import { RoomCrypto } from './room-crypto.js';
import { Undecryptables, type PendingEventStore } from './undecryptable.js';
import type { CryptoSnapshotStore } from './wasm-engine.js';

export interface StartCryptoOptions {
  client: MatrixClient;
  userId: string;
  deviceId: string | undefined;
  choice: 'auto' | 'nodejs' | 'wasm';
  passphrase: string;
  dataDir: string;
  snapshots: CryptoSnapshotStore;
  pending: PendingEventStore;
  undecryptableGraceMs: number;
  /** The bot account's password, when Lien has it: the cross-signing keys' upload may ask for it. */
  password: string | undefined;
  metrics: Metrics;
  logger: Logger;
}

export async function startRoomCrypto(opts: StartCryptoOptions): Promise<{ crypto: RoomCrypto; undecryptables: Undecryptables }> {
  if (!opts.deviceId) throw new Error('the homeserver did not say which device Lien\'s session is: end-to-end encryption needs one (log in with MATRIX_PASSWORD)');
  const engine = await openCryptoEngine({
    choice: opts.choice,
    userId: opts.userId,
    deviceId: opts.deviceId,
    passphrase: opts.passphrase,
    dataDir: opts.dataDir,
    snapshots: opts.snapshots,
    logger: opts.logger,
  });
  const crypto = new RoomCrypto({ client: opts.client, engine, logger: opts.logger });
  // The homeserver may be away right now: the keys then go up with the first sync that gets through.
  await crypto.flush().catch((err: unknown) => opts.logger.warn({ reason: (err as Error).message }, 'uploading encryption keys failed; will retry at the next sync'));
  opts.logger.info({ engine: engine.name, deviceId: engine.deviceId, curve25519: engine.identityKeys.curve25519 }, 'end-to-end encryption ready');
  try {
    const outcome = await crypto.bootstrapCrossSigning(opts.password);
    const said = {
      created: 'cross-signing keys created: Lien\'s device is signed by its account',
      already: 'Lien\'s device is cross-signed by its account',
      foreign: 'the bot account already has cross-signing keys Lien does not hold: its device stays unsigned (see README, "Encryption")',
      unsupported: 'this crypto engine cannot set up cross-signing: Lien\'s device stays unsigned',
    }[outcome];
    opts.logger[outcome === 'created' || outcome === 'already' ? 'info' : 'warn']({ engine: engine.name }, said);
  } catch (err) {
    opts.logger.warn({ reason: (err as Error).message }, 'cross-signing Lien\'s device failed; it stays unsigned until the next start');
  }
  const undecryptables = new Undecryptables(opts.pending, opts.undecryptableGraceMs, opts.metrics);
  return { crypto, undecryptables };
}
