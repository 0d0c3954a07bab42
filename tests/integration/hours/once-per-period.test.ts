/**
 * "At most once" outside office hours with two Lien processes on one database (FerretDB: only unique
 * inserts decide): two handlers see two messages of one closed period at the same moment, then both
 * sweep for due digests. What is stored is what counts: one automatic answer, one digest.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { Translator } from '../../../src/i18n/translator.js';
import type { Outbox } from '../../../src/outbox/outbox.js';
import type { RoutingContext } from '../../../src/routing/context.js';
import { MessageStore } from '../../../src/routing/messages.js';
import { OfficeHours } from '../../../src/routing/office-hours.js';
import { Claims } from '../../../src/store/claims.js';
import { FieldCipher } from '../../../src/store/field-cipher.js';
import { useTestDatabase } from '../../support/db.js';
import { testLogger } from '../../support/logger.js';

describe('office hours with two processes', () => {
  const db = useTestDatabase();
  const cipher = new FieldCipher(randomBytes(32));
  let clock = new Date('2026-11-28T09:00:00Z'); // Saturday 10:00 in Paris
  const scheduled: Array<{ when: Date; key: string }> = [];

  /** What one Lien process gives its routing layer (nothing leaves for a room or a phone here). */
  function processContext(): RoutingContext {
    const ctx: RoutingContext = {
      models: db.models,
      cipher,
      audit: new AuditLog(db.models, randomBytes(32)),
      outbox: { deliverNow: async () => undefined } as unknown as Outbox,
      claims: new Claims(db.models),
      i18n: new Translator(),
      logger: testLogger,
      matrix: () => Promise.reject(new Error('no homeserver in this test')),
      botUserId: () => '@lien:lien.test',
      commandPrefix: '!',
      defaultCountry: 'FR',
      defaultTeam: undefined,
      statusCallbackUrl: () => 'http://127.0.0.1/twilio/status',
      staffLanguage: 'fr',
      now: () => clock,
      scheduleOnce: async (_job, when, _data, key) => {
        scheduled.push({ when, key });
      },
    };
    return ctx;
  }

  async function setUp() {
    const { Team, Worker, Person, Conversation } = db.models;
    const team = await Team.create({ slug: `t-${randomBytes(3).toString('hex')}`, name: 'Équipe' });
    const worker = await Worker.create({ matrixUserId: `@w${randomBytes(3).toString('hex')}:lien.test`, displayName: 'Sophie Bernard', team: team._id });
    const phone = '+33612345678';
    const person = await Person.create({ phoneIndex: cipher.blindIndex(`${phone}${team.slug}`), phoneSealed: cipher.encrypt(phone), displayName: 'Camille Martin', pseudonym: 'Personne 1234', team: team._id, referent: worker._id });
    const conversation = await Conversation.create({ person: person._id, team: team._id, owner: worker._id });
    return { team, worker, person, conversation };
  }

  it('answers once and posts one digest, whichever process gets there', async () => {
    const { worker, person, conversation } = await setUp();
    const [a, b] = [processContext(), processContext()];
    const store = new MessageStore(a);
    const inbound = async (sid: string) =>
      (await store.storeInbound({ dedupeKey: `twilio:${sid}`, conversation: conversation._id, person: person._id, channel: 'sms', body: 'Bonjour', receivedAt: clock })).message;
    const [m1, m2] = [await inbound('SM1'), await inbound('SM2')];

    await Promise.all([new OfficeHours(a).onInbound(person, conversation, m1), new OfficeHours(b).onInbound(person, conversation, m2)]);
    const answers = await db.models.Message.find({ conversation: conversation._id, direction: 'outbound', 'delivery.target': 'sms' }).lean();
    expect(answers).toHaveLength(1);
    expect(answers[0]?.kind).toBe('notice');
    expect(cipher.decrypt(answers[0]?.bodySealed ?? '')).toContain('lundi 30 novembre à 09:00');
    expect(scheduled).toEqual([{ when: new Date('2026-11-30T08:00:00Z'), key: `opening-digest:${String(conversation._id)}:2026-11-30T08:00:00.000Z` }]);
    // Neither message mentions anyone, though the referent is known.
    expect(await new OfficeHours(a).mentionFor(m1, person, conversation)).toBeUndefined();

    // Before the opening, nothing is due.
    expect(await new OfficeHours(a).postDueDigests()).toBe(0);
    clock = new Date('2026-11-30T08:00:00Z');
    await Promise.all([new OfficeHours(a).postDueDigests(), new OfficeHours(b).postDueDigests(), new OfficeHours(b).postDigest(`${String(conversation._id)}:2026-11-30T08:00:00.000Z`)]);
    const notices = await db.models.Message.find({ conversation: conversation._id, direction: 'outbound', kind: 'notice', 'delivery.target': 'matrix' }).lean();
    expect(notices).toHaveLength(1);
    expect(notices[0]?.mentions).toEqual([worker.matrixUserId]);
    expect(cipher.decrypt(notices[0]?.bodySealed ?? '')).toMatch(/^Pendant la fermeture, Camille Martin a écrit 2 messages \(samedi 28\/11 10:00 – samedi 28\/11 10:00\)\. Lien lui a répondu/);
    expect(await new OfficeHours(a).postDueDigests()).toBe(0);
    expect(await db.models.OpeningDigest.countDocuments({ conversation: conversation._id })).toBe(0);

    // Inside hours, the same person's message mentions their referent.
    clock = new Date('2026-12-01T09:00:00Z'); // Tuesday 10:00
    const m3 = await inbound('SM3');
    await new OfficeHours(b).onInbound(person, conversation, m3);
    expect(await new OfficeHours(a).mentionFor(m3, person, conversation)).toEqual({ userId: worker.matrixUserId, name: 'Sophie Bernard' });
    expect(await db.models.Message.countDocuments({ conversation: conversation._id, direction: 'outbound', 'delivery.target': 'sms' })).toBe(1);
  });

  it('keeps a digest for the next opening when a closure was added meanwhile', async () => {
    const { team, conversation, person } = await setUp();
    const ctx = processContext();
    clock = new Date('2026-12-05T09:00:00Z'); // Saturday 5 December
    const m = (await new MessageStore(ctx).storeInbound({ dedupeKey: `twilio:SM-${randomBytes(4).toString('hex')}`, conversation: conversation._id, person: person._id, channel: 'sms', body: 'Allô ?', receivedAt: clock })).message;
    await new OfficeHours(ctx).onInbound(person, conversation, m);
    // Monday is closed after all (a team day): the digest waits for Tuesday 9:00.
    await db.models.Team.updateOne({ _id: team._id }, { $push: { closures: { from: new Date('2026-12-06T23:00:00Z'), until: new Date('2026-12-07T23:00:00Z'), reason: 'Journée d’équipe' } } });
    clock = new Date('2026-12-07T08:00:00Z');
    expect(await new OfficeHours(ctx).postDueDigests()).toBe(0);
    const digest = await db.models.OpeningDigest.findOne({ conversation: conversation._id }).lean();
    expect(digest?.opensAt).toEqual(new Date('2026-12-08T08:00:00Z'));
    clock = new Date('2026-12-08T08:00:00Z');
    expect(await new OfficeHours(ctx).postDueDigests()).toBe(1);
    expect(await db.models.OpeningDigest.countDocuments({ conversation: conversation._id })).toBe(0);
  });
});
