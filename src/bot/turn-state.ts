/**
 * What one turn knows and decides, kept on botbuilder's TurnContext: whose turn it is, the instant it
 * happens at, whether the person's message was taken as an answer (consumed) or goes to the room
 * (relayed), and the room notices to post once the message itself is posted.
 */
import type { TurnContext } from 'botbuilder';
import type { Language } from '../domain/types.js';
import type { ConversationDocument, PersonDocument, TeamDocument } from '../store/models/index.js';

export interface RoomNotice {
  /** Dedupe key of the notice (a retried turn posts it once). */
  key: string;
  text: string;
  mentions?: string[];
}

export interface TurnInfo {
  person: PersonDocument;
  conversation: ConversationDocument;
  team: TeamDocument;
  /** The turn's instant, by Lien's clock: every time-of-day decision reads it. */
  now: Date;
  timeZone: string;
  /** The person's language (changes within the turn when they choose another). */
  language: Language;
  /** How the person is named to the workers. */
  label: string;
  /** The person's message, or '' in a turn Lien starts itself (a reminder). */
  text: string;
  /** True once a dialog took the message as an answer: it is then not posted in the room as text. */
  consumed: boolean;
  notices: RoomNotice[];
  /** The dialog that took the message, for the audit log. */
  answeredBy?: string;
}

const TURN = Symbol('lien.turn');

export function setTurn(context: TurnContext, info: TurnInfo): void {
  context.turnState.set(TURN, info);
}

export function turnOf(context: TurnContext): TurnInfo {
  const info = context.turnState.get(TURN) as TurnInfo | undefined;
  if (!info) throw new Error('no Lien turn on this TurnContext (setTurn first)');
  return info;
}

/** The message was an answer the bot understood: it is not relayed as free text. */
export function consume(context: TurnContext, dialog: string): void {
  const t = turnOf(context);
  t.consumed = true;
  t.answeredBy = dialog;
}

/** The message was not understood as an answer: it goes to the room like any free text. */
export function relay(context: TurnContext): void {
  turnOf(context).consumed = false;
}
