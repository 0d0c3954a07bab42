import { Schema, type Connection } from 'mongoose';

/** Small pieces of Lien's own state, by key (the Matrix session, the sync token…). */
export const settingSchema = new Schema(
  {
    _id: { type: String, required: true },
    value: { type: Schema.Types.Mixed, required: true },
  },
  { timestamps: true, versionKey: false },
);

export const settingModel = (conn: Connection) => conn.model('Setting', settingSchema, 'settings');
