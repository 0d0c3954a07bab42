import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FieldCipher } from '../../../src/store/field-cipher.js';
import { useTestDatabase } from '../../support/db.js';

const cipher = new FieldCipher(randomBytes(32));

function expectDuplicateKey(p: Promise<unknown>) {
  return expect(p).rejects.toMatchObject({ code: 11000 });
}

describe('models on FerretDB', () => {
  const db = useTestDatabase();

  async function seedTeamAndWorker() {
    const team = await db.models.Team.create({
      slug: `team-${randomBytes(3).toString('hex')}`,
      name: 'Équipe Rennes Nord',
      officeHours: [{ weekday: 1, opens: '09:00', closes: '17:00' }],
      closures: [{ from: new Date('2026-12-24T12:00:00Z'), until: new Date('2026-12-26T08:00:00Z'), reason: 'Noël' }],
    });
    const worker = await db.models.Worker.create({ matrixUserId: `@w${randomBytes(3).toString('hex')}:localhost`, displayName: 'Awa Diallo', team: team._id });
    return { team, worker };
  }

  it('round-trips a team with office hours, closures and its defaults', async () => {
    const { team } = await seedTeamAndWorker();
    const back = await db.models.Team.findById(team._id).lean();
    expect(back?.timezone).toBe('Europe/Paris');
    expect(back?.officeHours).toEqual([{ weekday: 1, opens: '09:00', closes: '17:00' }]);
    expect(back?.closures[0]?.reason).toBe('Noël');
    expect(back?.settings?.encryptRooms).toBe(true);
    await expectDuplicateKey(db.models.Team.create({ slug: back?.slug, name: 'Doublon' }));
    await expect(db.models.Team.create({ slug: 'bad-tz', name: 'x', timezone: 'Mars/Olympus' })).rejects.toThrow(/unknown timezone/);
  });

  it('round-trips a worker with an absence and a backup, unique on Matrix id', async () => {
    const { team, worker } = await seedTeamAndWorker();
    const backup = await db.models.Worker.create({ matrixUserId: `@b${randomBytes(3).toString('hex')}:localhost`, displayName: 'Backup', team: team._id, role: 'manager' });
    worker.absence = { from: new Date('2026-11-20T00:00:00Z'), until: new Date('2026-11-30T00:00:00Z'), backup: backup._id };
    await worker.save();
    const back = await db.models.Worker.findById(worker._id).lean();
    expect(String(back?.absence?.backup)).toBe(String(backup._id));
    expect(back?.role).toBe('worker');
    await expectDuplicateKey(db.models.Worker.create({ matrixUserId: worker.matrixUserId, displayName: 'Again', team: team._id }));
  });

  it('stores a person with the phone number sealed, found through its blind index', async () => {
    const { team, worker } = await seedTeamAndWorker();
    const phone = '+33612345678';
    const person = await db.models.Person.create({
      phoneIndex: cipher.blindIndex(phone),
      phoneSealed: cipher.encrypt(phone),
      displayName: 'Marie Dupont',
      pseudonym: 'Personne 42',
      team: team._id,
      referent: worker._id,
      language: 'fr-falc',
      consent: { noticeVersion: '2026-11', givenAt: new Date(), channel: 'sms' },
    });
    const raw = await db.conn.collection('people').findOne({ _id: person._id });
    expect(JSON.stringify(raw)).not.toContain('612345678');
    const found = await db.models.Person.findOne({ phoneIndex: cipher.blindIndex(phone) }).lean();
    expect(found && cipher.decrypt(found.phoneSealed)).toBe(phone);
    expect(found?.preferences?.channels).toEqual(['sms']);
    expect(found?.consent?.noticeVersion).toBe('2026-11');
    await expectDuplicateKey(
      db.models.Person.create({ phoneIndex: cipher.blindIndex(phone), phoneSealed: cipher.encrypt(phone), displayName: 'Autre', pseudonym: 'P', team: team._id }),
    );
    await expect(db.models.Person.create({ phoneIndex: 'x', phoneSealed: 'y', displayName: 'Z', pseudonym: 'P', team: team._id, language: 'tlh' })).rejects.toThrow(/language/);
  });

  it('keeps one conversation per person and team, and one message per provider id', async () => {
    const { team, worker } = await seedTeamAndWorker();
    const person = await db.models.Person.create({ phoneIndex: randomBytes(8).toString('hex'), phoneSealed: 's', displayName: 'P', pseudonym: 'P', team: team._id });
    const conversation = await db.models.Conversation.create({ person: person._id, team: team._id, owner: worker._id, waitingSince: new Date() });
    await expectDuplicateKey(db.models.Conversation.create({ person: person._id, team: team._id }));

    const sid = `SM${randomBytes(16).toString('hex')}`;
    const message = await db.models.Message.create({
      dedupeKey: `twilio:${sid}`,
      conversation: conversation._id,
      person: person._id,
      direction: 'inbound',
      channel: 'sms',
      bodySealed: cipher.encrypt('Bonjour, je voudrais un rendez-vous'),
      twilioSid: sid,
      delivery: { target: 'matrix' },
    });
    const back = await db.models.Message.findById(message._id).lean();
    expect(back?.delivery.status).toBe('pending');
    expect(back?.delivery.attempts).toBe(0);
    expect(cipher.decrypt(back?.bodySealed ?? '')).toBe('Bonjour, je voudrais un rendez-vous');
    await expectDuplicateKey(db.models.Message.create({ dedupeKey: `twilio:${sid}`, direction: 'inbound', channel: 'sms', delivery: { target: 'matrix' } }));
  });

  it('round-trips appointments and callback requests', async () => {
    const { team, worker } = await seedTeamAndWorker();
    const person = await db.models.Person.create({ phoneIndex: randomBytes(8).toString('hex'), phoneSealed: 's', displayName: 'P', pseudonym: 'P', team: team._id });
    const conversation = await db.models.Conversation.create({ person: person._id, team: team._id });
    const startsAt = new Date('2026-12-01T09:30:00Z');
    await db.models.Appointment.create({ person: person._id, conversation: conversation._id, worker: worker._id, startsAt, place: 'CDAS Rennes' });
    const appt = await db.models.Appointment.findOne({ person: person._id }).lean();
    expect(appt?.status).toBe('scheduled');
    expect(appt?.startsAt.toISOString()).toBe(startsAt.toISOString());

    await db.models.CallbackRequest.create({
      person: person._id,
      conversation: conversation._id,
      windowStart: new Date('2026-11-24T13:00:00Z'),
      windowEnd: new Date('2026-11-24T16:00:00Z'),
      voicemailAllowed: false,
      dueAt: new Date('2026-11-24T16:00:00Z'),
    });
    const due = await db.models.CallbackRequest.find({ status: 'open', dueAt: { $lte: new Date('2026-11-25T00:00:00Z') } }).lean();
    expect(due.map((d) => String(d.person))).toContain(String(person._id));
    expect(due[0]?.voicemailAllowed).toBe(false);
  });

  it('builds the indexes the queries rely on', async () => {
    const indexes = await db.conn.collection('messages').indexes();
    const byKey = indexes.map((i) => ({ key: JSON.stringify(i.key), unique: Boolean(i.unique) }));
    expect(byKey).toContainEqual({ key: JSON.stringify({ dedupeKey: 1 }), unique: true });
    expect(byKey).toContainEqual({ key: JSON.stringify({ 'delivery.status': 1, 'delivery.nextAttemptAt': 1 }), unique: false });
    const auditIndexes = await db.conn.collection('auditEvents').indexes();
    expect(auditIndexes.some((i) => i.unique && JSON.stringify(i.key) === '{"seq":1}')).toBe(true);
  });
});
