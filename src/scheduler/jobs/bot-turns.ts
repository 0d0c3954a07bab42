/**
 * The bot's scheduled work: each appointment's reminder (one job per appointment, scheduled when the
 * appointment is set, put off to the person's welcome hours when it falls outside them), and the sweep
 * that runs again the turns a crash left behind (messages still `held`, see bot/turn-handler.ts).
 */
import type { Reminders } from '../../bot/reminders.js';
import type { TurnHandler } from '../../bot/turn-handler.js';
import { APPOINTMENT_REMINDER_JOB } from '../../domain/appointments.js';
import type { Logger } from '../../logger.js';
import type { Scheduler } from '../scheduler.js';

export { APPOINTMENT_REMINDER_JOB };
export const TURN_SWEEP_JOB = 'bot.turnSweep';

export async function scheduleBotJobs(scheduler: Scheduler, deps: { reminders: Reminders; turns: TurnHandler; sweepEveryMs: number; logger: Logger }): Promise<void> {
  const { reminders, turns, logger } = deps;
  scheduler.define<{ appointmentId?: string }>(APPOINTMENT_REMINDER_JOB, async (data) => {
    if (!data.appointmentId) return;
    const outcome = await reminders.send(data.appointmentId);
    if (outcome.kind === 'deferred') {
      // A new key: this run's key is spent, and the next try is a run of its own.
      await scheduler.once(APPOINTMENT_REMINDER_JOB, outcome.until, { appointmentId: data.appointmentId }, `reminder:${data.appointmentId}:${outcome.until.toISOString()}`);
    }
    logger.info({ appointmentId: data.appointmentId, outcome: outcome.kind, ...(outcome.kind === 'skipped' ? { reason: outcome.reason } : {}) }, 'appointment reminder');
  });
  scheduler.define(TURN_SWEEP_JOB, async () => {
    const found = await turns.sweep();
    if (found > 0) logger.info({ found }, 'held messages picked up by the turn sweep');
  });
  await scheduler.every(TURN_SWEEP_JOB, deps.sweepEveryMs);
}
