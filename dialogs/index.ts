/**
 * The conversations the bot can hold, in one DialogSet over Lien's state (ConversationState for the
 * dialog stack, UserState for what waits on the person, both in MongoDialogStorage), and how a message
 * finds its way among them:
 *
 * 1. A person the bot never informed gets the first-contact notice first (their message still goes on).
 * 2. A menu, language or call-back keyword starts its dialog, whatever was under way.
 * 3. Otherwise an open prompt reads the message as its answer (prompts expire after 30 minutes: later,
 *    a "1" is just a "1").
 * 4. Otherwise OUI / NON (ANNULER / CANCEL too) answer a pending appointment reminder.
 * 5. Anything else is free text: it goes to the room, and the bot says nothing more.
 */
import { ConversationState, UserState, type Storage, type TurnContext } from 'botbuilder';
import { DialogSet, TextPrompt, type DialogState } from 'botbuilder-dialogs';
import { turnOf, type RoomNotice } from '../src/bot/turn-state.js';
import { isCallbackRequest, isMenuRequest, languageRequest } from '../src/domain/bot-keywords.js';
import type { RoutingContext } from '../src/routing/context.js';
import type { Directory } from '../src/routing/directory.js';
import { appointmentAnswer, appointmentReplyDialog, type AppointmentReplyOptions } from './appointment-reply.js';
import { callbackRequestDialog } from './callback-request.js';
import { firstContactDialog } from './first-contact.js';
import { languageDialog } from './language.js';
import { menuDialog } from './menu.js';
import { preferencesDialog } from './preferences.js';
import { DIALOG, TEXT_PROMPT, took, type DialogDeps, type PendingReminder } from './support.js';

/** An open question is forgotten after this long: the next message is free text again. */
export const PROMPT_TTL_MS = 30 * 60_000;

/**
 * Kept with the dialog stack: when the last turn happened, and what the last message's turn decided, so
 * that a turn run again after a crash (its state saved, its message not yet settled) is not read twice.
 */
export interface TurnRecord {
  lastTurnAt?: string;
  messageId?: string;
  consumed?: boolean;
  answeredBy?: string;
  notices?: RoomNotice[];
}

export interface LienDialogsOptions {
  ctx: RoutingContext;
  directory: Directory;
  storage: Storage;
  noticeUrl: (language: string) => string;
  retentionMonths: number;
}

export class LienDialogs {
  private readonly conversationState: ConversationState;
  private readonly userState: UserState;
  private readonly dialogs: DialogSet;
  readonly record;
  readonly pendingReminder;

  constructor(opts: LienDialogsOptions) {
    this.conversationState = new ConversationState(opts.storage);
    this.userState = new UserState(opts.storage);
    this.record = this.conversationState.createProperty<TurnRecord>('lienTurn');
    this.pendingReminder = this.userState.createProperty<PendingReminder | null>('pendingReminder');
    const deps: DialogDeps = { ctx: opts.ctx, directory: opts.directory, pendingReminder: this.pendingReminder, noticeUrl: opts.noticeUrl, retentionMonths: opts.retentionMonths };
    this.dialogs = new DialogSet(this.conversationState.createProperty<DialogState>('dialogState'));
    this.dialogs
      .add(new TextPrompt(TEXT_PROMPT))
      .add(firstContactDialog(deps))
      .add(menuDialog(deps))
      .add(languageDialog(deps))
      .add(appointmentReplyDialog(deps))
      .add(callbackRequestDialog(deps))
      .add(preferencesDialog(deps));
  }

  /** Reads the person's message: a keyword, an answer, or free text (see the top of this file). */
  async onTurn(context: TurnContext): Promise<void> {
    const turn = turnOf(context);
    await this.informIfNeeded(context);
    const dc = await this.dialogs.createContext(context);
    const record = await this.record.get(context, {});
    if (dc.activeDialog && record.lastTurnAt && turn.now.getTime() - Date.parse(record.lastTurnAt) > PROMPT_TTL_MS) await dc.cancelAllDialogs();

    const language = languageRequest(turn.text);
    if (isMenuRequest(turn.text)) {
      took(context, DIALOG.menu);
      await dc.cancelAllDialogs();
      await dc.beginDialog(DIALOG.menu);
    } else if (language) {
      took(context, DIALOG.language);
      await dc.cancelAllDialogs();
      await dc.beginDialog(DIALOG.language, { language: language.language });
    } else if (isCallbackRequest(turn.text)) {
      took(context, DIALOG.callbackRequest);
      await dc.cancelAllDialogs();
      await dc.beginDialog(DIALOG.callbackRequest);
    } else if (dc.activeDialog) {
      await dc.continueDialog();
    } else {
      const pending = await this.pendingReminder.get(context, null);
      const answer = pending && turn.now.getTime() < Date.parse(pending.until) ? appointmentAnswer(turn.text) : undefined;
      if (pending && answer) {
        took(context, DIALOG.appointmentReply);
        await dc.beginDialog(DIALOG.appointmentReply, { appointmentId: pending.appointmentId, answer } satisfies AppointmentReplyOptions);
      } else if (pending && turn.now.getTime() >= Date.parse(pending.until)) {
        await this.pendingReminder.set(context, null);
      }
    }
  }

  /**
   * True when a question about an appointment waits for the person's answer: a reminder not yet answered
   * (before the appointment starts), or the appointment question of the menu, still open. A CANCEL then
   * answers it rather than opting out (bot/turn-handler.ts).
   */
  async awaitsAppointmentAnswer(context: TurnContext): Promise<boolean> {
    const turn = turnOf(context);
    const dc = await this.dialogs.createContext(context);
    const record = await this.record.get(context, {});
    const fresh = !record.lastTurnAt || turn.now.getTime() - Date.parse(record.lastTurnAt) <= PROMPT_TTL_MS;
    // An open question (the dialog and its prompt on the stack) comes before a pending reminder, as in onTurn.
    if (dc.activeDialog && fresh) return dc.stack.some((d) => d.id === DIALOG.appointmentReply);
    const pending = await this.pendingReminder.get(context, null);
    return pending != null && turn.now.getTime() < Date.parse(pending.until);
  }

  /** The first-contact notice, to a person the bot never informed (before anything else it sends them). */
  async informIfNeeded(context: TurnContext): Promise<void> {
    if (turnOf(context).person.consent) return;
    const dc = await this.dialogs.createContext(context);
    await dc.beginDialog(DIALOG.firstContact);
  }

  /** After STOP: no question stays open, no reminder waits for an answer. */
  async forget(context: TurnContext): Promise<void> {
    const dc = await this.dialogs.createContext(context);
    await dc.cancelAllDialogs();
    await this.pendingReminder.set(context, null);
  }

  /** Writes the turn's state (the dialog stack, the person's pending reminder, the turn record). */
  async save(context: TurnContext): Promise<void> {
    await this.conversationState.saveChanges(context);
    await this.userState.saveChanges(context);
  }
}
