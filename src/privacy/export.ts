/**
 * A person's right of access and to portability (GDPR art. 15, 20): everything Lien holds about them,
 * decrypted, as one plain object (written as JSON by `person:export`, and as a page by export-page.ts):
 * who they are to the service, their consent and the notice's version, their preferences, every message
 * (texts decrypted; voice notes and MMS as the links Lien keeps to them), their appointments and callback
 * requests, the bot's state about them, and the audit events about them (who read or did what, and when).
 */
import type { Types } from 'mongoose';
import type { FieldCipher } from '../store/field-cipher.js';
import type { Models } from '../store/models/index.js';

export interface PersonExport {
  exportedAt: string;
  person: {
    id: string;
    phone: string;
    displayName: string;
    pseudonym: string;
    language: string;
    team: string | null;
    referent: string | null;
    unknownNumber: boolean;
    createdAt: string | null;
    optedOut: { at: string; keyword: string } | null;
  };
  consent: { noticeVersion: string; givenAt: string; channel: string } | null;
  preferences: { channels: string[]; welcomeFrom: string; welcomeUntil: string; reminders: boolean };
  messages: Array<{
    at: string;
    direction: string;
    kind: string;
    channel: string;
    text: string | null;
    author: string | null;
    media: Array<{ url: string; contentType: string }>;
    status: string;
  }>;
  appointments: Array<{ startsAt: string; durationMinutes: number; place: string | null; status: string; worker: string | null; reminderSentAt: string | null; answeredAt: string | null }>;
  callbacks: Array<{ requestedAt: string | null; windowStart: string; windowEnd: string; voicemailAllowed: boolean; status: string; doneAt: string | null }>;
  /** What the bot remembers of a conversation with them (dialog stacks, answers given), decrypted. */
  botState: Array<{ key: string; value: unknown }>;
  audit: Array<{ seq: number; at: string; actor: string; action: string; subject: string | null; details: Record<string, unknown> }>;
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

function open(cipher: FieldCipher, sealed: string | null | undefined): string | null {
  if (!sealed) return null;
  try {
    return cipher.decrypt(sealed);
  } catch {
    return '[cannot be decrypted with this key]';
  }
}

/** Everything about the person; null when there is no such person. */
export async function exportPerson(models: Models, cipher: FieldCipher, personId: Types.ObjectId | string, now = new Date()): Promise<PersonExport | null> {
  const person = await models.Person.findById(personId).lean();
  if (!person) return null;
  const pid = person._id;
  const [team, referent] = await Promise.all([models.Team.findById(person.team, { name: 1 }).lean(), person.referent ? models.Worker.findById(person.referent, { displayName: 1, matrixUserId: 1 }).lean() : null]);
  const conversations = await models.Conversation.find({ person: pid }, { _id: 1 }).lean();
  const convIds = conversations.map((c) => c._id);
  const messages = await models.Message.find({ $or: [{ person: pid }, ...(convIds.length ? [{ conversation: { $in: convIds } }] : [])] }).sort({ receivedAt: 1 }).lean();
  const appointments = await models.Appointment.find({ person: pid }).sort({ startsAt: 1 }).lean();
  const callbacks = await models.CallbackRequest.find({ person: pid }).sort({ createdAt: 1 }).lean();
  const workers = new Map((await models.Worker.find({ _id: { $in: appointments.map((a) => a.worker) } }, { displayName: 1 }).lean()).map((w) => [String(w._id), w.displayName]));
  const stateKeys = new RegExp(`^sms/(users/${String(pid)}|conversations/(${convIds.map(String).join('|') || '-'}))(/|$)`);
  const states = await models.DialogState.find({ _id: { $regex: stateKeys } }).lean();
  const subjects = [String(pid), ...appointments.map((a) => String(a._id)), ...callbacks.map((c) => String(c._id)), ...messages.map((m) => String(m._id))];
  const audit = await models.AuditEvent.find({ $or: [{ 'subject.id': { $in: subjects } }, ...(convIds.length ? [{ conversation: { $in: convIds } }] : [])] }).sort({ seq: 1 }).lean();

  return {
    exportedAt: now.toISOString(),
    person: {
      id: String(pid),
      phone: open(cipher, person.phoneSealed) ?? '',
      displayName: person.displayName,
      pseudonym: person.pseudonym,
      language: person.language ?? 'fr',
      team: team?.name ?? null,
      referent: referent ? `${referent.displayName} (${referent.matrixUserId})` : null,
      unknownNumber: person.triage ?? false,
      createdAt: iso(person.createdAt),
      optedOut: person.optedOut ? { at: person.optedOut.at.toISOString(), keyword: person.optedOut.keyword } : null,
    },
    consent: person.consent ? { noticeVersion: person.consent.noticeVersion, givenAt: person.consent.givenAt.toISOString(), channel: person.consent.channel } : null,
    preferences: {
      channels: [...(person.preferences?.channels ?? ['sms'])],
      welcomeFrom: person.preferences?.welcomeFrom ?? '08:00',
      welcomeUntil: person.preferences?.welcomeUntil ?? '20:00',
      reminders: person.preferences?.reminders ?? true,
    },
    messages: messages.map((m) => ({
      at: m.receivedAt.toISOString(),
      direction: m.direction,
      kind: m.kind ?? 'message',
      channel: m.channel,
      text: open(cipher, m.bodySealed),
      author: m.author ?? null,
      media: (m.media ?? []).map((x) => ({ url: x.url, contentType: x.contentType })),
      status: m.delivery.status,
    })),
    appointments: appointments.map((a) => ({
      startsAt: a.startsAt.toISOString(),
      durationMinutes: a.durationMinutes ?? 45,
      place: a.place ?? null,
      status: a.status ?? 'scheduled',
      worker: workers.get(String(a.worker)) ?? null,
      reminderSentAt: iso(a.reminderSentAt),
      answeredAt: iso(a.answeredAt),
    })),
    callbacks: callbacks.map((c) => ({
      requestedAt: iso(c.createdAt),
      windowStart: c.windowStart.toISOString(),
      windowEnd: c.windowEnd.toISOString(),
      voicemailAllowed: c.voicemailAllowed,
      status: c.status ?? 'open',
      doneAt: iso(c.doneAt),
    })),
    botState: states.map((s) => {
      const text = open(cipher, s.valueSealed);
      let value: unknown = text;
      try {
        value = text ? (JSON.parse(text) as unknown) : null;
      } catch {
        // kept as the text it is
      }
      return { key: s._id, value };
    }),
    audit: audit.map((e) => ({
      seq: e.seq,
      at: e.at.toISOString(),
      actor: e.actor?.id ? `${e.actor.kind} ${e.actor.id}` : (e.actor?.kind ?? 'system'),
      action: e.action,
      subject: e.subject?.kind ? `${e.subject.kind} ${e.subject.id ?? ''}`.trim() : null,
      details: (e.details ?? {}) as Record<string, unknown>,
    })),
  };
}
