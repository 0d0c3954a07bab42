/**
 * The person's language (LANGUE, LANGUAGE, "LANGUE EN", or 6 in the menu): French, plain French (FALC)
 * or English, from a numbered list or by name ("english", "anglais", "facile"). The workers are told in
 * the room; the confirmation is written in the language chosen.
 */
import { WaterfallDialog } from 'botbuilder-dialogs';
import { relay, turnOf } from '../src/bot/turn-state.js';
import { parseLanguage, recognizeChoice } from '../src/domain/bot-keywords.js';
import { LANGUAGES, type Language } from '../src/domain/types.js';
import { answer, ask, audit, DIALOG, notice, say, took, type DialogDeps } from './support.js';

export interface LanguageOptions {
  /** The language already named ("LANGUE EN"): no list is offered. */
  language?: Language | undefined;
}

export function languageDialog(deps: DialogDeps): WaterfallDialog {
  return new WaterfallDialog(DIALOG.language, [
    async (step) => {
      const named = (step.options as LanguageOptions | undefined)?.language;
      if (named) return step.next(named);
      return ask(deps, step, 'languageAsk');
    },
    async (step) => {
      const named = (step.options as LanguageOptions | undefined)?.language;
      const typed = answer(step);
      const chosen: Language | undefined = named ?? LANGUAGES[(recognizeChoice(typed, LANGUAGES.length) ?? 0) - 1] ?? parseLanguage(typed);
      if (!chosen) {
        relay(step.context);
        return step.endDialog();
      }
      took(step.context, DIALOG.language);
      const turn = turnOf(step.context);
      const previous = turn.language;
      await deps.ctx.models.Person.updateOne({ _id: turn.person._id }, { $set: { language: chosen } });
      turn.person.language = chosen;
      turn.language = chosen;
      await audit(deps, step.context, 'person.language_set', { kind: 'person', id: String(turn.person._id) }, { language: chosen, previous, by: 'person' });
      notice(deps, step.context, 'language', 'languageChanged', { language: deps.ctx.i18n.t(deps.ctx.staffLanguage, `bot.languageName.${chosen}`) });
      await say(deps, step.context, 'languageSet');
      return step.endDialog();
    },
  ]);
}
