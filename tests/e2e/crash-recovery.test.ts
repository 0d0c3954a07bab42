/**
 * Lien is killed (SIGKILL: no clean stop) while an SMS it has stored is still on its way to the room,
 * waiting out a homeserver outage or with its request in flight. Started again on the same database, it
 * posts that SMS exactly once, and nothing that arrives after the restart overtakes it. Lien runs as a
 * real process, on a database of the run's FerretDB and on a Synapse of this file's own, which the test
 * stops, freezes and starts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/store/database.js';
import { FieldCipher } from '../../src/store/field-cipher.js';
import { createModels, syncIndexes, type Models } from '../../src/store/models/index.js';
import { testDatabaseUri } from '../support/db.js';
import { joinRoom, type MatrixSession } from '../support/matrix.js';
import { devPhoneToken, health, OwnSynapse, postInboundSms, roomTexts, seedPerson } from '../support/outage.js';
import { spawnLien, type LienProcess } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Lien killed with an SMS still on its way to the room', () => {
  let dir = '';
  let synapse: OwnSynapse;
  let conn: Connection | undefined;
  const running: LienProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lien-crash-'));
    synapse = new OwnSynapse(dir);
    await synapse.start();
  });
  afterEach(async (context) => {
    // A failure shows what the Lien processes said.
    if (context.task.result?.state === 'fail') for (const p of running) process.stderr.write(`--- Lien pid ${p.child.pid}:\n${p.output().slice(-6000)}\n`);
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited().catch(() => undefined);
      }
    }
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
    conn = undefined;
  });
  afterAll(async () => {
    await synapse?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The environment both runs share, a database seeded with a team, a worker and a person, and the signing token. */
  async function setUp(phone: string, name: string) {
    const secretKey = randomBytes(32).toString('base64');
    const bot = await synapse.account('lien', true);
    const worker = await synapse.account('referente');
    const env = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      MONGODB_URI: testDatabaseUri(),
      LIEN_DATA_DIR: await mkdtemp(path.join(dir, 'data-')),
      LIEN_TOOLS_DIR: inject('toolsDir'),
      LIEN_SECRET_KEY: secretKey,
      MATRIX_HOMESERVER_URL: synapse.baseUrl,
      MATRIX_USER_ID: bot.userId,
      MATRIX_PASSWORD: bot.password,
      OUTBOX_SWEEP_EVERY_MS: '300',
      SCHEDULER_PROCESS_EVERY_MS: '100',
    };
    conn = await connect(env.MONGODB_URI, 10_000);
    const models = createModels(conn);
    await syncIndexes(models);
    const cipher = new FieldCipher(Buffer.from(secretKey, 'base64'));
    const { personId } = await seedPerson(models, cipher, { workerUserId: worker.userId, phone, displayName: name });
    const token = devPhoneToken(secretKey);
    return { env, models, cipher, personId, bot, worker, token };
  }

  function start(env: Record<string, string>): LienProcess {
    const p = spawnLien(env);
    running.push(p);
    return p;
  }

  /** The first SMS opens the person's room while all is well; the worker joins it. */
  async function openRoom(url: string, token: string, phone: string, name: string, models: Models, personId: string, worker: MatrixSession, botId: string) {
    expect((await postInboundSms(url, token, { from: phone, body: 'bonjour' })).status).toBe(200);
    const roomId = await waitFor('the portal room', async () => (await models.Conversation.findOne({ person: personId }).lean())?.matrixRoomId, 60_000, 250);
    await joinRoom(synapse.baseUrl, worker.accessToken, roomId);
    await waitFor('the first SMS in the room', async () => (await roomTexts(synapse.baseUrl, worker.accessToken, roomId, botId)).some((e) => e.content.body === `${name}: bonjour`), 60_000, 250);
    return roomId;
  }

  it('posts the stored SMS exactly once after a restart', { timeout: 180_000 }, async () => {
    const phone = '+33633445566';
    const name = 'Lucie Reprise';
    const { env, models, cipher, personId, bot, worker, token } = await setUp(phone, name);

    const first = start(env);
    const url1 = await first.listening();
    const roomId = await openRoom(url1, token, phone, name, models, personId, worker, bot.userId);

    // The homeserver goes away; an SMS arrives and is stored, but cannot be posted.
    await synapse.stop();
    const res = await postInboundSms(url1, token, { from: phone, body: 'pendant la panne' });
    expect(res.status, await res.clone().text()).toBe(200);
    const stored = await waitFor('the SMS stored and its first attempt failed', async () => {
      const all = await models.Message.find({ person: personId, direction: 'inbound' }).sort({ receivedAt: 1 }).lean();
      const m = all[1];
      return m && m.delivery.status === 'pending' && m.delivery.lastError?.code === 'homeserver_unreachable' ? m : undefined;
    });
    expect(cipher.decrypt(stored.bodySealed ?? '')).toBe('pendant la panne');
    expect((await health(url1)).body.checks.matrix?.status).toBe('failed');

    // Lien dies on the spot; the homeserver comes back; Lien is started again, same settings.
    first.child.kill('SIGKILL');
    expect(await first.exited()).toBeNull();
    await expect(fetch(`${url1}/healthz`)).rejects.toThrow();
    await synapse.start();
    const second = start(env);
    const url2 = await second.listening();
    // The person writes again before the stored SMS's retry is due: the new one must not overtake it.
    expect((await models.Message.findById(stored._id).lean())?.delivery.status).toBe('pending');
    expect((await postInboundSms(url2, token, { from: phone, body: 'après le redémarrage' })).status).toBe(200);

    const wanted = [`${name}: bonjour`, `${name}: pendant la panne`, `${name}: après le redémarrage`];
    await waitFor('the SMS in the room', async () => (await roomTexts(synapse.baseUrl, worker.accessToken, roomId, bot.userId)).length >= 3, 60_000, 250);
    await sleep(2000); // more sweeps: nothing may be posted a second time
    const posted = await roomTexts(synapse.baseUrl, worker.accessToken, roomId, bot.userId);
    expect(posted.map((e) => e.content.body)).toEqual(wanted);
    const after = await models.Message.findById(stored._id).lean();
    expect(after?.delivery.status).toBe('sent');
    expect(after?.matrixEventId).toBe(posted[1]?.event_id);
    // The same conversation and room, not a new one, and both starts in the audit log.
    expect(await models.Conversation.countDocuments({ person: personId })).toBe(1);
    expect(await models.AuditEvent.countDocuments({ action: 'lien.started' })).toBe(2);
    expect((await health(url2)).body.checks.matrix?.status).toBe('ok');

    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
  });

  it('posts exactly once an SMS whose sending was cut short by the crash', { timeout: 180_000 }, async () => {
    const phone = '+33644556677';
    const name = 'Marc Coupure';
    const { env, models, personId, bot, worker, token } = await setUp(phone, name);
    const first = start(env);
    const url1 = await first.listening();
    const roomId = await openRoom(url1, token, phone, name, models, personId, worker, bot.userId);

    // The homeserver hangs: Lien's request to post the SMS goes out and waits for an answer.
    synapse.freeze();
    let frozen = true;
    try {
      const res = await postInboundSms(url1, token, { from: phone, body: 'au moment du crash' });
      expect(res.status).toBe(200);
      const stored = await waitFor('the SMS being sent', async () => {
        const m = (await models.Message.find({ person: personId, direction: 'inbound' }).sort({ receivedAt: 1 }).lean())[1];
        return m?.delivery.status === 'sending' ? m : undefined;
      });
      await sleep(1000);
      // Lien dies with its request in flight; the homeserver then reads it.
      first.child.kill('SIGKILL');
      expect(await first.exited()).toBeNull();
      synapse.thaw();
      frozen = false;
      // Usually it does post it then: Lien never heard back, so its store still says "sending".
      const postedByTheDeadRequest = await waitFor(
        'the interrupted request to be posted',
        async () => (await roomTexts(synapse.baseUrl, worker.accessToken, roomId, bot.userId))[1],
        10_000,
        250,
      ).catch(() => undefined);

      // Started again, Lien sees that the claim's holder is dead (its heartbeat stopped: no waiting out the
      // claim's 2 minutes), takes the delivery over and sends again with the same transaction id: the
      // homeserver answers with the event it already has instead of a second one.
      const second = start(env);
      await second.listening();
      // Within a minute, half the claim's 2 minutes: only the takeover of a dead holder's claim gets there.
      await waitFor('the message sent', async () => (await models.Message.findById(stored._id).lean())?.delivery.status === 'sent', 60_000, 250);
      await sleep(2000);
      const posted = await roomTexts(synapse.baseUrl, worker.accessToken, roomId, bot.userId);
      expect(posted.map((e) => e.content.body)).toEqual([`${name}: bonjour`, `${name}: au moment du crash`]);
      expect((await models.Message.findById(stored._id).lean())?.matrixEventId).toBe(posted[1]?.event_id);
      expect(posted[1]?.event_id).toBe(postedByTheDeadRequest?.event_id ?? posted[1]?.event_id);
      second.child.kill('SIGTERM');
      expect(await second.exited()).toBe(0);
    } finally {
      if (frozen) synapse.thaw();
    }
  });
});
