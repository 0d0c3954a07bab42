/**
 * First contact (consent, need 9): on a person's very first SMS, before anything else, a short notice in
 * plain words: who runs the service, that a human reads the messages, how long they are kept, how to
 * stop, and where to read the whole notice. The message that brought them here is not held back: it goes
 * to the room like any other (the turn decides that, not this dialog). The person's consent is recorded
 * with the notice's version, and the audit log says so.
 *
 * For a number nobody knows yet, this notice is also the automatic answer of the day (it says a person
 * of the team will read them): the day's "unknown number" reply is claimed so that it does not follow.
 */
import { WaterfallDialog } from 'botbuilder-dialogs';
import { turnOf } from '../src/bot/turn-state.js';
import { NOTICE_VERSION } from '../src/domain/notice.js';
import { localTime } from '../src/domain/office-hours.js';
import { audit, DIALOG, say, type DialogDeps } from './support.js';

/** The claim that keeps a person to one automatic answer a day (acknowledgement, unknown-number reply). */
export function dailyReplyClaim(personId: unknown, triage: boolean, now: Date, timeZone: string): string {
  return `${triage ? 'unknown-sms' : 'ack'}:${String(personId)}:${localTime(now, timeZone).date}`;
}

export function firstContactDialog(deps: DialogDeps): WaterfallDialog {
  return new WaterfallDialog(DIALOG.firstContact, [
    async (step) => {
      const turn = turnOf(step.context);
      const { person, team, now } = turn;
      await say(deps, step.context, 'firstContact', {
        team: team.name,
        months: deps.retentionMonths,
        url: deps.noticeUrl(turn.language),
      });
      const consent = { noticeVersion: NOTICE_VERSION, givenAt: now, channel: 'sms' as const };
      await deps.ctx.models.Person.updateOne({ _id: person._id }, { $set: { consent } });
      person.consent = consent;
      await audit(deps, step.context, 'person.consent_recorded', { kind: 'person', id: String(person._id) }, { noticeVersion: NOTICE_VERSION, channel: 'sms' });
      await deps.ctx.claims.acquire(dailyReplyClaim(person._id, person.triage, now, turn.timeZone));
      // No notice in the room: the workers see the person's message as usual; the consent is on record.
      return step.endDialog();
    },
  ]);
}
