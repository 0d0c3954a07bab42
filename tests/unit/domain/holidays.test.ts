import { describe, expect, it } from 'vitest';
import { easterSunday, HOLIDAY_CALENDARS, holidayOn, publicHolidays } from '../../../src/domain/holidays.js';

describe('French public holidays', () => {
  it('finds Easter by the Gregorian computus', () => {
    expect(easterSunday(2026)).toBe('2026-04-05');
    expect(easterSunday(2027)).toBe('2027-03-28');
    // Known dates, early and late: 2285 has the earliest possible Easter (22 March), 2038 the latest (25 April).
    expect([2019, 2024, 2025, 2038, 2285].map(easterSunday)).toEqual(['2019-04-21', '2024-03-31', '2025-04-20', '2038-04-25', '2285-03-22']);
  });

  it('lists the eleven holidays of 2026, in date order, with their French names', () => {
    expect(publicHolidays(2026, 'france')).toEqual([
      { date: '2026-01-01', name: "Jour de l'an" },
      { date: '2026-04-06', name: 'Lundi de Pâques' },
      { date: '2026-05-01', name: 'Fête du Travail' },
      { date: '2026-05-08', name: 'Victoire 1945' },
      { date: '2026-05-14', name: 'Ascension' },
      { date: '2026-05-25', name: 'Lundi de Pentecôte' },
      { date: '2026-07-14', name: 'Fête nationale' },
      { date: '2026-08-15', name: 'Assomption' },
      { date: '2026-11-01', name: 'Toussaint' },
      { date: '2026-11-11', name: 'Armistice 1918' },
      { date: '2026-12-25', name: 'Noël' },
    ]);
  });

  it('moves the Easter holidays with Easter in 2027', () => {
    const days = publicHolidays(2027, 'france').map((h) => h.date);
    expect(days).toHaveLength(11);
    expect(days).toEqual(expect.arrayContaining(['2027-03-29', '2027-05-06', '2027-05-17', '2027-07-14']));
    expect(holidayOn('2027-07-14', 'france')?.name).toBe('Fête nationale');
    expect(holidayOn('2027-07-13', 'france')).toBeUndefined();
  });

  it('adds Good Friday and St Stephen for Alsace-Moselle, and nothing for "none"', () => {
    expect(publicHolidays(2026, 'alsace-moselle')).toHaveLength(13);
    expect(holidayOn('2026-04-03', 'alsace-moselle')?.name).toBe('Vendredi saint');
    expect(holidayOn('2027-03-26', 'alsace-moselle')?.name).toBe('Vendredi saint');
    expect(holidayOn('2027-12-26', 'alsace-moselle')?.name).toBe('Saint-Étienne');
    expect(holidayOn('2027-03-26', 'france')).toBeUndefined();
    expect(publicHolidays(2027, 'none')).toEqual([]);
    expect(holidayOn('2027-07-14', 'none')).toBeUndefined();
  });
});

describe('overseas public holidays', () => {
  const ABOLITION = [
    ['mayotte', '04-27'],
    ['martinique', '05-22'],
    ['guadeloupe', '05-27'],
    ['saint-martin', '05-28'],
    ['guyane', '06-10'],
    ['saint-barthelemy', '10-09'],
    ['reunion', '12-20'],
  ] as const;

  it.each(ABOLITION)('closes %s on the day slavery was abolished there (%s), every year', (calendar, monthDay) => {
    for (const year of [2026, 2027, 2030]) {
      expect(publicHolidays(year, calendar)).toContainEqual({ date: `${year}-${monthDay}`, name: "Abolition de l'esclavage" });
      expect(holidayOn(`${year}-${monthDay}`, calendar)).toBeDefined();
      expect(publicHolidays(year, calendar)).toHaveLength(12);
    }
  });

  it('keeps both holidays when they fall on one day (Guyane, 10 June 2030, is also Whit Monday)', () => {
    expect(publicHolidays(2030, 'guyane').filter((h) => h.date === '2030-06-10').map((h) => h.name).sort()).toEqual(["Abolition de l'esclavage", 'Lundi de Pentecôte']);
  });

  it.each(ABOLITION)('keeps the national holidays in %s, and its own day only there', (calendar, monthDay) => {
    const national = publicHolidays(2026, 'france');
    const here = publicHolidays(2026, calendar);
    expect(here).toEqual(expect.arrayContaining(national));
    expect(holidayOn(`2026-${monthDay}`, 'france')).toBeUndefined();
    for (const [other, otherDay] of ABOLITION) if (otherDay !== monthDay) expect(holidayOn(`2026-${otherDay}`, calendar), `${other} in ${calendar}`).toBeUndefined();
    const dates = here.map((h) => h.date);
    expect(dates).toEqual([...dates].sort());
  });

  it('gives Saint-Pierre-et-Miquelon the national set, and Réunion its 20 December beside Christmas', () => {
    expect(publicHolidays(2026, 'saint-pierre-et-miquelon')).toEqual(publicHolidays(2026, 'france'));
    const reunion = publicHolidays(2026, 'reunion').map((h) => h.date);
    expect(reunion.slice(-2)).toEqual(['2026-12-20', '2026-12-25']);
    expect(holidayOn('2026-12-19', 'reunion')).toBeUndefined();
    // Easter moves overseas too.
    expect(holidayOn('2027-03-29', 'martinique')?.name).toBe('Lundi de Pâques');
  });

  it('offers every overseas calendar by the name the admin command takes', () => {
    expect(HOLIDAY_CALENDARS).toEqual(
      expect.arrayContaining(['france', 'alsace-moselle', 'none', 'reunion', 'mayotte', 'guadeloupe', 'martinique', 'guyane', 'saint-martin', 'saint-barthelemy', 'saint-pierre-et-miquelon']),
    );
  });
});
