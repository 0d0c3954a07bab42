/**
 * What every dialog uses: the services it needs, the one text prompt (every answer is read by the
 * dialog's next step with Lien's own recognisers, so that an answer it does not understand goes to a
 * human instead of being asked again and again), and short ways to say a sentence from `locales/` in
 * the person's language, to post a notice for the workers, and to write the audit log.
 */
import { MessageFactory, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { consume, turnOf } from '../src/bot/turn-state.js';
import type { Vars } from '../src/i18n/translator.js';
import type { RoutingContext } from '../src/routing/context.js';
import type { Directory } from '../src/routing/directory.js';

export const TEXT_PROMPT = 'lien.text';

/** The dialogs' ids, one per file of this folder. */
export const DIALOG = {
  firstContact: 'first-contact',
  menu: 'menu',
  language: 'language',
  appointmentReply: 'appointment-reply',
  callbackRequest: 'callback-request',
  preferences: 'preferences',
} as const;

/** Kept per person (UserState): an appointment reminder waiting for OUI or NON. */
export interface PendingReminder {
  appointmentId: string;
  /** ISO instant after which OUI / NON no longer answer it (the appointment's start). */
  until: string;
}

export interface DialogDeps {
  ctx: RoutingContext;
  directory: Directory;
  pendingReminder: StatePropertyAccessor<PendingReminder | null>;
  /** The full privacy notice, in a language. */
  noticeUrl: (language: string) => string;
  retentionMonths: number;
}

/** A bot sentence (`bot.sms.<key>`) in the person's current language. */
export function text(deps: DialogDeps, context: TurnContext, key: string, vars: Vars = {}): string {
  return deps.ctx.i18n.t(turnOf(context).language, `bot.sms.${key}`, vars);
}

/** Sends a bot sentence to the person. */
export async function say(deps: DialogDeps, context: TurnContext, key: string, vars: Vars = {}): Promise<void> {
  await context.sendActivity(MessageFactory.text(text(deps, context, key, vars)));
}

/** Asks the person something; the step after it reads the answer. */
export function ask(deps: DialogDeps, step: WaterfallStepContext, key: string, vars: Vars = {}): Promise<DialogTurnResult> {
  return step.prompt(TEXT_PROMPT, { prompt: MessageFactory.text(text(deps, step.context, key, vars)) });
}

/** The answer a prompt received, as typed. */
export function answer(step: WaterfallStepContext): string {
  return typeof step.result === 'string' ? step.result : '';
}

/** A notice for the workers (`bot.room.<key>`, `{name}` is the person's label), posted after the person's message. */
export function notice(deps: DialogDeps, context: TurnContext, name: string, key: string, vars: Vars = {}, mentions: string[] = []): void {
  const turn = turnOf(context);
  turn.notices.push({
    key: `bot:${context.activity.id ?? 'turn'}:${name}`,
    text: deps.ctx.i18n.t(deps.ctx.staffLanguage, `bot.room.${key}`, { name: turn.label, ...vars }),
    ...(mentions.length > 0 ? { mentions } : {}),
  });
}

/** An audit event about the person of the turn, by the person. */
export async function audit(deps: DialogDeps, context: TurnContext, action: string, subject: { kind: string; id: string }, details: Record<string, string | number | boolean | null> = {}): Promise<void> {
  const turn = turnOf(context);
  await deps.ctx.audit.append({ actor: { kind: 'person', id: String(turn.person._id) }, action, subject, conversation: turn.conversation._id, details });
}

/** Marks the message as an answer taken by this dialog. */
export function took(context: TurnContext, dialog: string): void {
  consume(context, dialog);
}
