import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { CHANNELS, DELIVERY_STATUSES, DELIVERY_TARGETS, MESSAGE_DIRECTIONS } from '../../domain/types.js';

/**
 * One message, inbound or outbound, and its delivery. `dedupeKey` is unique and always set (FerretDB has
 * no partial indexes): "twilio:<MessageSid>" or "matrix:<event_id>" for what arrives, so a provider's
 * retry or replay never makes a second message; a generated key for what Lien originates.
 */
export const messageSchema = new Schema(
  {
    dedupeKey: { type: String, required: true, unique: true },
    conversation: { type: Schema.Types.ObjectId, ref: 'Conversation', default: null },
    person: { type: Schema.Types.ObjectId, ref: 'Person', default: null },
    direction: { type: String, enum: MESSAGE_DIRECTIONS, required: true },
    /** A person's or a worker's message, or a notice Lien posts in the room for the workers. */
    kind: { type: String, enum: ['message', 'notice'], default: 'message' },
    channel: { type: String, enum: CHANNELS, required: true },
    /** The text, sealed with FieldCipher. */
    bodySealed: { type: String, default: null },
    /** Twilio's MessageSid / CallSid once known. */
    twilioSid: { type: String, default: null, index: true },
    /** The Matrix event this message is (inbound) or was posted as (outbound to the room). */
    matrixEventId: { type: String, default: null, index: true },
    /** Matrix user id of the worker who wrote it, for replies from a room. */
    author: { type: String, default: null },
    /**
     * The confirmation of a STOP for the person's phone: the one SMS that still goes to a person who said
     * STOP. Every other SMS to them is withheld.
     */
    confirmsOptOut: { type: Boolean, default: false },
    /** Matrix user ids a notice is addressed to: the room event mentions them (pill and m.mentions). */
    mentions: { type: [String], default: [] },
    /** Media a carrier delivered with an inbound MMS (fetched and posted in the room). */
    media: [new Schema({ url: { type: String, required: true }, contentType: { type: String, required: true } }, { _id: false })],
    receivedAt: { type: Date, required: true, default: () => new Date() },
    delivery: {
      type: new Schema(
        {
      target: { type: String, enum: DELIVERY_TARGETS, required: true },
      /** For one part of a long text split into several SMS: its place, from 0. */
      part: { type: Number, default: 0 },
      status: { type: String, enum: DELIVERY_STATUSES, required: true, default: 'pending' },
      attempts: { type: Number, default: 0 },
      /**
       * Of those attempts, the ones that do not count toward giving up: claims given back untried (an
       * earlier message of the conversation had to go first) and attempts that found the other side
       * unreachable (an outage says nothing about the message).
       */
      deferrals: { type: Number, default: 0 },
      nextAttemptAt: { type: Date, default: () => new Date() },
      /** A `sending` claim expires at this time, so a crashed process never holds a message forever. */
      claimedUntil: { type: Date, default: null },
      lastError: {
        type: new Schema({ code: { type: String, default: null }, reason: { type: String, required: true }, at: { type: Date, required: true } }, { _id: false }),
        default: null,
      },
      deliveredAt: { type: Date, default: null },
        },
        { _id: false },
      ),
      required: true,
    },
  },
  { timestamps: true },
);
// The outbox: what is due, oldest first; and a conversation's history in order.
messageSchema.index({ 'delivery.status': 1, 'delivery.nextAttemptAt': 1 });
messageSchema.index({ conversation: 1, receivedAt: 1 });

export type MessageDoc = InferSchemaType<typeof messageSchema>;
export const messageModel = (conn: Connection) => conn.model('Message', messageSchema, 'messages');
