/**
 * Retention that happens: with Lien's clock moved past the retention period, a person whose last contact
 * is older is erased — every collection's data about them, their room closed on the real Synapse (Lien's
 * events redacted, the members removed, Lien gone) — while a person with a recent contact keeps
 * everything, the figures survive as counts, and the audit chain still verifies.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it, inject } from 'vitest';
import { MatrixClient } from '../../../src/channels/matrix/client.js';
import { retentionMs } from '../../../src/privacy/retention.js';
import { Claims } from '../../../src/store/claims.js';
import type { Types } from 'mongoose';
import { addPerson, portalRoomOf, sendSms, useBridge, type Bridge } from '../../support/bridge.js';
import { registerUser, uniqueLocalpart } from '../../support/matrix.js';
import { waitFor } from '../../support/wait.js';

const MONTH_MS = 30 * 24 * 3600_000;

/** Everything the database holds that names this person or their conversations, collection by collection. */
async function holdings(bridge: Bridge, personId: Types.ObjectId, conversationId: Types.ObjectId) {
  const m = bridge.lien.db.models;
  const p = String(personId);
  const c = String(conversationId);
  return {
    person: await m.Person.countDocuments({ _id: personId }),
    conversations: await m.Conversation.countDocuments({ person: personId }),
    messages: await m.Message.countDocuments({ $or: [{ person: personId }, { conversation: conversationId }] }),
    appointments: await m.Appointment.countDocuments({ person: personId }),
    callbacks: await m.CallbackRequest.countDocuments({ person: personId }),
    dialogStates: await m.DialogState.countDocuments({ _id: { $in: [`sms/users/${p}/`, `sms/conversations/${c}/`] } }),
    outOfHours: await m.OutOfHoursMessage.countDocuments({ conversation: conversationId }),
    openingDigests: await m.OpeningDigest.countDocuments({ conversation: conversationId }),
    claims: await m.Claim.countDocuments({ _id: { $regex: new RegExp(`${p}|${c}`) } }),
  };
}

/** What a person has: a conversation with a room, an SMS in and a reply out, an appointment, a callback, bot state, claims. */
async function personWithHistory(bridge: Bridge, name: string, text: string) {
  const { lien, worker, twilio } = bridge;
  const m = lien.db.models;
  const person = await addPerson(bridge, { displayName: name });
  expect((await sendSms(bridge, { from: person.phone, body: text })).status).toBe(200);
  // Generous waits: the machine running the tests may be busy.
  const roomId = await portalRoomOf(bridge, person._id, 90_000);
  await worker.joinWhenInvited(roomId, 90_000);
  const posted = await worker.waitForEvent(roomId, `${name}'s SMS`, (e) => e.sender === bridge.botUserId && e.content.body === `${name}: ${text}`, 90_000);
  await worker.say(roomId, `Bonjour ${name}, bien reçu.`);
  await twilio.waitForSent(person.phone, 1, 90_000);
  const conversation = await m.Conversation.findOne({ person: person._id }).orFail();
  const message = await m.Message.findOne({ person: person._id, direction: 'inbound' }).orFail();
  const now = new Date();
  await m.Appointment.create({ person: person._id, conversation: conversation._id, worker: worker.doc._id, startsAt: new Date(now.getTime() + 7 * 24 * 3600_000), status: 'confirmed', place: `Bureau de ${name}` });
  await m.CallbackRequest.create({ person: person._id, conversation: conversation._id, windowStart: now, windowEnd: new Date(now.getTime() + 3600_000), voicemailAllowed: false, dueAt: now, status: 'done', doneAt: now });
  await m.DialogState.updateOne({ _id: `sms/users/${String(person._id)}/` }, { $set: { valueSealed: lien.cipher.encrypt(JSON.stringify({ name })), eTag: '1' } }, { upsert: true });
  await m.DialogState.updateOne({ _id: `sms/conversations/${String(conversation._id)}/` }, { $set: { valueSealed: lien.cipher.encrypt('{}'), eTag: '1' } }, { upsert: true });
  await m.OutOfHoursMessage.create({ _id: message._id, conversation: conversation._id, period: '2026-01-01T18:00', at: now });
  await m.OpeningDigest.create({ _id: `${String(conversation._id)}:2026-01-01T18:00`, conversation: conversation._id, team: bridge.team._id, period: '2026-01-01T18:00', opensAt: new Date(now.getTime() + 30 * 24 * 3600_000) });
  await new Claims(m).acquire(`unknown-reply:${String(person._id)}:2026-01-01T18:00`);
  return { person, conversation, roomId, posted };
}

describe('retention', () => {
  const bridge = useBridge();

  it('erases a person whose last contact is older than the period, closes their room, keeps the counts and a recent person, and the audit chain verifies', async () => {
    const { lien, worker } = bridge;
    const m = lien.db.models;
    const old = await personWithHistory(bridge, 'Camille Martin', 'Mon dossier <script>alert(1)</script> est-il complet ?');
    const recent = await personWithHistory(bridge, 'Lucas Petit', 'Je passe demain.');

    // The clock moves past the period (24 months by default); Lucas wrote again a day before that moment.
    const later = new Date(Date.now() + 25 * MONTH_MS);
    await m.Conversation.updateOne({ _id: recent.conversation._id }, { $set: { lastInboundAt: new Date(later.getTime() - 24 * 3600_000) } });
    const before = await holdings(bridge, old.person._id, old.conversation._id);
    expect(Object.values(before).every((n) => n > 0), JSON.stringify(before)).toBe(true);
    const recentBefore = await holdings(bridge, recent.person._id, recent.conversation._id);
    const countsBefore = await m.RetainedCount.countDocuments({});

    // Portal rooms tell the homeserver the same period.
    expect(await worker.client.getStateEvent(old.roomId, 'm.room.retention')).toEqual({ max_lifetime: retentionMs(24) });

    const run = await lien.privacy.retention.run(later);
    expect(run.erased.map((r) => r.person)).toEqual([String(old.person._id)]);
    expect(run.roomsClosed).toBeGreaterThanOrEqual(1);

    // Nothing of Camille is left, in any collection.
    const after = await holdings(bridge, old.person._id, old.conversation._id);
    expect(after).toEqual(Object.fromEntries(Object.keys(before).map((k) => [k, 0])));
    expect(await m.RoomClosure.countDocuments({ roomId: old.roomId })).toBe(0); // done, not just queued
    // Lucas keeps everything.
    expect(await holdings(bridge, recent.person._id, recent.conversation._id)).toEqual(recentBefore);
    expect(await m.Person.findById(recent.person._id).lean()).toMatchObject({ displayName: 'Lucas Petit' });

    // The figures survive as counts for the team, with nothing that leads back to her.
    const counts = await m.RetainedCount.find({}).lean();
    expect(counts.length).toBeGreaterThan(countsBefore);
    const sum = (f: (c: (typeof counts)[number]) => number) => counts.reduce((n, c) => n + f(c), 0);
    expect(sum((c) => c.messagesIn)).toBe(1);
    expect(sum((c) => c.messagesOut)).toBe(1);
    expect(sum((c) => Number((c.appointments as Record<string, number>).confirmed ?? 0))).toBe(1);
    expect(sum((c) => Number((c.callbacks as Record<string, number>).done ?? 0))).toBe(1);
    expect(counts.every((c) => String(c.team) === String(bridge.team._id))).toBe(true);
    const countsJson = JSON.stringify(counts);
    for (const id of [old.person._id, old.conversation._id]) expect(countsJson).not.toContain(String(id));

    // The audit chain still verifies, tells of the erasure, and carries no personal data.
    expect(await lien.audit.verify()).toMatchObject({ ok: true });
    const erased = await m.AuditEvent.findOne({ action: 'person.erased', 'subject.id': String(old.person._id) }).lean();
    expect(erased?.details).toMatchObject({ reason: 'retention', messages: expect.any(Number), appointments: 1, callbacks: 1 });
    const auditJson = JSON.stringify(await m.AuditEvent.find({}).lean());
    for (const personal of [old.person.phone, 'Camille', 'dossier']) expect(auditJson).not.toContain(personal);

    // The room is closed on the homeserver: as an admin of it sees it, Lien's events are redacted, nobody is left.
    const admin = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('dpo'), password: randomBytes(12).toString('hex'), admin: true });
    const asAdmin = new MatrixClient(inject('synapseUrl'), admin.accessToken);
    const members = await asAdmin.request<{ members: string[] }>('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(old.roomId)}/members`);
    expect(members.members).toEqual([]);
    // As the worker last saw it (up to being removed): removed, the name (her name) and Lien's texts redacted.
    expect(await worker.membership(old.roomId)).toBe('leave');
    expect(await worker.client.getStateEvent(old.roomId, 'm.room.name')).toEqual({});
    const timeline = await worker.events(old.roomId);
    const kick = timeline.filter((e) => e.type === 'm.room.member' && e.state_key === worker.userId).at(-1);
    expect(kick).toMatchObject({ sender: bridge.botUserId, content: { membership: 'leave' } }); // removed by Lien
    expect(timeline.find((e) => e.event_id === old.posted.event_id)?.content).toEqual({});
    const lienTexts = timeline.filter((e) => e.type === 'm.room.message' && e.sender === bridge.botUserId);
    expect(lienTexts.length).toBeGreaterThan(0);
    expect(lienTexts.filter((e) => Object.keys(e.content).length > 0)).toEqual([]);

    // Lucas's room is untouched: the worker is still in it and his SMS is there.
    expect(await worker.membership(recent.roomId)).toBe('join');
    const lucasSms = await worker.events(recent.roomId, 'm.room.message');
    expect(lucasSms.find((e) => e.event_id === recent.posted.event_id)?.content.body).toBe('Lucas Petit: Je passe demain.');
  }, 400_000);

  it('keeps everyone when the clock is within the period', async () => {
    const { lien } = bridge;
    const people = await lien.db.models.Person.countDocuments({});
    expect(people).toBeGreaterThan(0);
    const run = await lien.privacy.retention.run(new Date(Date.now() + 23 * MONTH_MS));
    expect(run.erased).toEqual([]);
    expect(await lien.db.models.Person.countDocuments({})).toBe(people);
  });

  it('closes a room an erasure queued while the homeserver was out of reach, at the next sweep', async () => {
    const { lien, worker } = bridge;
    const person = await personWithHistory(bridge, 'Inès Haddad', 'Bonjour');
    // An erasure made without the homeserver (as the admin CLI does) only queues the room…
    const report = await lien.privacy.erasure.erase(person.person._id, { reason: 'request', actor: { kind: 'system', id: 'admin-cli' } });
    expect(report).toMatchObject({ reason: 'request', appointments: 1, callbacks: 1, rooms: 1 });
    expect(await lien.db.models.Person.countDocuments({ _id: person.person._id })).toBe(0);
    // …and the running Lien's sweep closes it.
    await waitFor('the worker removed from the room', async () => (await lien.db.models.RoomClosure.countDocuments({ roomId: person.roomId })) === 0 || undefined, 90_000);
    await expect(worker.client.getJoinedMembers(person.roomId)).rejects.toThrow();
    expect(await lien.audit.verify()).toMatchObject({ ok: true });
  }, 400_000);
});
