import { afterEach, describe, expect, it } from 'vitest';
import { formatWhen, recognizeWhen, type WhenCulture, type WhenWindow } from '../../../src/domain/when.js';

const PARIS = 'Europe/Paris';
/** Monday 23 November 2026, 10:00 in Paris (UTC+1). */
const MONDAY_10H = new Date('2026-11-23T09:00:00Z');

function when(text: string, reference = MONDAY_10H, culture?: WhenCulture, timeZone = PARIS) {
  const w = recognizeWhen(text, { reference, timeZone, ...(culture ? { culture } : {}) });
  return w && { start: w.start.toISOString(), end: w.end.toISOString(), kind: w.kind };
}

describe('recognizeWhen', () => {
  it.each(['demain à 14h', 'demain a 14h', '2main 14 h', 'demin 14H', 'rappelez moi demain vers 14h svp'])('%j is tomorrow 14:00–14:30', (t) => {
    expect(when(t)).toEqual({ start: '2026-11-24T13:00:00.000Z', end: '2026-11-24T13:30:00.000Z', kind: 'datetime' });
  });

  it('reads "lundi matin" on a Monday morning as the rest of this morning, later as next Monday', () => {
    expect(when('lundi matin')).toEqual({ start: '2026-11-23T09:00:00.000Z', end: '2026-11-23T11:00:00.000Z', kind: 'date+part-of-day' });
    expect(when('lundi matin', new Date('2026-11-23T10:30:00Z'))).toEqual({
      start: '2026-11-30T07:00:00.000Z',
      end: '2026-11-30T11:00:00.000Z',
      kind: 'date+part-of-day',
    });
  });

  it('reads "matin" as today until 11:00, then tomorrow', () => {
    expect(when('le matin', new Date('2026-11-23T09:59:00Z'))).toEqual({
      start: '2026-11-23T09:59:00.000Z',
      end: '2026-11-23T11:00:00.000Z',
      kind: 'part-of-day',
    });
    expect(when('matin', new Date('2026-11-23T10:00:00Z'))).toEqual({
      start: '2026-11-24T07:00:00.000Z',
      end: '2026-11-24T11:00:00.000Z',
      kind: 'part-of-day',
    });
  });

  it.each([
    ['après-midi', '2026-11-23T13:00:00.000Z', '2026-11-23T17:00:00.000Z', 'part-of-day'],
    ['apres midi', '2026-11-23T13:00:00.000Z', '2026-11-23T17:00:00.000Z', 'part-of-day'],
    ['cet aprem', '2026-11-23T13:00:00.000Z', '2026-11-23T17:00:00.000Z', 'part-of-day'],
    ['demain aprem', '2026-11-24T13:00:00.000Z', '2026-11-24T17:00:00.000Z', 'date+part-of-day'],
    ['ce soir', '2026-11-23T17:00:00.000Z', '2026-11-23T19:00:00.000Z', 'part-of-day'],
    ['midi', '2026-11-23T11:00:00.000Z', '2026-11-23T13:00:00.000Z', 'part-of-day'],
    ['demain midi', '2026-11-24T11:00:00.000Z', '2026-11-24T13:00:00.000Z', 'date+part-of-day'],
    ['jeudi 10h', '2026-11-26T09:00:00.000Z', '2026-11-26T09:30:00.000Z', 'datetime'],
    ['le 3 décembre à 9h30', '2026-12-03T08:30:00.000Z', '2026-12-03T09:00:00.000Z', 'datetime'],
    ['le 3/12 à 9 h 30', '2026-12-03T08:30:00.000Z', '2026-12-03T09:00:00.000Z', 'datetime'],
    ['mardi entre 14h et 16h', '2026-11-24T13:00:00.000Z', '2026-11-24T15:00:00.000Z', 'datetime-range'],
    ['mardi entre 14 et 16h', '2026-11-24T13:00:00.000Z', '2026-11-24T15:00:00.000Z', 'datetime-range'],
    ['mardi 14-16h', '2026-11-24T13:00:00.000Z', '2026-11-24T15:00:00.000Z', 'datetime-range'],
    ['mardi 24/11', '2026-11-24T07:00:00.000Z', '2026-11-24T19:00:00.000Z', 'date'],
    ['après demain', '2026-11-25T07:00:00.000Z', '2026-11-25T19:00:00.000Z', 'date'],
    ['à 3h', '2026-11-23T14:00:00.000Z', '2026-11-23T14:30:00.000Z', 'time'],
    ['demain soir 8h', '2026-11-24T19:00:00.000Z', '2026-11-24T19:30:00.000Z', 'datetime'],
    ['dans 2 heures', '2026-11-23T11:00:00.000Z', '2026-11-23T11:30:00.000Z', 'relative'],
    ['tout de suite', '2026-11-23T09:00:00.000Z', '2026-11-23T09:30:00.000Z', 'now'],
    ["n'importe quand", '2026-11-23T09:00:00.000Z', '2026-11-24T09:00:00.000Z', 'anytime'],
    ['quand vous voulez', '2026-11-23T09:00:00.000Z', '2026-11-24T09:00:00.000Z', 'anytime'],
  ])('%j → %s – %s (%s)', (text, start, end, kind) => {
    expect(when(text)).toEqual({ start, end, kind });
  });

  it('moves a time already gone today to tomorrow', () => {
    expect(when('à 9h')).toEqual({ start: '2026-11-24T08:00:00.000Z', end: '2026-11-24T08:30:00.000Z', kind: 'time' });
    const at15h = new Date('2026-11-23T14:00:00Z');
    expect(when('à 14h', at15h)?.start).toBe('2026-11-24T13:00:00.000Z');
    expect(when('à 16h', at15h)?.start).toBe('2026-11-23T15:00:00.000Z');
  });

  it('uses the offset of the day meant, across the spring and autumn changes', () => {
    // Saturday 27 March 2027, 10:00 in Paris (UTC+1); Sunday 28 is in summer time (UTC+2).
    const saturday = new Date('2027-03-27T09:00:00Z');
    expect(when('demain à 14h', saturday)).toEqual({ start: '2027-03-28T12:00:00.000Z', end: '2027-03-28T12:30:00.000Z', kind: 'datetime' });
    expect(when('demain matin', saturday)).toEqual({ start: '2027-03-28T06:00:00.000Z', end: '2027-03-28T10:00:00.000Z', kind: 'date+part-of-day' });
    // 01:30 on the night of the change: two hours later is 04:30 on the wall clock.
    const night = new Date('2027-03-28T00:30:00Z');
    expect(when('dans 2 heures', night)?.start).toBe('2027-03-28T02:30:00.000Z');
    // Saturday 24 October 2026, 10:00 in Paris (UTC+2); Sunday 25 is back in winter time (UTC+1).
    expect(when('demain à 14h', new Date('2026-10-24T08:00:00Z'))?.start).toBe('2026-10-25T13:00:00.000Z');
  });

  it('reads the day in the team timezone', () => {
    // 09:00 UTC on Monday 23 is 22:00 in Auckland: "demain" is Tuesday 24 there too, at 14:00 NZDT (UTC+13).
    expect(when('demain à 14h', MONDAY_10H, 'fr-fr', 'Pacific/Auckland')?.start).toBe('2026-11-24T01:00:00.000Z');
    // 23:30 on Monday in Paris is already Tuesday in UTC: "demain" is still Tuesday.
    expect(when('demain à 14h', new Date('2026-11-23T22:30:00Z'))?.start).toBe('2026-11-24T13:00:00.000Z');
  });

  it('understands English', () => {
    expect(when('tomorrow at 2pm', MONDAY_10H, 'en-us')).toEqual({ start: '2026-11-24T13:00:00.000Z', end: '2026-11-24T13:30:00.000Z', kind: 'datetime' });
    expect(when('tuesday between 2pm and 4pm', MONDAY_10H, 'en-us')).toEqual({
      start: '2026-11-24T13:00:00.000Z',
      end: '2026-11-24T15:00:00.000Z',
      kind: 'datetime-range',
    });
    expect(when('this afternoon', MONDAY_10H, 'en-us')?.start).toBe('2026-11-23T13:00:00.000Z');
  });

  it.each([
    'bonjour', 'oui', 'merci', '2', '', 'la semaine prochaine', 'tout à l’heure',
    // two answers, a weekday that is not that date, a date that has gone, 03:00–14:00: a human reads them
    'lundi ou mardi', 'matin ou soir', 'mercredi 24/11', 'le 23/11/2025', "aujourd'hui à 9h", 'le 3 à 14h',
  ])('%j gives no window', (t) => {
    expect(when(t)).toBeUndefined();
  });

  describe('whatever the server clock zone', () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });
    it.each(['UTC', 'Pacific/Auckland', 'America/Los_Angeles', 'Europe/Paris'])('gives the same windows with TZ=%s', (tz) => {
      process.env.TZ = tz;
      expect(when('demain à 14h', new Date('2027-03-27T09:00:00Z'))?.start).toBe('2027-03-28T12:00:00.000Z');
      expect(when('lundi matin')?.end).toBe('2026-11-23T11:00:00.000Z');
      expect(when('dans 2 heures', new Date('2027-03-28T00:30:00Z'))?.start).toBe('2027-03-28T02:30:00.000Z');
    });
  });
});

describe('formatWhen', () => {
  const window: WhenWindow = { start: new Date('2026-11-24T13:00:00Z'), end: new Date('2026-11-24T13:30:00Z'), kind: 'datetime' };

  it('writes the window in French or English, in the team timezone', () => {
    expect(formatWhen(window, PARIS, 'fr')).toBe('mardi 24/11 entre 14:00 et 14:30');
    expect(formatWhen(window, PARIS, 'en')).toBe('Tue 24/11 between 14:00 and 14:30');
    expect(formatWhen(window, 'Pacific/Auckland', 'fr-FR')).toBe('mercredi 25/11 entre 02:00 et 02:30');
  });

  it('names both days when the window runs over midnight', () => {
    const anytime = recognizeWhen('quand vous voulez', { reference: MONDAY_10H, timeZone: PARIS });
    expect(anytime && formatWhen(anytime, PARIS, 'fr')).toBe('du lundi 23/11 10:00 au mardi 24/11 10:00');
    expect(anytime && formatWhen(anytime, PARIS, 'en-GB')).toBe('from Mon 23/11 10:00 to Tue 24/11 10:00');
  });
});
