import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Claims, HEARTBEAT_LEASE_MS } from '../../../src/store/claims.js';
import { useTestDatabase } from '../../support/db.js';
import { waitFor } from '../../support/wait.js';

describe('claims (one winner per key, on FerretDB)', () => {
  const db = useTestDatabase();

  it('gives a key to exactly one of many concurrent callers', async () => {
    const claims = [new Claims(db.models), new Claims(db.models), new Claims(db.models)];
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => claims[i % 3]?.acquire('deliver:42', `p${i}`)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('passes over a stale renewable claim, and lets a released one be taken again at once', async () => {
    const claims = new Claims(db.models);
    const first = await claims.acquireRenewable('room:7', 60_000);
    expect(first).toBe('room:7#1');
    expect(await claims.acquireRenewable('room:7', 60_000)).toBeNull(); // held and fresh
    expect(await claims.acquireRenewable('room:7', 0)).toBe('room:7#2'); // stale at once: next generation
    await claims.release('room:7#2');
    expect(await claims.acquireRenewable('room:7', 60_000)).toBeNull(); // #1 is still fresh for a patient caller
    expect(await claims.acquireRenewable('room:7', 0)).toBe('room:7#2'); // released: free again
  });

  it("takes over at once the claim of a process that died, never a live one's", { timeout: 60_000 }, async () => {
    // Another process (a real one) beats its heartbeat and holds the claim, for an hour as far as age goes.
    const holder = spawn(process.execPath, ['--import', 'tsx', 'tests/support/claim-holder.ts', db.uri, 'turn:p1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    holder.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const holding = await waitFor('the other process holding the claim', async () => /holding (\S+) as (\S+)/.exec(out), 30_000);
      expect(holding[1]).toBe('turn:p1#1');
      const claims = new Claims(db.models);
      // Alive: its claim holds, however many times we ask.
      expect(await claims.holder(holding[2] ?? '')).toBe('alive');
      expect(await claims.acquireRenewable('turn:p1', 60 * 60_000)).toBeNull();
      expect(await claims.abandoned('turn:p1#1', 60 * 60_000)).toBe(false);

      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      // Dead: once its heartbeat is older than the lease, the next generation is ours, an hour early.
      const taken = await waitFor('the dead process’s claim taken over', async () => claims.acquireRenewable('turn:p1', 60 * 60_000), HEARTBEAT_LEASE_MS + 10_000, 250);
      expect(taken).toBe('turn:p1#2');
      expect(await claims.holder(holding[2] ?? '')).toBe('dead');
      // And the claim just won is a live one: nobody else gets it.
      expect(await new Claims(db.models).acquireRenewable('turn:p1', 60 * 60_000)).toBeNull();
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
    }
  });
});
