/**
 * Confirming or cancelling an appointment by replying OUI or NON (need 3): to the reminder sent the day
 * before (the reminder stays pending on the person until the appointment starts, so OUI / NON answer it
 * whenever they come), or from the menu (2), which asks.
 *
 * OUI: the appointment is confirmed, the room is told, the person thanked. NON: it is cancelled, the
 * referent is told at once (mentioned, so their client notifies them), and the person is asked whether
 * they want another date. ANNULER / CANCEL (and "cancel" in each language) answer NON: in answer to a
 * question about an appointment, CANCEL cancels it and does not opt out (bot/turn-handler.ts asks first).
 * Anything that is not a clear yes or no goes to the room as the person's message (recognizeYesNo
 * decides), and the reminder stays pending.
 */
import type { TurnContext } from 'botbuilder';
import { WaterfallDialog } from 'botbuilder-dialogs';
import { relay, turnOf } from '../src/bot/turn-state.js';
import { describeAppointment } from '../src/domain/appointments.js';
import { isCancelWord } from '../src/domain/bot-keywords.js';
import { recognizeYesNo, type YesNo } from '../src/domain/yes-no.js';
import type { Vars } from '../src/i18n/translator.js';
import { answer, ask, audit, DIALOG, notice, say, took, type DialogDeps } from './support.js';

export interface AppointmentReplyOptions {
  appointmentId: string;
  /** The answer already given (OUI / NON to a pending reminder); without it the dialog asks. */
  answer?: YesNo;
}

/** The answer to a question about an appointment: yes, no (ANNULER / CANCEL included), or undefined. */
export function appointmentAnswer(text: string): YesNo | undefined {
  return recognizeYesNo(text) ?? (isCancelWord(text) ? 'no' : undefined);
}

/** The placeholders of a sentence about an appointment: weekday, date, time, worker, place. */
export async function appointmentVars(deps: Pick<DialogDeps, 'ctx'>, appointment: { startsAt: Date; place?: string | null; worker: unknown }, timeZone: string, language: string): Promise<Vars> {
  const worker = await deps.ctx.models.Worker.findById(appointment.worker, { displayName: 1 }).lean();
  const when = describeAppointment(appointment.startsAt, timeZone, language);
  return { ...when, worker: worker?.displayName ?? '', place: appointment.place ? `, ${appointment.place}` : '' };
}

/** Forgets the pending reminder of this appointment (it has its answer). */
async function settleReminder(deps: DialogDeps, context: TurnContext, appointmentId: string): Promise<void> {
  const pending = await deps.pendingReminder.get(context, null);
  if (pending?.appointmentId === appointmentId) await deps.pendingReminder.set(context, null);
}

export function appointmentReplyDialog(deps: DialogDeps): WaterfallDialog {
  const optionsOf = (options: unknown) => options as AppointmentReplyOptions;
  return new WaterfallDialog(DIALOG.appointmentReply, [
    async (step) => {
      const opts = optionsOf(step.options);
      if (opts.answer) return step.next(opts.answer);
      const appointment = await deps.ctx.models.Appointment.findById(opts.appointmentId).lean();
      if (!appointment) return step.endDialog();
      const turn = turnOf(step.context);
      return ask(deps, step, 'appointmentAsk', await appointmentVars(deps, appointment, turn.timeZone, turn.language));
    },
    async (step) => {
      const opts = optionsOf(step.options);
      const yesNo = opts.answer ?? appointmentAnswer(answer(step));
      const turn = turnOf(step.context);
      const appointment = yesNo ? await deps.ctx.models.Appointment.findById(opts.appointmentId) : null;
      if (!yesNo || !appointment || !['scheduled', 'confirmed'].includes(appointment.status)) {
        // Not an answer, or nothing left to answer: the workers read it.
        relay(step.context);
        return step.endDialog();
      }
      took(step.context, DIALOG.appointmentReply);
      await settleReminder(deps, step.context, opts.appointmentId);
      const staffVars = await appointmentVars(deps, appointment, turn.timeZone, deps.ctx.staffLanguage);
      const subject = { kind: 'appointment', id: String(appointment._id) };
      if (yesNo === 'yes') {
        await deps.ctx.models.Appointment.updateOne({ _id: appointment._id }, { $set: { status: 'confirmed', answeredAt: turn.now } });
        await audit(deps, step.context, 'appointment.confirmed', subject, { via: opts.answer ? 'reminder' : 'menu' });
        notice(deps, step.context, 'appointment', 'appointmentConfirmed', staffVars);
        await say(deps, step.context, 'appointmentConfirmed');
        return step.endDialog();
      }
      await deps.ctx.models.Appointment.updateOne({ _id: appointment._id }, { $set: { status: 'cancelled', answeredAt: turn.now } });
      await audit(deps, step.context, 'appointment.cancelled', subject, { via: opts.answer ? 'reminder' : 'menu' });
      const owner = turn.person.triage ? null : await deps.directory.ownerOf(turn.person, turn.now);
      notice(deps, step.context, 'appointment', 'appointmentCancelled', { ...staffVars, referent: owner?.displayName ?? '' }, owner ? [owner.matrixUserId] : []);
      return ask(deps, step, 'appointmentCancelled');
    },
    async (step) => {
      // "Another date?" — CANCEL here means no more than no.
      const yesNo = appointmentAnswer(answer(step));
      if (!yesNo) {
        relay(step.context);
        return step.endDialog();
      }
      took(step.context, DIALOG.appointmentReply);
      const turn = turnOf(step.context);
      if (yesNo === 'yes') {
        const owner = turn.person.triage ? null : await deps.directory.ownerOf(turn.person, turn.now);
        notice(deps, step.context, 'new-date', 'newDateWanted', { referent: owner?.displayName ?? '' }, owner ? [owner.matrixUserId] : []);
        await say(deps, step.context, 'newDateYes');
      } else {
        notice(deps, step.context, 'new-date', 'newDateNotWanted');
        await say(deps, step.context, 'newDateNo');
      }
      return step.endDialog();
    },
  ]);
}
