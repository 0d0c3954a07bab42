/**
 * STOP and START, honoured: the person's choice is recorded at once, the room is told, and the person
 * gets the one confirmation carriers expect. After STOP nothing else goes: every SMS still waiting for
 * them (a worker's reply, a reminder, an acknowledgement, any automatic answer) is withheld for good,
 * the room hears of it once, and START lets only what is new go out.
 */
import type { Types } from 'mongoose';
import type { ConsentKeyword } from '../domain/keywords.js';
import type { PersonDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';
import { DeliveryFeedback } from './delivery-feedback.js';
import { Directory } from './directory.js';
import { MessageStore } from './messages.js';

export class Consent {
  private readonly directory: Directory;
  private readonly messages: MessageStore;
  private readonly feedback: DeliveryFeedback;

  constructor(private readonly ctx: RoutingContext) {
    this.directory = new Directory(ctx);
    this.messages = new MessageStore(ctx);
    this.feedback = new DeliveryFeedback(ctx, this.directory);
  }

  /**
   * Applies an opt-out or opt-in keyword the person sent in message `messageId`. Safe to run again for
   * the same message (a turn run again after a crash): what it queues is keyed on the message, and it is
   * audited once.
   */
  async apply(person: PersonDocument, conversationId: Types.ObjectId, keyword: ConsentKeyword, messageId: string): Promise<void> {
    const label = await this.directory.labelOf(person);
    if (keyword.kind === 'opt-out') {
      const at = new Date();
      await this.ctx.models.Person.updateOne({ _id: person._id }, { $set: { optedOut: { at, keyword: keyword.keyword } } });
      await this.auditOnce(messageId, { actor: { kind: 'person', id: String(person._id) }, action: 'person.opted_out', subject: { kind: 'person', id: String(person._id) }, conversation: conversationId, details: { keyword: keyword.keyword } });
      await this.messages.queueNotice(conversationId, `optout:${messageId}`, this.ctx.i18n.t(this.ctx.staffLanguage, 'room.optedOut', { name: label, keyword: keyword.keyword }));
      // What was still waiting for the phone will not go, now or after START; the room is told once.
      const withheld = await this.ctx.outbox.withholdFor(person._id, { code: '21610', reason: 'opted_out' });
      if (withheld > 0) {
        await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'sms.withheld', subject: { kind: 'person', id: String(person._id) }, conversation: conversationId, details: { count: withheld, reason: 'opted_out' } });
        person.optedOut = { at, keyword: keyword.keyword };
        await this.feedback.reportWithheld(person, conversationId, at);
      }
      // The one confirmation a person gets after STOP, as carriers expect; nothing else follows.
      await this.messages.queueSms({ keyPrefix: `optout-ack:${messageId}`, conversation: conversationId, person: person._id, body: this.ctx.i18n.t(person.language, 'sms.optedOut'), kind: 'notice', confirmsOptOut: true });
      return;
    }
    const wasOut = Boolean(person.optedOut);
    // START from someone who never said STOP changes nothing: no notice, no confirmation to send.
    if (!wasOut) return;
    await this.ctx.models.Person.updateOne({ _id: person._id }, { $set: { optedOut: null } });
    await this.auditOnce(messageId, { actor: { kind: 'person', id: String(person._id) }, action: 'person.opted_in', subject: { kind: 'person', id: String(person._id) }, conversation: conversationId, details: { keyword: keyword.keyword, wasOptedOut: wasOut } });
    await this.messages.queueNotice(conversationId, `optin:${messageId}`, this.ctx.i18n.t(this.ctx.staffLanguage, 'room.optedIn', { name: label }));
    await this.messages.queueSms({ keyPrefix: `optin-ack:${messageId}`, conversation: conversationId, person: person._id, body: this.ctx.i18n.t(person.language, 'sms.optedIn'), kind: 'notice' });
  }

  private async auditOnce(messageId: string, event: Parameters<RoutingContext['audit']['append']>[0]): Promise<void> {
    if (await this.ctx.claims.acquire(`consent-audit:${messageId}`)) await this.ctx.audit.append(event);
  }
}
