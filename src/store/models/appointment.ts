import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { APPOINTMENT_STATUSES } from '../../domain/types.js';

export const appointmentSchema = new Schema(
  {
    person: { type: Schema.Types.ObjectId, ref: 'Person', required: true },
    conversation: { type: Schema.Types.ObjectId, ref: 'Conversation', required: true },
    worker: { type: Schema.Types.ObjectId, ref: 'Worker', required: true },
    startsAt: { type: Date, required: true },
    durationMinutes: { type: Number, default: 45, min: 5 },
    place: { type: String, default: null },
    status: { type: String, enum: APPOINTMENT_STATUSES, default: 'scheduled' },
    reminderSentAt: { type: Date, default: null },
    /** The person's answer to the reminder, when there was one. */
    answeredAt: { type: Date, default: null },
  },
  { timestamps: true },
);
appointmentSchema.index({ person: 1, startsAt: 1 });
appointmentSchema.index({ status: 1, startsAt: 1 });
appointmentSchema.index({ worker: 1, startsAt: 1 });

export type AppointmentDoc = InferSchemaType<typeof appointmentSchema>;
export const appointmentModel = (conn: Connection) => conn.model('Appointment', appointmentSchema, 'appointments');
