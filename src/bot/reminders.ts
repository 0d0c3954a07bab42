/**
 * Appointment reminders (need 3), a turn Lien starts itself through the same adapter and the same rules
 * as any other (SmsAdapter.continueConversation, under the person's turn lock): the day before, "RDV mardi
 * 24/11 à 14:30 avec X. Répondez OUI pour confirmer ou NON pour annuler.", then the reminder waits on the
 * person for OUI or NON until the appointment starts (dialogs/appointment-reply.ts reads them).
 *
 * The person's preferences hold (need 4): no reminder for someone who turned them off, who wants calls
 * and no SMS, or who said STOP (the room is told, so the workers can call instead); outside the person's
 * welcome hours the reminder waits for the next start of those hours, unless that is too late to help.
 */
import { REMINDER_TOO_LATE_MS } from '../domain/appointments.js';
import type { Language } from '../domain/types.js';
import { isWelcomeAt, nextWelcomeStart } from '../domain/welcome.js';
import { appointmentVars } from '../../dialogs/appointment-reply.js';
import { SmsAdapter } from './sms-adapter.js';
import type { TurnHandlerDeps } from './turn-handler.js';
import { setTurn } from './turn-state.js';

export type ReminderOutcome =
  | { kind: 'sent' }
  | { kind: 'deferred'; until: Date }
  | { kind: 'skipped'; reason: 'gone' | 'answered' | 'too_late' | 'opted_out' | 'reminders_off' | 'calls_only' | 'outside_hours' };

/** What a reminder needs: what a turn needs (it runs as a proactive turn), but its own logging. */
export type RemindersDeps = Omit<TurnHandlerDeps, 'logger'>;

export class Reminders {
  constructor(private readonly deps: RemindersDeps) {}

  /** Sends the reminder of one appointment now, or says when to try again, or why not at all. */
  async send(appointmentId: string): Promise<ReminderOutcome> {
    const appointment = await this.deps.ctx.models.Appointment.findById(appointmentId, { person: 1 }).lean();
    if (!appointment) return { kind: 'skipped', reason: 'gone' };
    return this.deps.lock.run(String(appointment.person), () => this.sendLocked(appointmentId));
  }

  private async sendLocked(appointmentId: string): Promise<ReminderOutcome> {
    const { ctx, dialogs, messages, directory } = this.deps;
    const appointment = await ctx.models.Appointment.findById(appointmentId);
    if (!appointment) return { kind: 'skipped', reason: 'gone' };
    if (appointment.status !== 'scheduled' || appointment.reminderSentAt) return { kind: 'skipped', reason: 'answered' };
    const [person, conversation] = await Promise.all([ctx.models.Person.findById(appointment.person), ctx.models.Conversation.findById(appointment.conversation)]);
    const team = conversation ? await ctx.models.Team.findById(conversation.team) : null;
    if (!person || !conversation || !team) return { kind: 'skipped', reason: 'gone' };
    const now = ctx.now();
    const timeZone = team.timezone || 'Europe/Paris';
    const label = await directory.labelOf(person);
    const staffVars = await appointmentVars({ ctx }, appointment, timeZone, ctx.staffLanguage);
    const skip = async (reason: 'opted_out' | 'reminders_off' | 'calls_only' | 'outside_hours'): Promise<ReminderOutcome> => {
      await messages.queueNotice(conversation._id, `reminder-skipped:${appointmentId}`, ctx.i18n.t(ctx.staffLanguage, 'bot.room.reminderSkipped', { name: label, ...staffVars, reason: ctx.i18n.t(ctx.staffLanguage, `bot.room.reminderSkippedReason.${reason}`) }));
      await ctx.audit.append({ actor: { kind: 'system' }, action: 'appointment.reminder_skipped', subject: { kind: 'appointment', id: appointmentId }, conversation: conversation._id, details: { reason } });
      return { kind: 'skipped', reason };
    };

    if (appointment.startsAt.getTime() - now.getTime() < REMINDER_TOO_LATE_MS) return { kind: 'skipped', reason: 'too_late' };
    if (person.optedOut) return skip('opted_out');
    if (person.preferences?.reminders === false) return skip('reminders_off');
    if (person.preferences?.channels && !person.preferences.channels.includes('sms')) return skip('calls_only');
    if (!isWelcomeAt(person.preferences, now, timeZone)) {
      const next = nextWelcomeStart(person.preferences, now, timeZone);
      if (appointment.startsAt.getTime() - next.getTime() < REMINDER_TOO_LATE_MS) return skip('outside_hours');
      return { kind: 'deferred', until: next };
    }

    const language = (person.language ?? 'fr') as Language;
    const vars = await appointmentVars({ ctx }, appointment, timeZone, language);
    const reference = SmsAdapter.reference(String(conversation._id), String(person._id), `reminder:${appointmentId}`);
    await this.deps.adapter.continueConversation(reference, async (context) => {
      setTurn(context, { person, conversation, team, now, timeZone, language, label, text: '', consumed: false, notices: [] });
      // A person the bot never wrote to learns first who writes, and how to stop it.
      await dialogs.informIfNeeded(context);
      await context.sendActivity(ctx.i18n.t(language, 'bot.sms.reminder', vars));
      await dialogs.pendingReminder.set(context, { appointmentId, until: appointment.startsAt.toISOString() });
      await dialogs.save(context);
    });
    await ctx.models.Appointment.updateOne({ _id: appointment._id }, { $set: { reminderSentAt: now } });
    await ctx.audit.append({ actor: { kind: 'system' }, action: 'appointment.reminder_sent', subject: { kind: 'appointment', id: appointmentId }, conversation: conversation._id, details: {} });
    return { kind: 'sent' };
  }
}
