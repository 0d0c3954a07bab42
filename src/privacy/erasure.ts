/**
 * Erasing a person (GDPR art. 17; the retention period, art. 5(1)(e)): their messages, appointments,
 * callbacks, dialog state, out-of-hours records, the claims and scheduled jobs keyed on them, their
 * conversations and the person record (phone number, name, preferences, consent). What the figures need
 * survives only as counts per team and month (RetainedCount). Their portal room is queued for closing
 * (RoomClosure): the running Lien redacts what it posted there, removes the members and leaves — see
 * room-closer.ts — so an erasure works where the homeserver cannot be reached (the admin CLI).
 *
 * The audit events about the person stay: they carry ids and figures only, so the chain still verifies.
 * The erasure itself is audited with the person's id and the counts removed.
 *
 * Order: counts and room closures are written first, the person record is deleted last, so that an
 * erasure cut short (a crash) leaves the person to be erased again by the next run (at the cost, in that
 * rare case, of their counts being kept twice).
 */
import type { Collection, Document } from 'mongodb';
import type { Types } from 'mongoose';
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';
import type { Models } from '../store/models/index.js';
import { countsByTeamAndMonth } from './counts.js';

export type ErasureReason = 'retention' | 'request';

/** What one erasure removed, in figures (printed by person:erase, audited). */
export interface ErasureReport {
  person: string;
  reason: ErasureReason;
  conversations: number;
  messages: number;
  appointments: number;
  callbacks: number;
  dialogStates: number;
  outOfHours: number;
  openingDigests: number;
  claims: number;
  scheduledJobs: number;
  /** Rooms queued for Lien to close (portal rooms) or clean (a triage room its messages went to). */
  rooms: number;
  /** Rows of figures kept (team × month). */
  countsKept: number;
}

export interface ErasureDeps {
  models: Models;
  audit: AuditLog;
  /** The scheduler's jobs (agenda), so that reminders of erased appointments go too; optional in tests. */
  jobs?: Collection<Document>;
}

type Id = Types.ObjectId;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Erasure {
  constructor(private readonly deps: ErasureDeps) {}

  /** Erases one person; null when there is no such person (already erased, or never was). */
  async erase(personId: Id | string, opts: { reason: ErasureReason; actor: AuditEntry['actor'] }): Promise<ErasureReport | null> {
    const { models } = this.deps;
    const person = await models.Person.findById(personId, { team: 1, triage: 1 }).lean();
    if (!person) return null;
    const pid = person._id;
    const conversations = await models.Conversation.find({ person: pid }, { team: 1, matrixRoomId: 1 }).lean();
    const convIds = conversations.map((c) => c._id);
    const messageFilter = { $or: [{ person: pid }, ...(convIds.length ? [{ conversation: { $in: convIds } }] : [])] };
    const messages = await models.Message.find(messageFilter, { conversation: 1, direction: 1, kind: 1, receivedAt: 1, matrixEventId: 1 }).lean();
    const appointments = await models.Appointment.find({ person: pid }, { conversation: 1, startsAt: 1, status: 1 }).lean();
    const callbacks = await models.CallbackRequest.find({ person: pid }, { conversation: 1, createdAt: 1, status: 1 }).lean();

    // 1. The figures, without anything that leads back to the person.
    const teamOf = new Map(conversations.map((c) => [String(c._id), c.team]));
    const counts = countsByTeamAndMonth({ defaultTeam: person.team, teamOf: (c) => (c ? teamOf.get(String(c)) : undefined), messages, appointments, callbacks });
    if (counts.length) await models.RetainedCount.insertMany(counts);

    // 2. The rooms to close (portal rooms) or clean (the team's triage room, where an unknown number's messages went).
    const eventIds = [...new Set(messages.map((m) => m.matrixEventId).filter((e): e is string => Boolean(e)))];
    const teams = await models.Team.find({ _id: { $in: [person.team, ...conversations.map((c) => c.team)] } }, { matrixSpaceId: 1, triageRoomId: 1 }).lean();
    const teamById = new Map(teams.map((t) => [String(t._id), t]));
    const closures: Array<{ roomId: string; eventIds: string[]; spaceId: string | null; close: boolean }> = [];
    for (const c of conversations) {
      if (c.matrixRoomId) closures.push({ roomId: c.matrixRoomId, eventIds, spaceId: teamById.get(String(c.team))?.matrixSpaceId ?? null, close: true });
    }
    // Events posted while the number was unknown sit in the triage room, which stays: only those are redacted there.
    const triageRooms = new Set(teams.map((t) => t.triageRoomId).filter((r): r is string => Boolean(r)));
    for (const roomId of triageRooms) if (eventIds.length) closures.push({ roomId, eventIds, spaceId: null, close: false });
    if (closures.length) await models.RoomClosure.insertMany(closures);

    // 3. Everything else about them.
    const ids = [String(pid), ...convIds.map(String), ...appointments.map((a) => String(a._id)), ...callbacks.map((c) => String(c._id))];
    const keyed = new RegExp(ids.map(escapeRegex).join('|'));
    const states = new RegExp(`^sms/(users/${escapeRegex(String(pid))}|conversations/(${convIds.map((c) => escapeRegex(String(c))).join('|') || '-'}))(/|$)`);
    const removed = {
      messages: (await models.Message.deleteMany(messageFilter)).deletedCount,
      appointments: (await models.Appointment.deleteMany({ person: pid })).deletedCount,
      callbacks: (await models.CallbackRequest.deleteMany({ person: pid })).deletedCount,
      dialogStates: (await models.DialogState.deleteMany({ _id: { $regex: states } })).deletedCount,
      outOfHours: convIds.length ? (await models.OutOfHoursMessage.deleteMany({ conversation: { $in: convIds } })).deletedCount : 0,
      openingDigests: convIds.length ? (await models.OpeningDigest.deleteMany({ conversation: { $in: convIds } })).deletedCount : 0,
      claims: (await models.Claim.deleteMany({ _id: { $regex: keyed } })).deletedCount,
      scheduledJobs: await this.deleteJobs(appointments.map((a) => String(a._id))),
      conversations: (await models.Conversation.deleteMany({ person: pid })).deletedCount,
    };
    await models.Person.deleteOne({ _id: pid });

    const report: ErasureReport = { person: String(pid), reason: opts.reason, ...removed, rooms: closures.length, countsKept: counts.length };
    await this.deps.audit.append({
      actor: opts.actor,
      action: 'person.erased',
      subject: { kind: 'person', id: String(pid) },
      details: {
        reason: report.reason,
        conversations: report.conversations,
        messages: report.messages,
        appointments: report.appointments,
        callbacks: report.callbacks,
        dialogStates: report.dialogStates,
        rooms: report.rooms,
      },
    });
    return report;
  }

  /** The appointment reminders still scheduled for these appointments. */
  private async deleteJobs(appointmentIds: string[]): Promise<number> {
    if (!this.deps.jobs || appointmentIds.length === 0) return 0;
    const res = await this.deps.jobs.deleteMany({ 'data.appointmentId': { $in: appointmentIds } });
    return res.deletedCount;
  }
}
