import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * A portal room to close after its person was erased: Lien redacts the events listed, removes the
 * members and leaves. Written by the erasure (which may run where the homeserver cannot be reached, as
 * the admin CLI does) and done by the running Lien; removed once done. Holds room and event ids only.
 */
export const roomClosureSchema = new Schema(
  {
    roomId: { type: String, required: true },
    /** The events to redact (what Lien posted and relayed there); empty for a room only to leave. */
    eventIds: { type: [String], default: [] },
    /** The team's space the room is filed under, to take it out. */
    spaceId: { type: String, default: null },
    /** Leave the room once cleaned (a portal room); false for a room that stays (a team's triage room). */
    close: { type: Boolean, default: true },
    attempts: { type: Number, default: 0 },
    lastError: { type: String, default: null },
  },
  { versionKey: false, timestamps: true },
);
roomClosureSchema.index({ createdAt: 1 });

export type RoomClosureDoc = InferSchemaType<typeof roomClosureSchema>;
export const roomClosureModel = (conn: Connection) => conn.model('RoomClosure', roomClosureSchema, 'roomClosures');
