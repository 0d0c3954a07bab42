import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * What the figures keep of an erased person (retention, or a request to erase): counts for one team and
 * one month, and nothing that leads back to the person (no person, conversation or message id, no date
 * finer than the month). One document per erasure and month, inserted and never updated (FerretDB does
 * not isolate `$inc`), so a month's figures are the sum of its documents.
 */
export const retainedCountSchema = new Schema(
  {
    team: { type: Schema.Types.ObjectId, ref: 'Team', required: true },
    /** "YYYY-MM" (UTC) of what is counted: a message's arrival, an appointment's date, a callback's request. */
    month: { type: String, required: true, match: /^\d{4}-\d{2}$/ },
    messagesIn: { type: Number, default: 0 },
    messagesOut: { type: Number, default: 0 },
    /** Appointments by status (scheduled, confirmed, cancelled, done, missed). */
    appointments: { type: Schema.Types.Mixed, default: {} },
    /** Callback requests by status (open, done, cancelled). */
    callbacks: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, minimize: false },
);
retainedCountSchema.index({ team: 1, month: 1 });

export type RetainedCountDoc = InferSchemaType<typeof retainedCountSchema>;
export const retainedCountModel = (conn: Connection) => conn.model('RetainedCount', retainedCountSchema, 'retainedCounts');
