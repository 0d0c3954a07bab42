/**
 * `npm run admin -- person:export` and `person:erase` as real processes on a fresh database (MONGODB_URI,
 * the run's FerretDB): the export writes JSON and an escaped page in the person's language, and is
 * audited; the erasure asks for the number again, refuses without it, erases at once with it (or with
 * --yes), is audited, and leaves the audit chain verifying.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { connect } from '../../src/store/database.js';
import { FieldCipher } from '../../src/store/field-cipher.js';
import { createModels, type Models } from '../../src/store/models/index.js';
import { testDatabaseUri } from '../support/db.js';
import { runAdmin } from '../support/process.js';

const admin = runAdmin;

describe('person:export and person:erase, as processes on a fresh database', () => {
  const secret = randomBytes(32);
  const cipher = new FieldCipher(secret);
  const env: Record<string, string> = { NODE_ENV: 'test', LOG_LEVEL: 'warn', MONGODB_URI: testDatabaseUri(), LIEN_SECRET_KEY: secret.toString('base64'), LIEN_DATA_DIR: '' };
  let conn: Awaited<ReturnType<typeof connect>>;
  let models: Models;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lien-rights-'));
    env.LIEN_DATA_DIR = path.join(dir, 'data');
    conn = await connect(env.MONGODB_URI ?? '', 10_000);
    models = createModels(conn);
  });
  afterAll(async () => {
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exports everything about a person as JSON and an escaped page in their language, then erases them on confirmation', async () => {
    const phone = '+33612345678';
    const other = '+33623456789';
    for (const args of [
      ['team:add', 'nord', 'Service social du Nord'],
      ['worker:add', 'nord', '@alice:example.org', 'Alice Martin'],
      ['person:add', 'nord', '06 12 34 56 78', '@alice:example.org', 'Camille <b>Martin</b>', '--language', 'en'],
      ['person:add', 'nord', '06 23 45 67 89', '@alice:example.org', 'Lucas Petit'],
    ]) {
      const run = await admin(env, args);
      expect(run.code, run.stderr).toBe(0);
    }
    // What Lien would have stored of their exchanges: messages (sealed), an appointment, a callback request.
    const camille = await models.Person.findOne({ phoneIndex: cipher.blindIndex(phone) }).orFail();
    const lucas = await models.Person.findOne({ phoneIndex: cipher.blindIndex(other) }).orFail();
    const team = await models.Team.findOne({ slug: 'nord' }).orFail();
    const worker = await models.Worker.findOne({ matrixUserId: '@alice:example.org' }).orFail();
    const conversations = await models.Conversation.create([{ person: camille._id, team: team._id }, { person: lucas._id, team: team._id }]);
    const [convC, convL] = conversations;
    const text = 'Hello <script>alert("x")</script> & see you';
    await models.Message.create([
      { dedupeKey: `twilio:${randomBytes(8).toString('hex')}`, conversation: convC?._id, person: camille._id, direction: 'inbound', channel: 'sms', bodySealed: cipher.encrypt(text), delivery: { target: 'matrix', status: 'delivered' } },
      { dedupeKey: `matrix:${randomBytes(8).toString('hex')}`, conversation: convC?._id, person: camille._id, direction: 'outbound', channel: 'sms', bodySealed: cipher.encrypt('See you Thursday'), author: '@alice:example.org', delivery: { target: 'sms', status: 'sent' } },
      { dedupeKey: `twilio:${randomBytes(8).toString('hex')}`, conversation: convL?._id, person: lucas._id, direction: 'inbound', channel: 'sms', bodySealed: cipher.encrypt('Lucas here'), delivery: { target: 'matrix', status: 'delivered' } },
    ]);
    await models.Appointment.create({ person: camille._id, conversation: convC?._id, worker: worker._id, startsAt: new Date('2026-12-10T09:00:00Z'), place: 'Mairie', status: 'confirmed' });
    await models.CallbackRequest.create({ person: camille._id, conversation: convC?._id, windowStart: new Date(), windowEnd: new Date(Date.now() + 3600_000), voicemailAllowed: true, dueAt: new Date() });
    await models.Person.updateOne({ _id: camille._id }, { $set: { consent: { noticeVersion: '2025-11', givenAt: new Date('2026-11-01T10:00:00Z'), channel: 'sms' } } });

    // The export.
    const out = path.join(dir, 'export');
    const exported = await admin(env, ['person:export', '06 12 34 56 78', '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('exported 2 messages, 1 appointments, 1 callback requests');
    const files = (await readdir(out)).sort();
    expect(files).toEqual([`person-${String(camille._id)}.html`, `person-${String(camille._id)}.json`]);
    expect((await stat(path.join(out, files[1] ?? ''))).mode & 0o077).toBe(0); // the operator's only
    const json = JSON.parse(await readFile(path.join(out, `person-${String(camille._id)}.json`), 'utf8')) as Record<string, unknown> & { person: { phone: string }; messages: Array<{ text: string }>; consent: { noticeVersion: string }; appointments: unknown[]; callbacks: unknown[]; audit: Array<{ action: string }> };
    expect(json.person.phone).toBe(phone);
    expect(json.messages.map((m) => m.text)).toEqual([text, 'See you Thursday']);
    expect(json.consent.noticeVersion).toBe('2025-11');
    expect(json.appointments).toHaveLength(1);
    expect(json.callbacks).toHaveLength(1);
    expect(json.audit.map((a) => a.action)).toContain('person.created');
    expect(JSON.stringify(json)).not.toContain('Lucas');
    const html = await readFile(path.join(out, `person-${String(camille._id)}.html`), 'utf8');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Your data at Service social du Nord');
    expect(html).toContain('Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; see you');
    expect(html).toContain('Camille &lt;b&gt;Martin&lt;/b&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>Martin');
    expect(await models.AuditEvent.countDocuments({ action: 'person.exported', 'subject.id': String(camille._id) })).toBe(1);

    // The erasure: refused unless the number is typed again; nothing is lost then.
    const refused = await admin(env, ['person:erase', '+33612345678'], '0699999999\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not confirmed: nothing was erased');
    expect(await models.Person.countDocuments({ _id: camille._id })).toBe(1);
    const unknown = await admin(env, ['person:erase', '0687654321', '--yes']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nobody with the number');

    const erased = await admin(env, ['person:erase', '+33612345678'], '06 12 34 56 78\n');
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toContain(`erased person ${String(camille._id)}`);
    expect(erased.stdout).toContain('2 messages, 1 appointments, 1 callback requests, 1 conversations');
    expect(await models.Person.countDocuments({ _id: camille._id })).toBe(0);
    expect(await models.Message.countDocuments({ person: camille._id })).toBe(0);
    expect(await models.Appointment.countDocuments({ person: camille._id })).toBe(0);
    expect(await models.CallbackRequest.countDocuments({ person: camille._id })).toBe(0);
    expect(await models.Conversation.countDocuments({ person: camille._id })).toBe(0);
    // Lucas is untouched; the counts are kept; the erasure is audited and the chain still verifies.
    expect(await models.Person.countDocuments({ _id: lucas._id })).toBe(1);
    expect(await models.Message.countDocuments({ person: lucas._id })).toBe(1);
    const counts = await models.RetainedCount.find({}).lean();
    expect(counts.reduce((n, c) => n + c.messagesIn + c.messagesOut, 0)).toBe(2);
    const event = await models.AuditEvent.findOne({ action: 'person.erased' }).lean();
    expect(event).toMatchObject({ actor: { kind: 'system', id: 'admin-cli' }, subject: { kind: 'person', id: String(camille._id) }, details: { reason: 'request', messages: 2 } });
    expect(JSON.stringify(await models.AuditEvent.find({}).lean())).not.toContain('Camille');
    expect(await new AuditLog(models, secret).verify()).toMatchObject({ ok: true });
    const again = await admin(env, ['person:export', '06 12 34 56 78', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('nobody with the number');

    // --yes erases without asking.
    const yes = await admin(env, ['person:erase', '06 23 45 67 89', '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(await models.Person.countDocuments({ _id: lucas._id })).toBe(0);
  }, 240_000);
});
