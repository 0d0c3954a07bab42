import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { CONVERSATION_STATUSES } from '../../domain/types.js';

export const conversationSchema = new Schema(
  {
    person: { type: Schema.Types.ObjectId, ref: 'Person', required: true },
    team: { type: Schema.Types.ObjectId, ref: 'Team', required: true },
    owner: { type: Schema.Types.ObjectId, ref: 'Worker', default: null },
    /** The portal room on the homeserver; null until it is first needed. */
    matrixRoomId: { type: String, default: null },
    status: { type: String, enum: CONVERSATION_STATUSES, default: 'open' },
    /** Since when the person has been waiting for a human answer; null when nobody waits. */
    waitingSince: { type: Date, default: null },
    lastInboundAt: { type: Date, default: null },
    lastOutboundAt: { type: Date, default: null },
    flagged: { type: Boolean, default: false },
  },
  { timestamps: true },
);
// One conversation per person and team; look-ups by room, and the team's backlog of people waiting.
conversationSchema.index({ person: 1, team: 1 }, { unique: true });
conversationSchema.index({ matrixRoomId: 1 });
conversationSchema.index({ team: 1, status: 1, waitingSince: 1 });
conversationSchema.index({ owner: 1, status: 1 });

export type ConversationDoc = InferSchemaType<typeof conversationSchema>;
export const conversationModel = (conn: Connection) => conn.model('Conversation', conversationSchema, 'conversations');
