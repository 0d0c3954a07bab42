/**
 * French public holidays (jours fériés), computed for any year rather than listed year by year: eight fixed
 * dates and three that follow Easter (Gregorian computus). Alsace-Moselle keeps two more under its local
 * law (Good Friday, St Stephen's Day). Overseas, each department or collectivity adds the day of the abolition
 * of slavery (loi 83-550 of 30 June 1983, décret 83-1003 as amended): Mayotte 27 April, Martinique 22 May,
 * Guadeloupe 27 May, Saint-Martin 28 May, Guyane 10 June, Saint-Barthélemy 9 October, Réunion 20 December;
 * Saint-Pierre-et-Miquelon keeps the national set. Dates are local calendar dates ("YYYY-MM-DD"), read in a
 * team's own timezone by whoever asks.
 */

export const HOLIDAY_CALENDARS = [
  'france',
  'alsace-moselle',
  'reunion',
  'mayotte',
  'guadeloupe',
  'martinique',
  'guyane',
  'saint-martin',
  'saint-barthelemy',
  'saint-pierre-et-miquelon',
  'none',
] as const;
export type HolidayCalendar = (typeof HOLIDAY_CALENDARS)[number];

export interface Holiday {
  /** Local calendar date, "YYYY-MM-DD". */
  date: string;
  /** Its usual French name. */
  name: string;
}

function iso(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher), "YYYY-MM-DD". */
export function easterSunday(year: number): string {
  if (!Number.isInteger(year) || year < 1583) throw new RangeError(`not a Gregorian year: ${year}`);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return iso(year, month, day);
}

/** The date `days` after (or before, when negative) a "YYYY-MM-DD" date. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

const FIXED: ReadonlyArray<readonly [month: number, day: number, name: string]> = [
  [1, 1, "Jour de l'an"],
  [5, 1, 'Fête du Travail'],
  [5, 8, 'Victoire 1945'],
  [7, 14, 'Fête nationale'],
  [8, 15, 'Assomption'],
  [11, 1, 'Toussaint'],
  [11, 11, 'Armistice 1918'],
  [12, 25, 'Noël'],
];

/** The abolition of slavery day of each overseas calendar that has one. */
const ABOLITION_OF_SLAVERY: Partial<Record<HolidayCalendar, readonly [month: number, day: number]>> = {
  mayotte: [4, 27],
  martinique: [5, 22],
  guadeloupe: [5, 27],
  'saint-martin': [5, 28],
  guyane: [6, 10],
  'saint-barthelemy': [10, 9],
  reunion: [12, 20],
};

const cache = new Map<string, Holiday[]>();

/** The public holidays of a year under a calendar, in date order. */
export function publicHolidays(year: number, calendar: HolidayCalendar): Holiday[] {
  if (calendar === 'none') return [];
  const key = `${calendar}:${year}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const easter = easterSunday(year);
  const days: Holiday[] = [
    ...FIXED.map(([month, day, name]) => ({ date: iso(year, month, day), name })),
    { date: addDays(easter, 1), name: 'Lundi de Pâques' },
    { date: addDays(easter, 39), name: 'Ascension' },
    { date: addDays(easter, 50), name: 'Lundi de Pentecôte' },
  ];
  if (calendar === 'alsace-moselle') days.push({ date: addDays(easter, -2), name: 'Vendredi saint' }, { date: iso(year, 12, 26), name: 'Saint-Étienne' });
  const abolition = ABOLITION_OF_SLAVERY[calendar];
  if (abolition) days.push({ date: iso(year, abolition[0], abolition[1]), name: "Abolition de l'esclavage" });
  days.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
  cache.set(key, days);
  return days;
}

/** The public holiday falling on a local date ("YYYY-MM-DD"), if any. */
export function holidayOn(date: string, calendar: HolidayCalendar): Holiday | undefined {
  const year = Number(date.slice(0, 4));
  return publicHolidays(year, calendar).find((h) => h.date === date);
}
