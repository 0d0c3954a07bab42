import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { ACTOR_KINDS } from '../../domain/types.js';

/**
 * One line of the append-only audit log. `seq` is unique and gapless; `hash` chains each event to the
 * previous one (see audit/audit-log.ts): an HMAC under the audit key for `v: 2`, plain SHA-256 for the
 * events written before the chain was keyed (no `v`). Never holds a message text or a phone number.
 */
export const auditEventSchema = new Schema(
  {
    /** How `hash` is computed: 2 = HMAC-SHA-256 under the audit key; absent = 1, plain SHA-256 (older events). */
    v: { type: Number, enum: [1, 2] },
    seq: { type: Number, required: true, unique: true },
    at: { type: Date, required: true },
    actor: {
      kind: { type: String, enum: ACTOR_KINDS, required: true },
      id: { type: String, default: null },
    },
    action: { type: String, required: true },
    subject: {
      kind: { type: String, default: null },
      id: { type: String, default: null },
    },
    conversation: { type: Schema.Types.ObjectId, ref: 'Conversation', default: null },
    details: { type: Schema.Types.Mixed, default: {} },
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
  },
  // minimize: false keeps an empty `details` as {}, exactly as it was hashed.
  { versionKey: false, minimize: false },
);
auditEventSchema.index({ conversation: 1, seq: 1 });
auditEventSchema.index({ action: 1, at: 1 });

export type AuditEventDoc = InferSchemaType<typeof auditEventSchema>;
export const auditEventModel = (conn: Connection) => conn.model('AuditEvent', auditEventSchema, 'auditEvents');
