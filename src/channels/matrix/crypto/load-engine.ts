/**
 * Picks the crypto engine: the native `@matrix-org/matrix-sdk-crypto-nodejs` when it is installed and
 * its library loads, otherwise the wasm build. Asking for one by name makes its absence an error.
 */
import path from 'node:path';
import type { Logger } from '../../../logger.js';
import type { CryptoEngine } from './engine.js';
import { loadNativeCrypto, NodejsCryptoEngine } from './nodejs-engine.js';
import { WasmCryptoEngine, type CryptoSnapshotStore } from './wasm-engine.js';

export interface EngineOptions {
  choice: 'auto' | 'nodejs' | 'wasm';
  userId: string;
  deviceId: string;
  /** Encrypts the store's contents; derived from Lien's secret key, the same on every start. */
  passphrase: string;
  /** Where the native engine keeps its SQLite store (one directory per account and device). */
  dataDir: string;
  /** Where the wasm engine's snapshots go. */
  snapshots: CryptoSnapshotStore;
  logger: Logger;
}

/** Whether the native engine can run here (and why not). */
export function nativeCryptoAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    loadNativeCrypto();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n')[0] ?? 'cannot load' };
  }
}

export async function openCryptoEngine(opts: EngineOptions): Promise<CryptoEngine> {
  const native = opts.choice === 'wasm' ? undefined : nativeCryptoAvailable();
  if (opts.choice === 'nodejs' && !native?.ok) throw new Error(`MATRIX_CRYPTO_ENGINE=nodejs, but @matrix-org/matrix-sdk-crypto-nodejs does not load: ${native && !native.ok ? native.reason : ''}`);
  if (native?.ok) {
    const storePath = path.join(opts.dataDir, 'crypto', `${opts.userId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${opts.deviceId}`);
    return NodejsCryptoEngine.open({ userId: opts.userId, deviceId: opts.deviceId, passphrase: opts.passphrase, storePath });
  }
  if (native && !native.ok) opts.logger.debug({ reason: native.reason }, 'native crypto engine unavailable; using the wasm engine');
  return WasmCryptoEngine.open({ userId: opts.userId, deviceId: opts.deviceId, passphrase: opts.passphrase, snapshots: opts.snapshots });
}
