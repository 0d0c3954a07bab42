/** Run under several process timezones: the answers depend on the team's timezone only. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPENING_SLOTS } from '../../../src/domain/office-hours.js';
import { closedPeriodKey, HoursSpecError, isTeamOpen, nextOpening, parseWeeklySlots, ROUND_THE_CLOCK_SLOTS, teamHours, type TeamHours } from '../../../src/domain/opening.js';
import type { OpeningSlot } from '../../../src/domain/types.js';

const paris: TeamHours = { timezone: 'Europe/Paris', slots: DEFAULT_OPENING_SLOTS, closures: [], holidayCalendar: 'france' };
const at = (iso: string) => new Date(iso);

describe('team opening hours', () => {
  it('is closed on a Saturday and opens on Monday at 9:00, Paris time', () => {
    const saturday = at('2026-11-28T09:00:00Z'); // 10:00 in Paris
    expect(isTeamOpen(paris, saturday)).toBe(false);
    expect(nextOpening(paris, saturday)).toEqual(at('2026-11-30T08:00:00Z'));
    // Friday evening and Sunday night belong to the same closed period.
    const key = closedPeriodKey(paris, saturday);
    expect(key).toBe('2026-11-30T08:00:00.000Z');
    expect(closedPeriodKey(paris, at('2026-11-27T16:30:00Z'))).toBe(key); // Friday 17:30
    expect(closedPeriodKey(paris, at('2026-11-30T07:59:00Z'))).toBe(key); // Monday 8:59
    expect(closedPeriodKey(paris, at('2026-11-30T11:45:00Z'))).not.toBe(key); // Monday lunch
  });

  it('is closed on 14 July 2027 (a Wednesday) and opens the next morning', () => {
    const bastilleDay = at('2027-07-14T08:00:00Z'); // 10:00 in Paris
    expect(isTeamOpen(paris, bastilleDay)).toBe(false);
    expect(nextOpening(paris, bastilleDay)).toEqual(at('2027-07-15T07:00:00Z'));
    // From Tuesday 13 July at 17:00 to Thursday 9:00: one closed period.
    expect(closedPeriodKey(paris, at('2027-07-13T15:30:00Z'))).toBe(closedPeriodKey(paris, bastilleDay));
    expect(nextOpening(paris, at('2027-07-13T15:30:00Z'))).toEqual(at('2027-07-15T07:00:00Z'));
    // Without a holiday calendar, it is an ordinary Wednesday.
    expect(isTeamOpen({ ...paris, holidayCalendar: 'none' }, bastilleDay)).toBe(true);
  });

  it('is open on a Tuesday at 10:00; the next opening is after lunch', () => {
    const tuesday = at('2026-11-24T09:00:00Z');
    expect(isTeamOpen(paris, tuesday)).toBe(true);
    expect(nextOpening(paris, tuesday)).toEqual(at('2026-11-24T12:30:00Z')); // 13:30 in Paris
    expect(isTeamOpen(paris, at('2026-11-24T11:45:00Z'))).toBe(false);
  });

  it('skips a closure that spans several days, and opens when it ends mid-slot', () => {
    const closure = { from: at('2026-12-24T11:30:00Z'), until: at('2027-01-04T08:00:00Z'), reason: 'Fermeture de fin d’année' };
    const hours = { ...paris, closures: [closure] };
    expect(isTeamOpen(hours, at('2026-12-24T10:00:00Z'))).toBe(true); // Thursday 11:00, before the closure
    const monday = at('2026-12-28T09:00:00Z');
    expect(isTeamOpen(hours, monday)).toBe(false);
    expect(nextOpening(hours, monday)).toEqual(at('2027-01-04T08:00:00Z'));
    expect(closedPeriodKey(hours, at('2026-12-24T12:00:00Z'))).toBe(closedPeriodKey(hours, at('2027-01-01T12:00:00Z')));
    const untilEleven = { ...paris, closures: [{ from: at('2026-12-29T08:00:00Z'), until: at('2026-12-30T10:00:00Z') }] };
    expect(nextOpening(untilEleven, at('2026-12-29T09:00:00Z'))).toEqual(at('2026-12-30T10:00:00Z')); // Wednesday 11:00
    expect(isTeamOpen(untilEleven, at('2026-12-30T10:00:00Z'))).toBe(true);
  });

  it('follows the clock changes of Paris', () => {
    // Summer time starts on Sunday 29 March 2026: Monday 9:00 is 7:00 UTC, Friday 9:00 was 8:00 UTC.
    expect(nextOpening(paris, at('2026-03-28T11:00:00Z'))).toEqual(at('2026-03-30T07:00:00Z'));
    // It ends on Sunday 25 October 2026: Monday 9:00 is 8:00 UTC again.
    expect(nextOpening(paris, at('2026-10-24T11:00:00Z'))).toEqual(at('2026-10-26T08:00:00Z'));
    expect(isTeamOpen(paris, at('2026-10-26T07:30:00Z'))).toBe(false); // 8:30
    expect(isTeamOpen(paris, at('2026-10-26T08:00:00Z'))).toBe(true); // 9:00
  });

  it('reads the hours of a team in another timezone in that timezone', () => {
    const weekdays: OpeningSlot[] = ([1, 2, 3, 4, 5] as const).map((weekday) => ({ weekday, opens: '09:00', closes: '17:00' }));
    const newYork: TeamHours = { timezone: 'America/New_York', slots: weekdays, closures: [], holidayCalendar: 'none' };
    // US summer time starts on Sunday 8 March 2026: Friday 9:00 is 14:00 UTC, Monday 9:00 is 13:00 UTC.
    expect(nextOpening(newYork, at('2026-03-06T01:00:00Z'))).toEqual(at('2026-03-06T14:00:00Z')); // Thursday 20:00
    expect(nextOpening(newYork, at('2026-03-07T17:00:00Z'))).toEqual(at('2026-03-09T13:00:00Z'));
    expect(isTeamOpen(newYork, at('2026-03-09T13:30:00Z'))).toBe(true);
  });

  it('has no next opening when always open or closed beyond the horizon', () => {
    const open: TeamHours = { timezone: 'Europe/Paris', slots: ROUND_THE_CLOCK_SLOTS, closures: [], holidayCalendar: 'none' };
    expect(isTeamOpen(open, at('2026-11-28T23:59:30Z'))).toBe(true);
    expect(nextOpening(open, at('2026-11-28T23:59:30Z'))).toBeUndefined();
    const longClosure = { ...paris, closures: [{ from: at('2026-06-01T00:00:00Z'), until: at('2026-10-01T00:00:00Z') }] };
    expect(nextOpening(longClosure, at('2026-06-15T09:00:00Z'))).toBeUndefined();
    expect(closedPeriodKey(longClosure, at('2026-06-15T09:00:00Z'))).toBe('unknown-reopening:2026-06-15');
  });

  it('gives a team that never set its slots the default ones and the French calendar', () => {
    const hours = teamHours({ timezone: 'Europe/Paris', officeHours: [], closures: [] });
    expect(hours.slots).toEqual(DEFAULT_OPENING_SLOTS);
    expect(hours.holidayCalendar).toBe('france');
    expect(teamHours({ timezone: 'Europe/Paris', officeHours: [{ weekday: 6, opens: '10:00', closes: '12:00' }], holidayCalendar: 'alsace-moselle' })).toMatchObject({
      slots: [{ weekday: 6, opens: '10:00', closes: '12:00' }],
      holidayCalendar: 'alsace-moselle',
    });
  });
});

describe('weekly hours typed by an administrator', () => {
  it('reads day ranges, several slots and French or English day names', () => {
    expect(parseWeeklySlots('lun-ven 09:00-12:30 13:30-17:00; sam 10:00-12:00')).toEqual([
      ...DEFAULT_OPENING_SLOTS,
      { weekday: 6, opens: '10:00', closes: '12:00' },
    ]);
    expect(parseWeeklySlots('Mon 08:00-24:00; sun 00:00-06:00')).toEqual([
      { weekday: 1, opens: '08:00', closes: '24:00' },
      { weekday: 7, opens: '00:00', closes: '06:00' },
    ]);
  });

  it('says what it cannot read', () => {
    expect(() => parseWeeklySlots('')).toThrow(HoursSpecError);
    expect(() => parseWeeklySlots('lundi')).toThrow(/no hours for "lundi"/);
    expect(() => parseWeeklySlots('ven-lun 09:00-17:00')).toThrow(/not a day or a range of days/);
    expect(() => parseWeeklySlots('lun 9h-17h')).toThrow(/not a range like 09:00-12:30/);
    expect(() => parseWeeklySlots('lun 17:00-09:00')).toThrow(/closes before it opens/);
    expect(() => parseWeeklySlots('lun 09:00-25:00')).toThrow(/not a time of day/);
  });
});
