import { describe, expect, it } from 'vitest';
import { RoomPacer } from '../../../src/channels/matrix/room-pacer.js';

describe('RoomPacer', () => {
  it('lets a burst through, then one event per interval, per room', () => {
    let now = 0;
    const pacer = new RoomPacer({ burst: 3, perSecond: 1, now: () => now });
    expect([pacer.reserve('!a'), pacer.reserve('!a'), pacer.reserve('!a')]).toEqual([0, 0, 0]);
    expect(pacer.reserve('!a')).toBe(1000); // the 4th waits a second
    expect(pacer.reserve('!a')).toBe(2000); // and the 5th, two
    expect(pacer.reserve('!b')).toBe(0); // another room is not held up
    now = 10_000; // a quiet while refills the bucket, up to the burst and no more
    expect([pacer.reserve('!a'), pacer.reserve('!a'), pacer.reserve('!a'), pacer.reserve('!a')]).toEqual([0, 0, 0, 1000]);
  });

  it('keeps a steady stream at the configured rate', () => {
    let now = 0;
    const pacer = new RoomPacer({ burst: 5, perSecond: 1, now: () => now });
    const sentAt: number[] = [];
    for (let i = 0; i < 65; i++) {
      const wait = pacer.reserve('!busy');
      sentAt.push(now + wait);
      now += 100; // callers arrive ten times a second
    }
    const lastMinute = sentAt.filter((t) => t >= (sentAt.at(-1) ?? 0) - 60_000);
    expect(lastMinute.length).toBeLessThanOrEqual(61 + 5);
    expect((sentAt.at(-1) ?? 0) / 1000).toBeGreaterThanOrEqual(59); // 65 events took about a minute
  });

  it('refuses a configuration that would stop every write', () => {
    expect(() => new RoomPacer({ burst: 0, perSecond: 1 })).toThrow();
    expect(() => new RoomPacer({ burst: 1, perSecond: 0 })).toThrow();
  });
});
