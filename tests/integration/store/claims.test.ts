import { describe, expect, it } from 'vitest';
import { Claims } from '../../../src/store/claims.js';
import { useTestDatabase } from '../../support/db.js';

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
});
