import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { WORKER_ROLES } from '../../domain/types.js';

export const workerSchema = new Schema(
  {
    matrixUserId: { type: String, required: true, unique: true, match: /^@[^:]+:.+$/ },
    displayName: { type: String, required: true },
    team: { type: Schema.Types.ObjectId, ref: 'Team', required: true, index: true },
    role: { type: String, enum: WORKER_ROLES, required: true, default: 'worker' },
    active: { type: Boolean, default: true },
    absence: {
      type: new Schema(
        {
          from: { type: Date, required: true },
          until: { type: Date, default: null },
          backup: { type: Schema.Types.ObjectId, ref: 'Worker', default: null },
        },
        { _id: false },
      ),
      default: null,
    },
  },
  { timestamps: true },
);

export type WorkerDoc = InferSchemaType<typeof workerSchema>;
export const workerModel = (conn: Connection) => conn.model('Worker', workerSchema, 'workers');
