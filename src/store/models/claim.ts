import { Schema, type Connection } from 'mongoose';

/** A claim on a piece of work, won by the one process whose insert of this `_id` succeeds. */
export const claimSchema = new Schema(
  {
    _id: { type: String, required: true },
    holder: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
claimSchema.index({ at: 1 });

export const claimModel = (conn: Connection) => conn.model('Claim', claimSchema, 'claims');
