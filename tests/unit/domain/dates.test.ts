import { describe, expect, it } from 'vitest';
import { parseDayMonth, UnreadableDateError } from '../../../src/domain/dates.js';

describe('dates typed in room commands', () => {
  const today = '2026-12-02';

  it.each([
    ['10/12/2099', '2099-12-10'],
    ['10/12/99', '2099-12-10'],
    ['10.12.2099', '2099-12-10'],
    ['10-12-2099', '2099-12-10'],
    ['1/2/2030', '2030-02-01'],
    ['01/02/30', '2030-02-01'],
    ['29/02/2028', '2028-02-29'],
    ['29/02/2000', '2000-02-29'],
    ['31/12/2026', '2026-12-31'],
    // A year given is the year meant, even a past one (the caller says whether the past will do).
    ['10/12/2025', '2025-12-10'],
    ['01/01/26', '2026-01-01'],
    [' 24/11/2027 ', '2027-11-24'],
  ])('reads %s with its year as %s', (input, expected) => {
    expect(parseDayMonth(input, today)).toBe(expected);
  });

  it.each([
    ['02/12', '2026-12-02'], // today
    ['03/12', '2026-12-03'],
    ['31/12', '2026-12-31'],
    ['01/12', '2027-12-01'], // yesterday: next year's
    ['10/01', '2027-01-10'],
    ['1.6', '2027-06-01'],
    ['29/02', '2028-02-29'], // the next 29 February is in 2028
  ])('reads %s without a year as the next such day, %s', (input, expected) => {
    expect(parseDayMonth(input, today)).toBe(expected);
  });

  it('finds the next 29 February from any day, and keeps today as today', () => {
    expect(parseDayMonth('29/02', '2028-02-29')).toBe('2028-02-29');
    expect(parseDayMonth('29/02', '2028-03-01')).toBe('2032-02-29');
    expect(parseDayMonth('29/02', '2096-03-01')).toBe('2104-02-29'); // 2100 is no leap year
    expect(parseDayMonth('28/02', '2027-03-01')).toBe('2028-02-28');
  });

  it.each(['31/02', '31/02/2027', '29/02/2027', '29/02/2100', '31/04', '31/06/2030', '00/10', '10/00', '12/13', '32/01', '10/12/0099', '1/1/1500', '', 'demain', '10/12/209', '10/12/20999', '10 12', '10/12/', '/12', '10//12', '1O/12', '10/12/2099 14:00', '٣/١٢'])(
    'refuses %j with UnreadableDateError',
    (input) => {
      expect(() => parseDayMonth(input, today)).toThrow(UnreadableDateError);
    },
  );

  it('keeps what was typed on the error', () => {
    try {
      parseDayMonth('31/02', today);
      expect.unreachable();
    } catch (err) {
      expect((err as UnreadableDateError).input).toBe('31/02');
    }
  });
});
