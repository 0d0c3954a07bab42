/**
 * A person's SMS arrives: find who sent it (or open triage for an unknown number), store it once, then
 * post it in their room through the outbox. STOP / START are honoured here, and the room is told. With
 * the bot wired in (`turns`), the message is stored held and handed to the bot's turn, which relays it
 * or takes it as an answer, and sends the automatic answers (bot/turn-handler.ts).
 */
import type { Types } from 'mongoose';
import type { InboundSms } from '../channels/sms/types.js';
import { answersReminderFirst } from '../domain/bot-keywords.js';
import { consentKeyword } from '../domain/keywords.js';
import { InvalidPhoneNumberError, toE164 } from '../domain/phone.js';
import type { PersonDocument } from '../store/models/index.js';
import { Consent } from './consent.js';
import type { RoutingContext } from './context.js';
import { Directory } from './directory.js';
import { MessageStore } from './messages.js';
import { OfficeHours } from './office-hours.js';

/** One automatic reply to an unknown number per day at most. */
const UNKNOWN_REPLY_PERIOD_MS = 24 * 3600_000;

/** Who reads a person's message before it is relayed: the bot's turn handler (wired in lien.ts). */
export interface TurnStarter {
  /** Takes a stored, held message: its turn relays it or takes it as an answer, soon, even across a crash. */
  accept(messageId: Types.ObjectId): void;
}

export class InboundSmsHandler {
  private readonly directory: Directory;
  private readonly messages: MessageStore;
  private readonly hours: OfficeHours;
  private readonly consent: Consent;

  constructor(
    private readonly ctx: RoutingContext,
    private readonly turns?: TurnStarter,
  ) {
    this.directory = new Directory(ctx);
    this.messages = new MessageStore(ctx);
    this.hours = new OfficeHours(ctx);
    this.consent = new Consent(ctx);
  }

  /** Resolves once the SMS is stored durably (Lien then acknowledges Twilio); posting follows. */
  async handle(sms: InboundSms): Promise<void> {
    // A sender that is not a phone number (a short code, a carrier's name) still reaches triage as it is.
    let from: string;
    try {
      from = toE164(sms.from, this.ctx.defaultCountry);
    } catch (err) {
      if (!(err instanceof InvalidPhoneNumberError)) throw err;
      from = sms.from.trim();
    }
    const { person } = await this.directory.personForInbound(from);
    const conversation = await this.directory.conversationFor(person);
    const { message, duplicate } = await this.messages.storeInbound({
      dedupeKey: `twilio:${sms.messageSid}`,
      conversation: conversation._id,
      person: person._id,
      channel: 'sms',
      body: sms.body,
      twilioSid: sms.messageSid,
      media: sms.media,
      receivedAt: sms.receivedAt,
      held: this.turns !== undefined,
    });
    if (duplicate) {
      // Twilio retried a webhook we already stored: make sure it is on its way, and do nothing twice.
      this.messages.deliverSoon(message._id);
      this.turns?.accept(message._id);
      return;
    }
    await this.ctx.models.Conversation.updateOne(
      { _id: conversation._id },
      { $set: { lastInboundAt: sms.receivedAt, status: 'open', ...(conversation.waitingSince ? {} : { waitingSince: sms.receivedAt }) } },
    );
    await this.ctx.audit.append({
      actor: { kind: 'person', id: String(person._id) },
      action: 'sms.received',
      subject: { kind: 'message', id: String(message._id) },
      conversation: conversation._id,
      details: { triage: person.triage, media: sms.media.length, routedTo: conversation.owner ? String(conversation.owner) : null },
    });
    if (!this.turns) this.messages.deliverSoon(message._id);

    const keyword = consentKeyword(sms.body);
    // CANCEL answers a reminder waiting for its answer (the bot's turn knows), and opts out otherwise:
    // with the bot, its turn decides (bot/turn-handler.ts). Every other keyword is honoured here at once.
    const turnDecides = this.turns !== undefined && keyword !== null && answersReminderFirst(sms.body);
    if (keyword && !turnDecides) await this.consent.apply(person, conversation._id, keyword, String(message._id));
    if (person.triage) await this.answerUnknownNumber(person, conversation._id, from, String(message._id));
    // Outside office hours: one automatic answer per closed period, no mention in the room, a digest at opening.
    // (Not for a CANCEL the turn decides on: it may be an opt-out, after which only its confirmation goes.)
    await this.hours.onInbound(person, conversation, message, { reply: !turnDecides });
    // The bot's turn: relays the message (or takes it as an answer) and sends the automatic answers.
    this.turns?.accept(message._id);
  }

  /** A polite automatic answer to a number nobody knows, at most once a day; and a hint for the workers. */
  private async answerUnknownNumber(person: PersonDocument, conversationId: PersonDocument['_id'], phone: string, messageId: string): Promise<void> {
    const period = Math.floor(Date.now() / UNKNOWN_REPLY_PERIOD_MS);
    if (!(await this.ctx.claims.acquire(`unknown-reply:${String(person._id)}:${period}`))) return;
    await this.messages.queueNotice(conversationId, `triage:${messageId}`, this.ctx.i18n.t(this.ctx.staffLanguage, 'room.triageArrived', { phone, prefix: this.ctx.commandPrefix }));
    // With the bot, its turn answers (the first-contact notice, or this reply once a day).
    if (this.turns) return;
    // Read again: this very message may have been a STOP, and nothing but its confirmation follows a STOP.
    if ((await this.ctx.models.Person.findById(person._id, { optedOut: 1 }).lean())?.optedOut) return;
    await this.messages.queueSms({ keyPrefix: `unknown-reply:${messageId}`, conversation: conversationId, person: person._id, body: this.ctx.i18n.t(person.language, 'sms.unknownNumber'), kind: 'notice' });
  }
}
