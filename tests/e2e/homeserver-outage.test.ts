/**
 * The homeserver goes away while people keep texting: Lien still takes every SMS (Twilio gets its 200),
 * says on /healthz that Matrix is down without failing as a whole, and once the homeserver is back the
 * messages reach the room, in the order they were sent, each exactly once — however long the outage
 * lasted. The homeserver is a Synapse of this file's own, stopped and started again at the same address.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestLien, type TestLien } from '../support/lien.js';
import { joinRoom } from '../support/matrix.js';
import { health, OwnSynapse, postInboundSms, roomTexts, seedPerson } from '../support/outage.js';
import { waitFor } from '../support/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a homeserver outage', () => {
  let dir = '';
  let synapse: OwnSynapse;
  let lien: TestLien | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lien-hs-outage-'));
    synapse = new OwnSynapse(dir);
    await synapse.start();
  });
  afterEach(async () => {
    await lien?.stop();
    await lien?.db.conn.dropDatabase().catch(() => undefined);
    lien = undefined;
  });
  afterAll(async () => {
    await synapse?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A Lien logged in to the test's Synapse, a worker there, and a person of theirs whose first SMS opened their room. */
  async function bridgeWithRoom(phone: string, name: string, env: Record<string, string> = {}) {
    const hs = synapse.baseUrl;
    const bot = await synapse.account('lien', true);
    const worker = await synapse.account('referente');
    const l = await startTestLien({
      MATRIX_HOMESERVER_URL: hs,
      MATRIX_USER_ID: bot.userId,
      MATRIX_PASSWORD: bot.password,
      OUTBOX_SWEEP_EVERY_MS: '300',
      SCHEDULER_PROCESS_EVERY_MS: '100',
      ...env,
    });
    lien = l;
    const { models } = l.db;
    const { personId } = await seedPerson(models, l.cipher, { workerUserId: worker.userId, phone, displayName: name });
    const sms = (body: string) => postInboundSms(l.url, l.webhookAuthToken, { from: phone, body });
    expect((await sms('bonjour')).status).toBe(200);
    const roomId = await waitFor('the portal room', async () => (await models.Conversation.findOne({ person: personId }).lean())?.matrixRoomId);
    await joinRoom(hs, worker.accessToken, roomId);
    const posted = () => roomTexts(hs, worker.accessToken, roomId, bot.userId);
    await waitFor('the first SMS in the room', async () => (await posted()).some((e) => e.content.body === `${name}: bonjour`));
    const inbound = () => models.Message.find({ person: personId, direction: 'inbound' }).sort({ receivedAt: 1, _id: 1 }).lean();
    return { lien: l, hs, models, sms, posted, inbound };
  }

  /** Each SMS is acknowledged to Twilio (200, empty TwiML) once stored, homeserver or not. */
  async function textDuringOutage(sms: (body: string) => Promise<Response>, bodies: string[]): Promise<void> {
    for (const body of bodies) {
      const res = await sms(body);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      expect(text).toContain('<Response></Response>');
    }
  }

  it('keeps taking SMS while the homeserver is down, and posts them in order, once each, when it is back', { timeout: 180_000 }, async () => {
    const name = 'Jeanne Panne';
    const { lien: l, hs, models, sms, posted, inbound } = await bridgeWithRoom('+33611223344', name);
    expect((await health(l.url)).body.checks.matrix?.status).toBe('ok');

    await synapse.stop();
    const during = await health(l.url);
    expect(during.status, JSON.stringify(during.body)).toBe(200);
    expect(during.body.status).toBe('degraded');
    expect(during.body.checks.matrix).toMatchObject({ status: 'failed', reason: expect.stringContaining(hs) });
    expect(during.body.checks.database?.status).toBe('ok');
    expect(during.body.checks.scheduler?.status).toBe('ok');

    await textDuringOutage(sms, ['un', 'deux', 'trois']);
    const stored = await inbound();
    expect(stored.map((m) => l.cipher.decrypt(m.bodySealed ?? ''))).toEqual(['bonjour', 'un', 'deux', 'trois']);
    // The first of them was tried and found the homeserver gone; none reached the room.
    await waitFor('a failed attempt on "un"', async () => {
      const un = await models.Message.findById(stored[1]?._id).lean();
      return un?.delivery.status === 'pending' && un.delivery.lastError?.code === 'homeserver_unreachable';
    });

    // A few seconds of outage, the outbox sweeping all along.
    await sleep(4000);
    const still = await health(l.url);
    expect(still.status).toBe(200);
    expect(still.body.checks.matrix?.status).toBe('failed');
    // Still waiting (a sweep may hold one for a moment, hence "sending"), none posted.
    const waiting = expect.stringMatching(/^(pending|sending)$/);
    expect((await inbound()).map((m) => m.delivery.status)).toEqual(['sent', waiting, waiting, waiting]);

    await synapse.start();
    expect(synapse.baseUrl).toBe(hs);
    const wanted = ['bonjour', 'un', 'deux', 'trois'].map((b) => `${name}: ${b}`);
    await waitFor('the three SMS in the room', async () => (await posted()).length >= wanted.length, 90_000, 250);
    await sleep(2000); // more sweeps: nothing may be posted a second time
    const events = await posted();
    expect(events.map((e) => e.content.body)).toEqual(wanted);

    // The store agrees: each message sent, as the event the worker sees; and none was charged for the
    // outage or for waiting behind an earlier one: one counted attempt each, the one that succeeded.
    const after = await inbound();
    expect(after.map((m) => m.delivery.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(after.map((m) => m.matrixEventId)).toEqual(events.map((e) => e.event_id));
    expect(after.map((m) => m.delivery.lastError)).toEqual([null, null, null, null]);
    expect(after.map((m) => m.delivery.attempts - (m.delivery.deferrals ?? 0))).toEqual([1, 1, 1, 1]);
    await waitFor('/healthz to see the homeserver again', async () => (await health(l.url)).body.checks.matrix?.status === 'ok', 20_000, 250);
  });

  it('gives up on nothing when the outage outlasts the attempts a message is allowed', { timeout: 180_000 }, async () => {
    // Two attempts, the second 15 s after the first: an outage of 20 s exhausts them for "un".
    const name = 'Paul Longue-Panne';
    const { lien: l, models, sms, posted, inbound } = await bridgeWithRoom('+33622334455', name, { OUTBOX_MAX_ATTEMPTS: '2' });

    await synapse.stop();
    await textDuringOutage(sms, ['un', 'deux']);
    const [, un] = await inbound();
    await waitFor(
      'a second failed attempt on "un"',
      async () => {
        const m = await models.Message.findById(un?._id).lean();
        return (m?.delivery.attempts ?? 0) >= 2 && m?.delivery.lastError?.code === 'homeserver_unreachable';
      },
      40_000,
      250,
    );
    await sleep(1500); // "deux" has its turn meanwhile, and finds the homeserver gone too
    expect((await inbound()).map((m) => m.delivery.status)).not.toContain('failed');

    await synapse.start();
    await waitFor('both SMS in the room', async () => (await posted()).length >= 3, 120_000, 250);
    await sleep(1000);
    expect((await posted()).map((e) => e.content.body)).toEqual(['bonjour', 'un', 'deux'].map((b) => `${name}: ${b}`));
    expect((await inbound()).map((m) => m.delivery.status)).toEqual(['sent', 'sent', 'sent']);
    expect(await models.AuditEvent.countDocuments({ action: 'room.delivery_failed' })).toBe(0);
    expect((await health(l.url)).status).toBe(200);
  });
});
