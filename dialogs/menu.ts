/**
 * The menu, on demand only (AIDE, MENU, HELP, 0): seven numbered choices. A number starts what it names;
 * anything else is not an answer, so it goes to the room as the person's message and the menu is gone
 * (a menu is offered, never imposed).
 */
import { WaterfallDialog } from 'botbuilder-dialogs';
import { relay, turnOf } from '../src/bot/turn-state.js';
import { recognizeChoice } from '../src/domain/bot-keywords.js';
import { answer, ask, DIALOG, say, took, type DialogDeps } from './support.js';

export const MENU_CHOICES = 7;

export function menuDialog(deps: DialogDeps): WaterfallDialog {
  return new WaterfallDialog(DIALOG.menu, [
    (step) => ask(deps, step, 'menu'),
    async (step) => {
      const choice = recognizeChoice(answer(step), MENU_CHOICES);
      if (choice === undefined) {
        relay(step.context);
        return step.endDialog();
      }
      took(step.context, DIALOG.menu);
      switch (choice) {
        case 1:
          await say(deps, step.context, 'menuWrite');
          return step.endDialog();
        case 2: {
          const { person, now } = turnOf(step.context);
          const next = await deps.ctx.models.Appointment.findOne({ person: person._id, status: { $in: ['scheduled', 'confirmed'] }, startsAt: { $gt: now } }, { _id: 1 })
            .sort({ startsAt: 1 })
            .lean();
          if (!next) {
            await say(deps, step.context, 'noAppointment');
            return step.endDialog();
          }
          return step.replaceDialog(DIALOG.appointmentReply, { appointmentId: String(next._id) });
        }
        case 3:
          return step.replaceDialog(DIALOG.callbackRequest);
        case 4:
          await say(deps, step.context, 'menuVoice');
          return step.endDialog();
        case 5:
          return step.replaceDialog(DIALOG.preferences);
        case 6:
          return step.replaceDialog(DIALOG.language);
        default:
          await say(deps, step.context, 'menuStop');
          return step.endDialog();
      }
    },
  ]);
}
