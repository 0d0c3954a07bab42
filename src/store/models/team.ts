import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { HOLIDAY_CALENDARS } from '../../domain/holidays.js';
import { isValidTimeZone } from '../../domain/office-hours.js';

/** "HH:MM"; "24:00" closes a slot at midnight. */
const clock = { type: String, required: true, match: /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/ };

export const teamSchema = new Schema(
  {
    slug: { type: String, required: true, unique: true, match: /^[a-z0-9-]+$/ },
    name: { type: String, required: true },
    timezone: {
      type: String,
      required: true,
      default: 'Europe/Paris',
      validate: { validator: isValidTimeZone, message: 'unknown timezone {VALUE}' },
    },
    officeHours: [
      new Schema(
        { weekday: { type: Number, required: true, min: 1, max: 7 }, opens: clock, closes: clock },
        { _id: false },
      ),
    ],
    closures: [new Schema({ from: { type: Date, required: true }, until: { type: Date, required: true }, reason: String }, { _id: false })],
    /** Which public holidays close the team (an empty `officeHours` means the default slots, see domain/opening.ts). */
    holidayCalendar: { type: String, enum: HOLIDAY_CALENDARS, default: 'france' },
    matrixSpaceId: { type: String, default: null },
    triageRoomId: { type: String, default: null },
    settings: {
      /** Name portal rooms with a pseudonym instead of the person's name. */
      pseudonymousRooms: { type: Boolean, default: false },
      /** Create portal rooms end-to-end encrypted. */
      encryptRooms: { type: Boolean, default: true },
      /**
       * Answer a person's first message of the day with a short automatic acknowledgement (only while the
       * team is open and within the person's welcome hours).
       */
      acknowledgeDaily: { type: Boolean, default: true },
      /** Let accounts of other homeservers into the team's rooms (`m.federate`, fixed when a room is created). */
      allowFederation: { type: Boolean, default: false },
    },
  },
  { timestamps: true },
);

export type TeamDoc = InferSchemaType<typeof teamSchema>;
export const teamModel = (conn: Connection) => conn.model('Team', teamSchema, 'teams');
