/** Dates as workers type them in a room command: "30/11", "30/11/2026", "30.11.26", "30-11-2026". */

export class UnreadableDateError extends Error {
  constructor(readonly input: string) {
    super(`not a date: ${input}`);
    this.name = 'UnreadableDateError';
  }
}

/** Whether day/month is a day of that (Gregorian) year: 31/04 never is, 29/02 only in a leap year. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const probe = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  probe.setUTCFullYear(year, month - 1, day);
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

function iso(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * A day given as DD/MM, DD/MM/YYYY or DD/MM/YY (20YY), read relative to `today` ("YYYY-MM-DD" in the team's
 * timezone). With a year, that day of that year ("10/12/2099" is in 2099); without one, the next such day from
 * today on (today included; 29/02 is the next one of a leap year). Returns "YYYY-MM-DD"; throws
 * UnreadableDateError for what is not a date or a day no calendar has (31/02, 00/10, 12/13).
 */
export function parseDayMonth(input: string, today: string): string {
  const m = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$/.exec(input.trim());
  if (!m) throw new UnreadableDateError(input);
  const day = Number(m[1]);
  const month = Number(m[2]);
  if (m[3]) {
    const year = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
    if (year < 1583 || !isCalendarDay(year, month, day)) throw new UnreadableDateError(input);
    return iso(year, month, day);
  }
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  const upcoming = month > tm || (month === tm && day >= td);
  // A day that is not in the next eight years is in no year (29/02 comes back within eight).
  for (let year = upcoming ? ty : ty + 1; year <= ty + 8; year++) if (isCalendarDay(year, month, day)) return iso(year, month, day);
  throw new UnreadableDateError(input);
}
