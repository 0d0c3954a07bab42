/** A team's office hours, read in the team's own timezone, never the server's clock zone. */
import type { Closure, OpeningSlot } from './types.js';

export interface LocalTime {
  /** ISO weekday, 1 = Monday … 7 = Sunday */
  weekday: number;
  /** minutes since local midnight */
  minutes: number;
  /** local calendar date, "YYYY-MM-DD" */
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export function localTime(at: Date, timeZone: string): LocalTime {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
  return {
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

/** Minutes since midnight of "HH:MM"; "24:00" (the end of a day, for a slot that closes at midnight) is 1440. */
export function parseClock(hhmm: string): number {
  if (hhmm === '24:00') return 24 * 60;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new Error(`not a time of day (HH:MM): ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Minutes since midnight → "HH:MM" (the inverse of parseClock). */
export function formatClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** True when `at` falls inside one of the weekly slots and inside no closure. */
export function isOpen(slots: readonly OpeningSlot[], closures: readonly Closure[], timeZone: string, at: Date): boolean {
  if (closures.some((c) => at >= c.from && at < c.until)) return false;
  const t = localTime(at, timeZone);
  return slots.some((s) => s.weekday === t.weekday && t.minutes >= parseClock(s.opens) && t.minutes < parseClock(s.closes));
}

/** Monday to Friday, 9:00–12:30 and 13:30–17:00: the default for a new team. */
export const DEFAULT_OPENING_SLOTS: OpeningSlot[] = ([1, 2, 3, 4, 5] as const).flatMap((weekday) => [
  { weekday, opens: '09:00', closes: '12:30' },
  { weekday, opens: '13:30', closes: '17:00' },
]);

/** The instant at which the wall clock in `timeZone` shows `date` ("YYYY-MM-DD") at `clock` ("HH:MM"). */
export function zonedInstant(date: string, clock: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const minutes = parseClock(clock);
  const wanted = Date.UTC(y, m - 1, d, Math.floor(minutes / 60), minutes % 60);
  // Start from the wall-clock time read as UTC, then correct by the zone's offset (twice, across a DST change).
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const t = localTime(new Date(guess), timeZone);
    const [ly, lm, ld] = t.date.split('-').map(Number) as [number, number, number];
    const seen = Date.UTC(ly, lm - 1, ld, Math.floor(t.minutes / 60), t.minutes % 60);
    guess += wanted - seen;
  }
  return new Date(guess);
}
