import { describe, expect, it } from 'vitest';
import { DEFAULT_OPENING_SLOTS, isOpen, localTime } from '../../../src/domain/office-hours.js';

describe('office hours', () => {
  it('reads the time in the team timezone, not the server clock zone', () => {
    // 08:30 UTC on a winter Monday is 09:30 in Paris, 08:30 in London.
    const at = new Date('2026-11-23T08:30:00Z');
    expect(localTime(at, 'Europe/Paris')).toEqual({ weekday: 1, minutes: 9 * 60 + 30, date: '2026-11-23' });
    expect(isOpen(DEFAULT_OPENING_SLOTS, [], 'Europe/Paris', at)).toBe(true);
    expect(isOpen(DEFAULT_OPENING_SLOTS, [], 'Europe/London', at)).toBe(false);
  });

  it('is closed at lunch, at weekends, and during a closure', () => {
    expect(isOpen(DEFAULT_OPENING_SLOTS, [], 'Europe/Paris', new Date('2026-11-23T12:00:00Z'))).toBe(false); // 13:00 Paris
    expect(isOpen(DEFAULT_OPENING_SLOTS, [], 'Europe/Paris', new Date('2026-11-28T10:00:00Z'))).toBe(false); // Saturday
    const closure = { from: new Date('2026-11-23T00:00:00Z'), until: new Date('2026-11-24T00:00:00Z') };
    expect(isOpen(DEFAULT_OPENING_SLOTS, [closure], 'Europe/Paris', new Date('2026-11-23T09:00:00Z'))).toBe(false);
  });

  it('follows the summer time change', () => {
    // 07:30 UTC in July is 09:30 in Paris (UTC+2).
    expect(isOpen(DEFAULT_OPENING_SLOTS, [], 'Europe/Paris', new Date('2026-07-15T07:30:00Z'))).toBe(true);
    expect(isOpen(DEFAULT_OPENING_SLOTS, [], 'Europe/Paris', new Date('2026-07-15T06:30:00Z'))).toBe(false);
  });
});
