/**
 * The retention period (GDPR art. 5(1)(e); CNIL délibération 2023-095 for the social sector: an active
 * base of 2 years after the last contact): each person whose last contact is older than
 * LIEN_RETENTION_MONTHS is erased, and their rooms closed.
 *
 * "Last contact" is the latest of: a message from or to them (room notices for the team do not count),
 * their conversations' last inbound/outbound dates, an appointment's date or last change (an appointment
 * still to come keeps them), a callback request's creation or completion, and the person's creation (a
 * person added who never wrote is kept a whole period from then).
 */
import type { Types } from 'mongoose';
import type { Logger } from '../logger.js';
import type { Models } from '../store/models/index.js';
import type { Erasure, ErasureReport } from './erasure.js';
import type { RoomCloser } from './room-closer.js';

/** `now` less `months` calendar months (UTC). */
export function retentionCutoff(now: Date, months: number): Date {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
}

/** The same period in milliseconds, for the homeserver (`m.room.retention` max_lifetime): months of 365.25/12 days. */
export function retentionMs(months: number): number {
  return Math.round((months * 365.25 * 24 * 3600_000) / 12);
}

export interface RetentionDeps {
  models: Models;
  erasure: Erasure;
  /** Closes the erased people's rooms right after; without it they wait for the next sweep. */
  closer?: RoomCloser;
  months: number;
  logger: Logger;
}

export interface RetentionRun {
  cutoff: Date;
  erased: ErasureReport[];
  roomsClosed: number;
}

export class Retention {
  constructor(private readonly deps: RetentionDeps) {}

  /** The last contact of every person, by id (see the file's comment for what counts). */
  async lastContacts(): Promise<Map<string, Date>> {
    const { models } = this.deps;
    const last = new Map<string, Date>();
    const see = (person: Types.ObjectId | null | undefined, ...dates: Array<Date | null | undefined>) => {
      if (!person) return;
      const key = String(person);
      for (const d of dates) {
        if (!d) continue;
        const known = last.get(key);
        if (!known || d > known) last.set(key, d);
      }
    };
    // Full scans with small projections, once a day: no per-person query (FerretDB scans those too).
    const personOf = new Map<string, Types.ObjectId>();
    const people = new Set<string>();
    for await (const p of models.Person.find({}, { createdAt: 1 }).lean().cursor()) {
      people.add(String(p._id));
      see(p._id, p.createdAt);
    }
    for await (const c of models.Conversation.find({}, { person: 1, lastInboundAt: 1, lastOutboundAt: 1 }).lean().cursor()) {
      personOf.set(String(c._id), c.person);
      see(c.person, c.lastInboundAt, c.lastOutboundAt);
    }
    for await (const m of models.Message.find({ kind: { $ne: 'notice' } }, { person: 1, conversation: 1, receivedAt: 1 }).lean().cursor()) {
      see(m.person ?? (m.conversation ? personOf.get(String(m.conversation)) : undefined), m.receivedAt);
    }
    for await (const a of models.Appointment.find({}, { person: 1, startsAt: 1, updatedAt: 1 }).lean().cursor()) see(a.person, a.startsAt, a.updatedAt);
    for await (const c of models.CallbackRequest.find({}, { person: 1, createdAt: 1, doneAt: 1, updatedAt: 1 }).lean().cursor()) see(c.person, c.createdAt, c.doneAt, c.updatedAt);
    // Only people who exist (records left by a person deleted otherwise are not a person to erase).
    for (const k of last.keys()) if (!people.has(k)) last.delete(k);
    return last;
  }

  /** The people whose last contact is before the cutoff for `now`. */
  async due(now: Date): Promise<string[]> {
    const cutoff = retentionCutoff(now, this.deps.months);
    return [...(await this.lastContacts())].filter(([, at]) => at < cutoff).map(([id]) => id);
  }

  /** Erases everyone due at `now` (Lien's clock), then closes their rooms. */
  async run(now: Date): Promise<RetentionRun> {
    const cutoff = retentionCutoff(now, this.deps.months);
    const erased: ErasureReport[] = [];
    for (const id of await this.due(now)) {
      const report = await this.deps.erasure.erase(id, { reason: 'retention', actor: { kind: 'system', id: 'retention' } });
      if (report) erased.push(report);
    }
    if (erased.length) this.deps.logger.info({ erased: erased.length, cutoff: cutoff.toISOString() }, 'people erased at the end of the retention period');
    const roomsClosed = this.deps.closer ? await this.deps.closer.closeQueued() : 0;
    return { cutoff, erased, roomsClosed };
  }
}
