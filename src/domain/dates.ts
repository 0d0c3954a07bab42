/** Dates as workers type them in a room command: "30/11", "30/11/2026", "30.11.26". */

export class UnreadableDateError extends Error {
  constructor(readonly input: string) {
    super(`not a date: ${input}`);
    this.name = 'UnreadableDateError';
  }
}

/**
 * A day given as DD/MM[/YYYY], read relative to `today` ("YYYY-MM-DD" in the team's timezone): without a
 * year, the next such day from today on. Returns "YYYY-MM-DD".
 */
export function parseDayMonth(input: string, today: string): string {
  const m = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$/.exec(input.trim());
  if (!m) throw new UnreadableDateError(input);
  const day = Number(m[1]);
  const month = Number(m[2]);
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  let year = m[3] ? Number(m[3].length === 2 ? `20${m[3]}` : m[3]) : ty;
  if (!m[3] && (month < tm || (month === tm && day < td))) year += 1;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) throw new UnreadableDateError(input);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
