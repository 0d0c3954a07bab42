/**
 * Appointments as people read them ("mardi 24/11 à 14:30"), and when their reminder is due. Pure: the
 * instant to judge is always given.
 */
import { localTime } from './office-hours.js';
import { dateLocale } from './types.js';

/** The scheduled job that sends one appointment's reminder (defined in scheduler/jobs/appointment-reminders.ts). */
export const APPOINTMENT_REMINDER_JOB = 'appointment.reminder';

/** A reminder goes the day before, at the appointment's own time of day. */
export const REMINDER_LEAD_MS = 24 * 3600_000;
/** Closer than this to the appointment, a reminder is no use any more. */
export const REMINDER_TOO_LATE_MS = 3600_000;

/**
 * When the reminder of an appointment starting at `startsAt` should go: the day before, or at once for
 * an appointment set less than a day ahead; undefined when it starts within the hour (or is past).
 */
export function reminderDueAt(startsAt: Date, now: Date): Date | undefined {
  if (startsAt.getTime() - now.getTime() < REMINDER_TOO_LATE_MS) return undefined;
  return new Date(Math.max(now.getTime(), startsAt.getTime() - REMINDER_LEAD_MS));
}

export interface AppointmentWhen {
  /** "mardi", "Tuesday" */
  weekday: string;
  /** "24/11" */
  date: string;
  /** "14:30" */
  time: string;
}

/** The day and time of an appointment in the team's timezone, with the weekday in the reader's language. */
export function describeAppointment(startsAt: Date, timeZone: string, language: string): AppointmentWhen {
  const t = localTime(startsAt, timeZone);
  const [, month, day] = t.date.split('-');
  const weekday = new Intl.DateTimeFormat(dateLocale(language), { timeZone, weekday: 'long' }).format(startsAt);
  const hh = String(Math.floor(t.minutes / 60)).padStart(2, '0');
  const mm = String(t.minutes % 60).padStart(2, '0');
  return { weekday, date: `${day}/${month}`, time: `${hh}:${mm}` };
}

/** "14:30", "14h30", "14h", "9h" → "HH:MM"; undefined when it is not a time of day. */
export function parseTimeOfDay(input: string): string | undefined {
  const m = /^([01]?\d|2[0-3])\s*(?:[h:.]\s*([0-5]\d)?)?$/iu.exec(input.trim());
  if (!m) return undefined;
  if (!m[2] && !/[h:.]/iu.test(input)) return undefined; // "14" alone is not a time
  return `${m[1]?.padStart(2, '0')}:${m[2] ?? '00'}`;
}
