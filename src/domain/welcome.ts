/**
 * The hours of the day a person welcomes messages (their preference, "HH:MM" to "HH:MM" in the team's
 * timezone). What Lien sends on its own (a reminder, an acknowledgement) waits for them; an answer to
 * something the person just asked never does. A window may run past midnight (20:00 to 08:00).
 */
import { formatClock, localTime, parseClock, zonedInstant } from './office-hours.js';

export interface WelcomeWindow {
  welcomeFrom: string;
  welcomeUntil: string;
}

const DEFAULT: WelcomeWindow = { welcomeFrom: '08:00', welcomeUntil: '20:00' };

function minutes(w: Partial<WelcomeWindow> | null | undefined): { from: number; until: number } {
  const read = (v: string | undefined | null, def: string) => {
    try {
      return parseClock(v ?? def);
    } catch {
      return parseClock(def);
    }
  };
  return { from: read(w?.welcomeFrom, DEFAULT.welcomeFrom), until: read(w?.welcomeUntil, DEFAULT.welcomeUntil) };
}

/** True when `at` falls in the person's window (from included, until excluded). */
export function isWelcomeAt(window: Partial<WelcomeWindow> | null | undefined, at: Date, timeZone: string): boolean {
  const { from, until } = minutes(window);
  const now = localTime(at, timeZone).minutes;
  if (from === until) return true; // a window of the whole day
  return from < until ? now >= from && now < until : now >= from || now < until;
}

/** The next instant, strictly after `at` or at it, at which the person's window opens. */
export function nextWelcomeStart(window: Partial<WelcomeWindow> | null | undefined, at: Date, timeZone: string): Date {
  if (isWelcomeAt(window, at, timeZone)) return at;
  const { from } = minutes(window);
  const clock = formatClock(from);
  const today = localTime(at, timeZone).date;
  const candidate = zonedInstant(today, clock, timeZone);
  if (candidate.getTime() > at.getTime()) return candidate;
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const tomorrow = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
  return zonedInstant(tomorrow, clock, timeZone);
}
