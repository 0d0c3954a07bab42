/**
 * What the workers see of an SMS's journey: a reaction on their message when it is sent and when it is
 * delivered, a notice in words when it fails (what happened, what to do), and one notice per STOP for
 * what was withheld. Twilio's status callbacks arrive here too; they move a message's status only
 * forward (outbox/delivery-status.ts), so a late `failed` never undoes a `delivered`.
 */
import { reactionContent } from '../channels/matrix/messages.js';
import { isFailureStatus, smsFailureReason } from '../channels/sms/failure-reasons.js';
import type { SmsStatusUpdate } from '../channels/sms/types.js';
import { moveDelivery } from '../outbox/delivery-status.js';
import type { OutboxMessage } from '../outbox/outbox.js';
import type { Types } from 'mongoose';
import type { MessageDocument, PersonDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';
import type { Directory } from './directory.js';
import { MessageStore } from './messages.js';

export class DeliveryFeedback {
  private readonly messages: MessageStore;

  constructor(
    private readonly ctx: RoutingContext,
    private readonly directory: Directory,
  ) {
    this.messages = new MessageStore(ctx);
  }

  /** A reaction on the worker's message, once per status whatever the number of SMS parts. */
  private async react(message: Pick<MessageDocument, 'matrixEventId' | 'conversation' | 'kind' | 'delivery'>, status: 'sent' | 'delivered'): Promise<void> {
    if (message.delivery.target !== 'sms' || message.kind !== 'message' || !message.matrixEventId) return;
    const conversation = await this.ctx.models.Conversation.findById(message.conversation, { matrixRoomId: 1 }).lean();
    if (!conversation?.matrixRoomId) return;
    if (!(await this.ctx.claims.acquire(`reaction:${message.matrixEventId}:${status}`))) return;
    try {
      const client = await this.ctx.matrix();
      const key = this.ctx.i18n.t(this.ctx.staffLanguage, `room.status.${status}`);
      await client.sendEvent(conversation.matrixRoomId, 'm.reaction', reactionContent(message.matrixEventId, key), `lien-reaction-${message.matrixEventId}-${status}`);
    } catch (err) {
      // A reaction is a courtesy: the delivery itself is recorded whatever happens here.
      this.ctx.logger.warn({ status, reason: (err as Error).message }, 'could not add a status reaction');
    }
  }

  /** The outbox handed the SMS to Twilio. */
  async onSent(message: OutboxMessage): Promise<void> {
    if (message.delivery.target !== 'sms') return;
    await this.ctx.audit.append({
      actor: message.author ? { kind: 'worker', id: message.author } : { kind: 'system' },
      action: 'sms.sent',
      subject: { kind: 'message', id: String(message._id) },
      conversation: message.conversation,
      details: { part: message.delivery.part ?? 0, kind: message.kind ?? 'message' },
    });
    await this.react(message, 'sent');
  }

  /** The outbox gave up on a message: a human hears of it. */
  async onGaveUp(message: OutboxMessage): Promise<void> {
    const code = message.delivery.lastError?.code ?? null;
    await this.ctx.audit.append({
      actor: { kind: 'system' },
      action: message.delivery.target === 'sms' ? 'sms.failed' : 'room.delivery_failed',
      subject: { kind: 'message', id: String(message._id) },
      conversation: message.conversation,
      details: { code, attempts: message.delivery.attempts },
    });
    if (message.delivery.target === 'matrix') {
      // Nowhere else to say it than the log and the audit trail: the room itself is what failed.
      this.ctx.logger.error({ messageId: String(message._id), code }, 'a message could not be posted in its room');
      return;
    }
    if (!message.conversation || message.kind !== 'message') return;
    const reason = this.ctx.i18n.t(this.ctx.staffLanguage, `reason.${smsFailureReason(code)}`);
    await this.messages.queueNotice(message.conversation, `undeliverable:${String(message._id)}`, this.ctx.i18n.t(this.ctx.staffLanguage, 'room.undeliverable', { reason }));
  }

  /** The outbox withheld an SMS because the person said STOP before it went. */
  async onWithheld(message: OutboxMessage): Promise<void> {
    await this.ctx.audit.append({
      actor: { kind: 'system' },
      action: 'sms.withheld',
      subject: { kind: 'message', id: String(message._id) },
      conversation: message.conversation,
      details: { kind: message.kind ?? 'message', reason: 'opted_out' },
    });
    if (!message.person || !message.conversation) return;
    const person = await this.ctx.models.Person.findById(message.person);
    if (person?.optedOut) await this.reportWithheld(person, message.conversation, person.optedOut.at);
  }

  /**
   * Tells the room, once per STOP however many SMS it withheld, that what was waiting for the person will
   * not go (the notice's key names the STOP: its time).
   */
  async reportWithheld(person: PersonDocument, conversation: Types.ObjectId, optedOutAt: Date): Promise<void> {
    const name = await this.directory.labelOf(person);
    const keyword = person.optedOut?.keyword ?? 'STOP';
    await this.messages.queueNotice(conversation, `withheld:${String(person._id)}:${optedOutAt.getTime()}`, this.ctx.i18n.t(this.ctx.staffLanguage, 'room.withheldOptedOut', { name, keyword }));
  }

  /** Twilio's status callback for an SMS Lien sent. */
  async onStatus(update: SmsStatusUpdate): Promise<void> {
    // The callback can overtake the storing of the SID it refers to: look again briefly before giving up.
    let message: MessageDocument | null = null;
    for (let i = 0; i < 5 && !message; i++) {
      message = await this.ctx.models.Message.findOne({ twilioSid: update.messageSid, direction: 'outbound' });
      if (!message) await new Promise((r) => setTimeout(r, 300 * (i + 1)));
    }
    if (!message) {
      this.ctx.logger.warn({ sid: update.messageSid, status: update.status }, 'status callback for an unknown message');
      return;
    }
    if (update.status === 'delivered') {
      if (!(await moveDelivery(this.ctx.models.Message, message._id, 'delivered', { 'delivery.deliveredAt': new Date() }))) return;
      await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'sms.delivered', subject: { kind: 'message', id: String(message._id) }, conversation: message.conversation, details: { part: message.delivery.part ?? 0 } });
      await this.react(message, 'delivered');
      return;
    }
    if (isFailureStatus(update.status)) {
      const reasonKey = smsFailureReason(update.errorCode);
      // Only from `sent`: a failure reported after the delivery (or twice) changes nothing.
      if (!(await moveDelivery(this.ctx.models.Message, message._id, 'failed', { 'delivery.lastError': { code: update.errorCode, reason: reasonKey, at: new Date() } }, ['sent']))) {
        this.ctx.logger.info({ messageId: String(message._id), status: update.status, current: message.delivery.status }, 'late status callback ignored: statuses only move forward');
        return;
      }
      await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'sms.failed', subject: { kind: 'message', id: String(message._id) }, conversation: message.conversation, details: { code: update.errorCode, reason: reasonKey } });
      if (reasonKey === 'opted_out' && message.person) {
        await this.ctx.models.Person.updateOne({ _id: message.person, optedOut: null }, { $set: { optedOut: { at: new Date(), keyword: 'CARRIER' } } });
      }
      if (message.conversation && message.kind === 'message') {
        const person = await this.ctx.models.Person.findById(message.person);
        const name = person ? await this.directory.labelOf(person) : '?';
        const reason = this.ctx.i18n.t(this.ctx.staffLanguage, `reason.${reasonKey}`);
        await this.messages.queueNotice(message.conversation, `failed:${String(message._id)}`, this.ctx.i18n.t(this.ctx.staffLanguage, 'room.deliveryFailed', { name, reason }));
      }
    }
  }
}
