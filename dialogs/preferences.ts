/**
 * The person's preferences (need 4), from the menu (5): how they want to be contacted (SMS, calls, both),
 * the hours of the day when messages are welcome, and appointment reminders on or off. What Lien sends
 * on its own (reminders, acknowledgements) honours them. The room is told of every change.
 */
import type { TurnContext } from 'botbuilder';
import { WaterfallDialog } from 'botbuilder-dialogs';
import { relay, turnOf } from '../src/bot/turn-state.js';
import { parseChannels, parseHoursRange, recognizeChoice } from '../src/domain/bot-keywords.js';
import { recognizeYesNo } from '../src/domain/yes-no.js';
import type { Vars } from '../src/i18n/translator.js';
import { answer, ask, audit, DIALOG, notice, say, took, type DialogDeps } from './support.js';

type Which = 'channels' | 'hours' | 'reminders';
const WHICH: Which[] = ['channels', 'hours', 'reminders'];

/** The preferences in words, in a language: {channels}, {from}, {until}, {reminders}. */
function describe(deps: DialogDeps, language: string, prefs: { channels?: string[] | null; welcomeFrom?: string | null; welcomeUntil?: string | null; reminders?: boolean | null } | null | undefined): Vars {
  const channels = prefs?.channels ?? ['sms'];
  const key = channels.includes('sms') && channels.includes('call') ? 'both' : channels.includes('call') ? 'call' : 'sms';
  return {
    channels: deps.ctx.i18n.t(language, `bot.word.channel.${key}`),
    from: prefs?.welcomeFrom ?? '08:00',
    until: prefs?.welcomeUntil ?? '20:00',
    reminders: deps.ctx.i18n.t(language, prefs?.reminders === false ? 'bot.word.no' : 'bot.word.yes'),
  };
}

async function save(deps: DialogDeps, context: TurnContext, which: Which, set: Record<string, unknown>): Promise<void> {
  const turn = turnOf(context);
  await deps.ctx.models.Person.updateOne({ _id: turn.person._id }, { $set: set });
  const fresh = await deps.ctx.models.Person.findById(turn.person._id);
  if (fresh) turn.person.preferences = fresh.preferences;
  await audit(deps, context, 'person.preferences_set', { kind: 'person', id: String(turn.person._id) }, { changed: which, by: 'person' });
  notice(deps, context, 'preferences', 'preferencesChanged', describe(deps, deps.ctx.staffLanguage, turn.person.preferences));
  await say(deps, context, 'preferencesSaved', describe(deps, turn.language, turn.person.preferences));
}

export function preferencesDialog(deps: DialogDeps): WaterfallDialog {
  return new WaterfallDialog(DIALOG.preferences, [
    (step) => {
      const turn = turnOf(step.context);
      return ask(deps, step, 'preferencesMenu', describe(deps, turn.language, turn.person.preferences));
    },
    async (step) => {
      const which = WHICH[(recognizeChoice(answer(step), WHICH.length) ?? 0) - 1];
      if (!which) {
        relay(step.context);
        return step.endDialog();
      }
      took(step.context, DIALOG.preferences);
      (step.values as { which?: Which }).which = which;
      return ask(deps, step, which === 'channels' ? 'preferencesChannelAsk' : which === 'hours' ? 'preferencesHoursAsk' : 'preferencesRemindersAsk');
    },
    async (step) => {
      const which = (step.values as { which: Which }).which;
      const said = answer(step);
      let set: Record<string, unknown> | undefined;
      if (which === 'channels') {
        const channels = parseChannels(said);
        if (channels) set = { 'preferences.channels': channels };
      } else if (which === 'hours') {
        const hours = parseHoursRange(said);
        if (hours) set = { 'preferences.welcomeFrom': hours.from, 'preferences.welcomeUntil': hours.until };
      } else {
        const yesNo = recognizeYesNo(said);
        if (yesNo) set = { 'preferences.reminders': yesNo === 'yes' };
      }
      if (!set) {
        relay(step.context);
        return step.endDialog();
      }
      took(step.context, DIALOG.preferences);
      await save(deps, step.context, which, set);
      return step.endDialog();
    },
  ]);
}
