/**
 * Storing what must travel: a person's message on its way to the room, a reply on its way to a phone,
 * a notice for the workers. Each is stored once (idempotent on its key) and then handed to the outbox.
 */
import type { Types } from 'mongoose';
import { splitForSms } from '../channels/sms/segments.js';
import type { Channel } from '../domain/types.js';
import type { MessageDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

export interface StoredMessage {
  message: MessageDocument;
  /** True when this key was stored before (a provider's retry): nothing new was created. */
  duplicate: boolean;
}

export class MessageStore {
  constructor(private readonly ctx: RoutingContext) {}

  private async createOnce(doc: Record<string, unknown> & { dedupeKey: string }): Promise<StoredMessage> {
    try {
      return { message: await this.ctx.models.Message.create(doc), duplicate: false };
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      const existing = await this.ctx.models.Message.findOne({ dedupeKey: doc.dedupeKey });
      if (!existing) throw err;
      return { message: existing, duplicate: true };
    }
  }

  /**
   * A person's message, to be posted in their conversation's room; `held` keeps it from the outbox until
   * the bot's turn has read it (then `release` or `markConsumed`).
   */
  storeInbound(m: { dedupeKey: string; conversation: Types.ObjectId; person: Types.ObjectId; channel: Channel; body: string; twilioSid?: string; media?: Array<{ url: string; contentType: string }>; receivedAt: Date; held?: boolean }): Promise<StoredMessage> {
    return this.createOnce({
      dedupeKey: m.dedupeKey,
      conversation: m.conversation,
      person: m.person,
      direction: 'inbound',
      channel: m.channel,
      bodySealed: this.ctx.cipher.encrypt(m.body),
      twilioSid: m.twilioSid ?? null,
      media: m.media ?? [],
      receivedAt: m.receivedAt,
      delivery: { target: 'matrix', ...(m.held ? { status: 'held' } : {}) },
    });
  }

  /** A held message goes to the room after all (free text, or the bot could not read it). */
  async release(id: Types.ObjectId): Promise<void> {
    await this.ctx.models.Message.updateOne({ _id: id, 'delivery.status': 'held' }, { $set: { 'delivery.status': 'pending', 'delivery.nextAttemptAt': new Date() } });
    this.deliverSoon(id);
  }

  /** A held message the bot took as an answer (a menu choice, OUI to a reminder): kept, never posted as text. */
  async markConsumed(id: Types.ObjectId): Promise<void> {
    await this.ctx.models.Message.updateOne({ _id: id, 'delivery.status': 'held' }, { $set: { 'delivery.status': 'consumed' } });
    // An answer the bot took (a menu choice, OUI to a reminder) leaves nobody waiting for a human, and
    // is not among the messages of a closed period that the opening digest counts.
    const message = await this.ctx.models.Message.findById(id, { conversation: 1, receivedAt: 1 }).lean();
    if (!message?.conversation) return;
    await this.ctx.models.OutOfHoursMessage.deleteOne({ _id: id });
    const conversation = await this.ctx.models.Conversation.findById(message.conversation, { waitingSince: 1 }).lean();
    if (conversation?.waitingSince && conversation.waitingSince.getTime() === message.receivedAt.getTime()) {
      await this.ctx.models.Conversation.updateOne({ _id: message.conversation }, { $set: { waitingSince: null } });
    }
  }

  /**
   * A notice for the workers in a conversation's room, posted in order with its messages; addressed to
   * `mentions` (Matrix user ids, notified by their clients) when given.
   */
  async queueNotice(conversation: Types.ObjectId, key: string, text: string, opts: { mentions?: string[] } = {}): Promise<StoredMessage> {
    const stored = await this.createOnce({
      dedupeKey: `notice:${key}`,
      conversation,
      direction: 'outbound',
      kind: 'notice',
      channel: 'matrix',
      bodySealed: this.ctx.cipher.encrypt(text),
      mentions: opts.mentions ?? [],
      delivery: { target: 'matrix' },
    });
    if (!stored.duplicate) this.deliverSoon(stored.message._id);
    return stored;
  }

  /**
   * A text for the person's phone, split into as many SMS as it needs (each within 10 segments, never
   * cut mid-word). Returns the parts, in order.
   */
  async queueSms(m: { keyPrefix: string; conversation: Types.ObjectId; person: Types.ObjectId; body: string; author?: string; matrixEventId?: string; kind?: 'message' | 'notice'; confirmsOptOut?: boolean }): Promise<StoredMessage[]> {
    const parts = splitForSms(m.body);
    const stored: StoredMessage[] = [];
    const now = Date.now();
    for (const [i, part] of parts.entries()) {
      stored.push(
        await this.createOnce({
          dedupeKey: parts.length === 1 ? m.keyPrefix : `${m.keyPrefix}:${i}`,
          conversation: m.conversation,
          person: m.person,
          direction: 'outbound',
          kind: m.kind ?? 'message',
          channel: 'sms',
          bodySealed: this.ctx.cipher.encrypt(part),
          author: m.author ?? null,
          matrixEventId: m.matrixEventId ?? null,
          confirmsOptOut: m.confirmsOptOut ?? false,
          // Parts keep their order in the outbox, which sends a conversation's messages oldest first.
          receivedAt: new Date(now + i),
          delivery: { target: 'sms', part: i },
        }),
      );
    }
    for (const s of stored) if (!s.duplicate) this.deliverSoon(s.message._id);
    return stored;
  }

  /** Tries now; whatever does not go now is left to the outbox sweeper. */
  deliverSoon(id: Types.ObjectId): void {
    this.ctx.outbox.deliverNow(id).catch((err: unknown) => this.ctx.logger.warn({ messageId: String(id), err: { message: (err as Error).message } }, 'immediate delivery failed; the sweeper will retry'));
  }

  bodyOf(message: { bodySealed?: string | null }): string {
    return message.bodySealed ? this.ctx.cipher.decrypt(message.bodySealed) : '';
  }
}
