/**
 * Asking to be called back (need 11): from the menu (3) or by asking ("rappel", "rappelez-moi"). When can
 * the person speak freely, in their own words ("demain à 14h", "lundi matin"), read in the team's
 * timezone from the instant of the turn; then may a voicemail be left. The request is stored with the
 * window and when it is due, the referent's room is told, the person gets a short confirmation.
 *
 * An answer that gives no time goes to the room (a human reads what the bot did not understand) and is
 * asked once more, with examples; a second one hands over to a human: the room is told the person wants
 * a call and when could not be read.
 */
import { Types } from 'mongoose';
import { WaterfallDialog } from 'botbuilder-dialogs';
import { relay, turnOf } from '../src/bot/turn-state.js';
import { formatWhen, recognizeWhen, type WhenCulture } from '../src/domain/when.js';
import { recognizeYesNo } from '../src/domain/yes-no.js';
import { answer, ask, audit, DIALOG, notice, say, took, type DialogDeps } from './support.js';

export interface CallbackOptions {
  /** The first answer gave no time: this is the second (and last) asking. */
  retried?: boolean;
}

interface Window {
  start: string;
  end: string;
  kind: string;
}

const CULTURES: Record<string, WhenCulture> = { fr: 'fr-fr', 'fr-falc': 'fr-fr', en: 'en-us' };
/** A date and time in figures only: "25/11 14:00", "25/11 14h", "14h30". */
const FIGURES_ONLY = /^[\d\s/:.,hH-]+$/;

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

export function callbackRequestDialog(deps: DialogDeps): WaterfallDialog {
  return new WaterfallDialog(DIALOG.callbackRequest, [
    (step) => ask(deps, step, (step.options as CallbackOptions | undefined)?.retried ? 'callbackAskWhenAgain' : 'callbackAskWhen'),
    async (step) => {
      const turn = turnOf(step.context);
      const said = answer(step);
      // The person's own language first; a French answer from an English speaker is read too.
      const culture = CULTURES[turn.language] ?? 'fr-fr';
      // No date-time reader speaks the other languages: the French one would skip their words ("mañana"
      // read as today), so only an answer in figures ("25/11 14:00") is read; anything else goes to a human.
      const readable = turn.language in CULTURES || FIGURES_ONLY.test(said.trim());
      const window = !readable
        ? undefined
        : (recognizeWhen(said, { reference: turn.now, timeZone: turn.timeZone, culture }) ??
          (culture === 'fr-fr' ? undefined : recognizeWhen(said, { reference: turn.now, timeZone: turn.timeZone, culture: 'fr-fr' })));
      if (!window) {
        relay(step.context);
        if (!(step.options as CallbackOptions | undefined)?.retried) return step.replaceDialog(DIALOG.callbackRequest, { retried: true });
        const owner = turn.person.triage ? null : await deps.directory.ownerOf(turn.person, turn.now);
        notice(deps, step.context, 'callback', 'callbackHandover', {}, owner ? [owner.matrixUserId] : []);
        await audit(deps, step.context, 'callback.unreadable', { kind: 'person', id: String(turn.person._id) });
        await say(deps, step.context, 'callbackHandover');
        return step.endDialog();
      }
      took(step.context, DIALOG.callbackRequest);
      (step.values as { window?: Window }).window = { start: window.start.toISOString(), end: window.end.toISOString(), kind: window.kind } satisfies Window;
      return ask(deps, step, 'callbackAskVoicemail', { when: formatWhen(window, turn.timeZone, turn.language) });
    },
    async (step) => {
      const turn = turnOf(step.context);
      const saved = (step.values as { window: Window }).window;
      const window = { start: new Date(saved.start), end: new Date(saved.end), kind: saved.kind };
      const yesNo = recognizeYesNo(answer(step));
      // Not a clear answer: it goes to the room, and no voicemail is left (the safer guess).
      if (yesNo) took(step.context, DIALOG.callbackRequest);
      else relay(step.context);
      const voicemailAllowed = yesNo === 'yes';
      // The request's id is the message that completed it: a turn run again after a crash stores it once.
      const id = Types.ObjectId.isValid(step.context.activity.id ?? '') ? new Types.ObjectId(step.context.activity.id) : new Types.ObjectId();
      try {
        await deps.ctx.models.CallbackRequest.create({
          _id: id,
          person: turn.person._id,
          conversation: turn.conversation._id,
          windowStart: window.start,
          windowEnd: window.end,
          voicemailAllowed,
          dueAt: window.start,
        });
      } catch (err) {
        if (!isDuplicate(err)) throw err;
      }
      await audit(deps, step.context, 'callback.requested', { kind: 'callback', id: String(id) }, { kind: window.kind, voicemailAllowed, voicemailSaid: Boolean(yesNo) });
      const owner = turn.person.triage ? null : await deps.directory.ownerOf(turn.person, turn.now);
      const voicemail = deps.ctx.i18n.t(deps.ctx.staffLanguage, yesNo ? `bot.room.voicemail.${yesNo}` : 'bot.room.voicemail.unsaid');
      notice(deps, step.context, 'callback', 'callbackRequested', { when: formatWhen(window, turn.timeZone, deps.ctx.staffLanguage), voicemail }, owner ? [owner.matrixUserId] : []);
      await say(deps, step.context, 'callbackDone', { when: formatWhen(window, turn.timeZone, turn.language) });
      return step.endDialog();
    },
  ]);
}
