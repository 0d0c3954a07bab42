/**
 * When a team is open, and when it opens next: its weekly slots, read in its own timezone, minus public
 * holidays and closures. Pure: the instant to judge is always given, never read from a clock.
 */
import { addDays, holidayOn, HOLIDAY_CALENDARS, type HolidayCalendar } from './holidays.js';
import { DEFAULT_OPENING_SLOTS, isOpen, localTime, parseClock, zonedInstant } from './office-hours.js';
import type { Closure, OpeningSlot } from './types.js';

export interface TeamHours {
  timezone: string;
  /** Weekly opening slots; never empty here (see `teamHours`). */
  slots: readonly OpeningSlot[];
  closures: readonly Closure[];
  holidayCalendar: HolidayCalendar;
}

/** Every day, all day: a team that works around the clock (with holidayCalendar 'none', never closed). */
export const ROUND_THE_CLOCK_SLOTS: OpeningSlot[] = ([1, 2, 3, 4, 5, 6, 7] as const).map((weekday) => ({ weekday, opens: '00:00', closes: '24:00' }));

/** How far ahead `nextOpening` looks before it gives up (a long closure, a team with no slots). */
export const OPENING_HORIZON_DAYS = 60;

/** The hours of a team as stored; a team that never set its slots has the default ones. */
export function teamHours(team: {
  timezone?: string | null;
  officeHours?: ReadonlyArray<{ weekday: number; opens: string; closes: string }> | null;
  closures?: ReadonlyArray<{ from: Date; until: Date; reason?: string | null }> | null;
  holidayCalendar?: string | null;
}): TeamHours {
  const slots = (team.officeHours ?? []).map((s) => ({ weekday: s.weekday as OpeningSlot['weekday'], opens: s.opens, closes: s.closes }));
  const calendar = (HOLIDAY_CALENDARS as readonly string[]).includes(team.holidayCalendar ?? '') ? (team.holidayCalendar as HolidayCalendar) : 'france';
  return {
    timezone: team.timezone || 'Europe/Paris',
    slots: slots.length > 0 ? slots : DEFAULT_OPENING_SLOTS,
    closures: (team.closures ?? []).map((c) => ({ from: c.from, until: c.until, ...(c.reason ? { reason: c.reason } : {}) })),
    holidayCalendar: calendar,
  };
}

function inClosure(closures: readonly Closure[], ms: number): boolean {
  return closures.some((c) => ms >= c.from.getTime() && ms < c.until.getTime());
}

/** Open at `at`: inside a weekly slot, on a day that is no public holiday, and inside no closure. */
export function isTeamOpen(hours: TeamHours, at: Date): boolean {
  if (inClosure(hours.closures, at.getTime())) return false;
  if (holidayOn(localTime(at, hours.timezone).date, hours.holidayCalendar)) return false;
  return isOpen(hours.slots, [], hours.timezone, at);
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a calendar date "YYYY-MM-DD". */
function weekdayOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
}

/** [start, end) intervals (ms) of `intervals` outside every closure. */
function withoutClosures(intervals: Array<[number, number]>, closures: readonly Closure[]): Array<[number, number]> {
  let pieces = intervals;
  for (const c of closures) {
    const from = c.from.getTime();
    const until = c.until.getTime();
    pieces = pieces.flatMap(([s, e]): Array<[number, number]> => {
      if (until <= s || from >= e) return [[s, e]];
      const kept: Array<[number, number]> = [];
      if (from > s) kept.push([s, from]);
      if (until < e) kept.push([until, e]);
      return kept;
    });
  }
  return pieces;
}

/** The open intervals of one local day, in order (slots closing at or before they open are ignored). */
function openIntervalsOn(hours: TeamHours, date: string): Array<[number, number]> {
  if (holidayOn(date, hours.holidayCalendar)) return [];
  const weekday = weekdayOf(date);
  const intervals = hours.slots
    .filter((s) => s.weekday === weekday)
    .map((s): [number, number] => [zonedInstant(date, s.opens, hours.timezone).getTime(), zonedInstant(date, s.closes, hours.timezone).getTime()])
    .filter(([s, e]) => e > s);
  return withoutClosures(intervals, hours.closures).sort((a, b) => a[0] - b[0]);
}

/**
 * The next instant after `at` at which the team opens (goes from closed to open), holidays and closures
 * skipped; undefined when it does not open within `horizonDays`. When the team is open at `at`, that is
 * the opening after the current stretch (slots that touch make one stretch).
 */
export function nextOpening(hours: TeamHours, at: Date, horizonDays = OPENING_HORIZON_DAYS): Date | undefined {
  const atMs = at.getTime();
  const today = localTime(at, hours.timezone).date;
  let openUntil = -Infinity; // end of the open stretch seen so far
  for (let i = -1; i <= horizonDays; i++) {
    for (const [start, end] of openIntervalsOn(hours, addDays(today, i))) {
      if (start > atMs && start > openUntil) return new Date(start);
      openUntil = Math.max(openUntil, end);
    }
  }
  return undefined;
}

/**
 * A stable name for the closed period that contains `at`: the ISO instant at which it ends (the next
 * opening), so every instant of one closed period has the same key. When no opening is in sight, one
 * key per local day. Meant for instants when the team is closed.
 */
export function closedPeriodKey(hours: TeamHours, at: Date): string {
  const next = nextOpening(hours, at);
  return next ? next.toISOString() : `unknown-reopening:${localTime(at, hours.timezone).date}`;
}

export class HoursSpecError extends Error {
  constructor(spec: string, reason: string) {
    super(`cannot read the hours "${spec}": ${reason}. Write them like "lun-ven 09:00-12:30 13:30-17:00; sam 10:00-12:00"`);
    this.name = 'HoursSpecError';
  }
}

const DAY_NAMES: Record<string, OpeningSlot['weekday']> = {
  lun: 1, mar: 2, mer: 3, jeu: 4, ven: 5, sam: 6, dim: 7,
  mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7,
};

/**
 * Weekly slots from a line an administrator can type: groups separated by ";", each a day or a range of
 * days (French or English, three letters) then one or more "HH:MM-HH:MM".
 */
export function parseWeeklySlots(spec: string): OpeningSlot[] {
  const slots: OpeningSlot[] = [];
  for (const group of spec.split(';').map((g) => g.trim()).filter(Boolean)) {
    const [days = '', ...ranges] = group.split(/\s+/);
    const [from, to = from] = days.toLowerCase().split('-').map((d) => DAY_NAMES[d.slice(0, 3)]);
    if (!from || !to || to < from) throw new HoursSpecError(spec, `"${days}" is not a day or a range of days`);
    if (ranges.length === 0) throw new HoursSpecError(spec, `no hours for "${days}"`);
    for (const range of ranges) {
      const m = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(range);
      if (!m) throw new HoursSpecError(spec, `"${range}" is not a range like 09:00-12:30`);
      const [, opens = '', closes = ''] = m;
      try {
        if (parseClock(closes) <= parseClock(opens)) throw new HoursSpecError(spec, `"${range}" closes before it opens`);
      } catch (err) {
        throw err instanceof HoursSpecError ? err : new HoursSpecError(spec, (err as Error).message);
      }
      for (let weekday = from; weekday <= to; weekday++) slots.push({ weekday: weekday as OpeningSlot['weekday'], opens, closes });
    }
  }
  if (slots.length === 0) throw new HoursSpecError(spec, 'no slot at all');
  return slots.sort((a, b) => a.weekday - b.weekday || parseClock(a.opens) - parseClock(b.opens));
}
