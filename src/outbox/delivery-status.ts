/**
 * The one writer of a message's delivery status. Every change goes through the transition table of
 * domain/delivery-status.ts as a conditional update: the message moves only from a status the table
 * allows, so a late or repeated report (Twilio's `failed` after `delivered`, a retry finishing after the
 * person said STOP) changes nothing. Conditional updates are not isolated on FerretDB v1; mutual exclusion
 * between processes is the outbox's claims' job, this only keeps statuses moving forward.
 */
import type { Types } from 'mongoose';
import { statusesBefore } from '../domain/delivery-status.js';
import type { DeliveryStatus } from '../domain/types.js';
import type { Models } from '../store/models/index.js';

type MessageModel = Models['Message'];

/** What may be set with a status: other `delivery.*` fields and the provider's ids. */
export type DeliveryFields = Record<string, unknown>;

/**
 * Moves one message's delivery to `to` (and sets `fields`) if its current status allows it (and is one
 * of `from`, when given). True when it moved.
 */
export async function moveDelivery(Message: MessageModel, id: Types.ObjectId, to: DeliveryStatus, fields: DeliveryFields = {}, from?: readonly DeliveryStatus[]): Promise<boolean> {
  const allowed = statusesBefore(to).filter((s) => !from || from.includes(s));
  if (allowed.length === 0) return false;
  const result = await Message.updateOne({ _id: id, 'delivery.status': { $in: allowed } }, { $set: { ...fields, 'delivery.status': to } });
  return result.matchedCount > 0;
}

/** Moves every message matching `filter` whose status allows it to `to`; returns how many moved. */
export async function moveDeliveries(Message: MessageModel, filter: Record<string, unknown>, to: DeliveryStatus, fields: DeliveryFields = {}, from?: readonly DeliveryStatus[]): Promise<number> {
  const allowed = statusesBefore(to).filter((s) => !from || from.includes(s));
  if (allowed.length === 0) return 0;
  const result = await Message.updateMany({ ...filter, 'delivery.status': { $in: allowed } }, { $set: { ...fields, 'delivery.status': to } });
  return result.modifiedCount;
}
