import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../../src/domain/backoff.js';
import { effectiveOwner } from '../../../src/domain/ownership.js';

describe('who owns a conversation', () => {
  const now = new Date('2026-11-23T10:00:00Z');
  it('is the referent, or the backup while the referent is away', () => {
    expect(effectiveOwner({ id: 'ref' }, now)).toBe('ref');
    expect(effectiveOwner({ id: 'ref', absence: { from: new Date('2026-11-20'), until: new Date('2026-11-30'), backup: 'bak' } }, now)).toBe('bak');
    expect(effectiveOwner({ id: 'ref', absence: { from: new Date('2026-11-20'), until: null, backup: 'bak' } }, now)).toBe('bak');
    expect(effectiveOwner({ id: 'ref', absence: { from: new Date('2026-11-01'), until: new Date('2026-11-10'), backup: 'bak' } }, now)).toBe('ref');
    expect(effectiveOwner({ id: 'ref', absence: { from: new Date('2026-11-20'), backup: null } }, now)).toBe('ref');
  });
});

describe('retry backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, policy))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});
