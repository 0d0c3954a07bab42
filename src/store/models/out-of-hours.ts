import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * An inbound message that arrived while its team was closed (right to disconnect): it is posted in the
 * room without mentioning anyone, and counted in the digest at the next opening. `_id` is the message's.
 */
export const outOfHoursMessageSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    conversation: { type: Schema.Types.ObjectId, ref: 'Conversation', required: true },
    /** The closed period it arrived in (domain/opening.ts closedPeriodKey). */
    period: { type: String, required: true },
    /** When it arrived, by Lien's clock. */
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
outOfHoursMessageSchema.index({ conversation: 1, period: 1 });

/**
 * A digest a room is still owed for when its team opens again: one per conversation and closed period,
 * created (a unique `_id`, "<conversation>:<period>") by the first message of the period, removed once
 * posted, so the collection only ever holds what is pending.
 */
export const openingDigestSchema = new Schema(
  {
    _id: { type: String, required: true },
    conversation: { type: Schema.Types.ObjectId, ref: 'Conversation', required: true },
    team: { type: Schema.Types.ObjectId, ref: 'Team', required: true },
    period: { type: String, required: true },
    /** When it is due: the opening that ends the period (looked at again then, should the hours have changed). */
    opensAt: { type: Date, required: true },
    /** The person was sent the automatic "closed" answer. */
    replied: { type: Boolean, default: false },
  },
  { versionKey: false, timestamps: true },
);
// The sweep's one query: the digests whose opening has come.
openingDigestSchema.index({ opensAt: 1 });

export type OutOfHoursMessageDoc = InferSchemaType<typeof outOfHoursMessageSchema>;
export type OpeningDigestDoc = InferSchemaType<typeof openingDigestSchema>;
export const outOfHoursMessageModel = (conn: Connection) => conn.model('OutOfHoursMessage', outOfHoursMessageSchema, 'outOfHoursMessages');
export const openingDigestModel = (conn: Connection) => conn.model('OpeningDigest', openingDigestSchema, 'openingDigests');
