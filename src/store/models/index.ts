import type { Connection, HydratedDocument } from 'mongoose';
import { appointmentModel } from './appointment.js';
import { auditEventModel } from './audit-event.js';
import { callbackRequestModel } from './callback-request.js';
import { claimModel } from './claim.js';
import { conversationModel, type ConversationDoc } from './conversation.js';
import { dialogStateModel } from './dialog-state.js';
import { messageModel, type MessageDoc } from './message.js';
import { openingDigestModel, outOfHoursMessageModel } from './out-of-hours.js';
import { personModel, type PersonDoc } from './person.js';
import { retainedCountModel } from './retained-count.js';
import { roomClosureModel } from './room-closure.js';
import { settingModel } from './setting.js';
import { teamModel, type TeamDoc } from './team.js';
import { workerModel, type WorkerDoc } from './worker.js';

/** Every model bound to one connection (tests use a database each; nothing depends on mongoose's global). */
export function createModels(conn: Connection) {
  return {
    Team: teamModel(conn),
    Worker: workerModel(conn),
    Person: personModel(conn),
    Conversation: conversationModel(conn),
    Message: messageModel(conn),
    Appointment: appointmentModel(conn),
    CallbackRequest: callbackRequestModel(conn),
    AuditEvent: auditEventModel(conn),
    Setting: settingModel(conn),
    Claim: claimModel(conn),
    DialogState: dialogStateModel(conn),
    OutOfHoursMessage: outOfHoursMessageModel(conn),
    OpeningDigest: openingDigestModel(conn),
    RetainedCount: retainedCountModel(conn),
    RoomClosure: roomClosureModel(conn),
  };
}

export type Models = ReturnType<typeof createModels>;

/** Builds every index the queries need; run once at start (idempotent). */
export async function syncIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models)) await model.createIndexes();
}

export type TeamDocument = HydratedDocument<TeamDoc>;
export type WorkerDocument = HydratedDocument<WorkerDoc>;
export type PersonDocument = HydratedDocument<PersonDoc>;
export type ConversationDocument = HydratedDocument<ConversationDoc>;
export type MessageDocument = HydratedDocument<MessageDoc>;
