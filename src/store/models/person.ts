import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { CHANNELS, LANGUAGES } from '../../domain/types.js';

/**
 * An accompanied person. The phone number is stored sealed (`phoneSealed`) with a keyed blind index
 * (`phoneIndex`, unique) for look-ups: see FieldCipher.
 */
export const personSchema = new Schema(
  {
    phoneIndex: { type: String, required: true, unique: true },
    phoneSealed: { type: String, required: true },
    displayName: { type: String, required: true },
    /** Shown instead of the name where the team names rooms by pseudonym. */
    pseudonym: { type: String, required: true },
    team: { type: Schema.Types.ObjectId, ref: 'Team', required: true, index: true },
    referent: { type: Schema.Types.ObjectId, ref: 'Worker', default: null, index: true },
    language: { type: String, enum: LANGUAGES, default: 'fr' },
    /** A number nobody has linked to a person yet: its messages go to the team's triage room. */
    triage: { type: Boolean, default: false },
    matrixUserId: { type: String, default: null },
    consent: {
      type: new Schema(
        { noticeVersion: { type: String, required: true }, givenAt: { type: Date, required: true }, channel: { type: String, enum: CHANNELS, required: true } },
        { _id: false },
      ),
      default: null,
    },
    preferences: {
      channels: { type: [{ type: String, enum: ['sms', 'call'] }], default: ['sms'] },
      /** Local times of day when messages are welcome ("HH:MM"), in the team's timezone. */
      welcomeFrom: { type: String, default: '08:00' },
      welcomeUntil: { type: String, default: '20:00' },
      reminders: { type: Boolean, default: true },
    },
    optedOut: {
      type: new Schema({ at: { type: Date, required: true }, keyword: { type: String, required: true } }, { _id: false }),
      default: null,
    },
  },
  { timestamps: true },
);

export type PersonDoc = InferSchemaType<typeof personSchema>;
export const personModel = (conn: Connection) => conn.model('Person', personSchema, 'people');
