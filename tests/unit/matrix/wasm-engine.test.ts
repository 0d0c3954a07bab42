import { describe, expect, it } from 'vitest';
import { WasmCryptoEngine, type CryptoSnapshotStore } from '../../../src/channels/matrix/crypto/wasm-engine.js';

/** The snapshot store as Lien's database would keep it, in memory, counting saves. */
function memoryStore(): CryptoSnapshotStore & { saved: Buffer | undefined; saves: number } {
  const store = {
    saved: undefined as Buffer | undefined,
    saves: 0,
    load: async () => store.saved,
    save: async (b: Buffer) => {
      store.saved = b;
      store.saves++;
    },
  };
  return store;
}

describe('the wasm crypto engine in Node', () => {
  it('keeps its identity keys and pending state across a close and a reopen', async () => {
    const store = memoryStore();
    const first = await WasmCryptoEngine.open({ userId: '@lien:test.local', deviceId: 'LIENDEVICE', passphrase: 'p4ss', snapshots: store });
    const keys = first.identityKeys;
    const requests = await first.outgoingRequests();
    expect(requests.map((r) => r.kind)).toContain('keys_upload');
    await first.close();
    expect(store.saves).toBeGreaterThan(0);

    const second = await WasmCryptoEngine.open({ userId: '@lien:test.local', deviceId: 'LIENDEVICE', passphrase: 'p4ss', snapshots: store });
    expect(second.identityKeys).toEqual(keys);
    await second.close();
  });

  it('writes a snapshot only when something changed', async () => {
    const store = memoryStore();
    const engine = await WasmCryptoEngine.open({ userId: '@lien:test.local', deviceId: 'OTHERDEVICE', passphrase: 'p4ss', snapshots: store });
    const after = store.saves;
    await engine.persist();
    await engine.persist();
    expect(store.saves).toBe(after);
    await engine.updateTrackedUsers(['@someone:test.local']);
    await engine.persist();
    expect(store.saves).toBe(after + 1);
    await engine.close();
  });

  it('does not open a store with the wrong passphrase', async () => {
    const store = memoryStore();
    const engine = await WasmCryptoEngine.open({ userId: '@lien:test.local', deviceId: 'THIRDDEVICE', passphrase: 'right', snapshots: store });
    await engine.close();
    await expect(WasmCryptoEngine.open({ userId: '@lien:test.local', deviceId: 'THIRDDEVICE', passphrase: 'wrong', snapshots: store })).rejects.toThrow();
  });
});
