import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { CALLBACK_STATUSES } from '../../domain/types.js';

export const callbackRequestSchema = new Schema(
  {
    person: { type: Schema.Types.ObjectId, ref: 'Person', required: true },
    conversation: { type: Schema.Types.ObjectId, ref: 'Conversation', required: true },
    /** The window the person can speak freely in, as they gave it. */
    windowStart: { type: Date, required: true },
    windowEnd: { type: Date, required: true },
    /** May a voicemail be left if they do not pick up? */
    voicemailAllowed: { type: Boolean, required: true },
    dueAt: { type: Date, required: true },
    status: { type: String, enum: CALLBACK_STATUSES, default: 'open' },
    doneAt: { type: Date, default: null },
    doneBy: { type: Schema.Types.ObjectId, ref: 'Worker', default: null },
  },
  { timestamps: true },
);
callbackRequestSchema.index({ status: 1, dueAt: 1 });
callbackRequestSchema.index({ conversation: 1, createdAt: 1 });

export type CallbackRequestDoc = InferSchemaType<typeof callbackRequestSchema>;
export const callbackRequestModel = (conn: Connection) => conn.model('CallbackRequest', callbackRequestSchema, 'callbackRequests');
