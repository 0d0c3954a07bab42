/**
 * End-to-end encrypted portal rooms, with a worker whose client is matrix-js-sdk and its own Rust crypto
 * build: both ends really encrypt and decrypt. Covers issue #4's "done when": an SMS becomes an encrypted
 * event the worker decrypts and the encrypted reply becomes one SMS; a restart keeps the device and
 * relays what was sent meanwhile; a colleague added later reads the conversation back; a message Lien
 * cannot decrypt is reported in the room, with no SMS and a metric.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MatrixClient } from '../../../src/channels/matrix/client.js';
import { loadConfig } from '../../../src/config.js';
import { startLien } from '../../../src/lien.js';
import { addPerson, frText, portalRoomOf, sendSms, sleep, useBridge, type Bridge } from '../../support/bridge.js';
import { JsSdkWorker } from '../../support/e2ee-worker.js';
import { testLogger } from '../../support/logger.js';
import { registerUser, uniqueLocalpart } from '../../support/matrix.js';
import { waitFor } from '../../support/wait.js';

const bridge: Bridge = useBridge({ MATRIX_UNDECRYPTABLE_GRACE_SECONDS: '3' }, { encryptRooms: true });
let worker: JsSdkWorker;

beforeAll(async () => {
  if (!bridge.worker.deviceId) throw new Error('the bridge worker has no device id');
  worker = await JsSdkWorker.start(inject('synapseUrl'), { userId: bridge.worker.userId, accessToken: bridge.worker.accessToken, deviceId: bridge.worker.deviceId });
});

afterAll(() => {
  worker?.stop();
});

/** SMS sent to the person's phone whose text is exactly this. */
function smsTo(phone: string, body: string) {
  return bridge.twilio.requests.filter((r) => r.form.To === phone && r.form.Body === body);
}

describe('encrypted portal rooms', () => {
  let person: Awaited<ReturnType<typeof addPerson>>;
  let roomId: string;

  it('posts an SMS as an encrypted event the worker decrypts, and relays the encrypted reply as one SMS', async () => {
    person = await addPerson(bridge, { displayName: 'Camille Martin' });
    await sendSms(bridge, { from: person.phone, body: 'Bonjour, je ne pourrai pas venir jeudi.' });
    roomId = await portalRoomOf(bridge, person._id);
    await worker.joinWhenInvited(roomId);
    expect(await worker.isRoomEncrypted(roomId)).toBe(true);

    const posted = await worker.waitForMessage(roomId, "Camille's SMS, decrypted", (m) => m.sender === bridge.botUserId && String(m.content.body).includes('je ne pourrai pas venir jeudi'));
    expect(posted.encrypted).toBe(true);
    expect(posted.content.body).toBe('Camille Martin: Bonjour, je ne pourrai pas venir jeudi.');

    // On the wire, the homeserver holds only ciphertext.
    const raw = await bridge.worker.client.request<{ type: string; content: Record<string, unknown> }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(posted.eventId)}`);
    expect(raw.type).toBe('m.room.encrypted');
    expect(raw.content.algorithm).toBe('m.megolm.v1.aes-sha2');
    expect(JSON.stringify(raw.content)).not.toContain('jeudi');

    await worker.send(roomId, 'Pas de souci, on décale à vendredi 10h.');
    await waitFor('the reply as an SMS', async () => smsTo(person.phone, 'Pas de souci, on décale à vendredi 10h.').length === 1 || undefined, 20_000);
    await sleep(1500);
    expect(smsTo(person.phone, 'Pas de souci, on décale à vendredi 10h.')).toHaveLength(1);
  });

  it("shows Lien's device as cross-signed by its account, and /healthz names the engine", async () => {
    const crypto = bridge.lien.crypto();
    expect(crypto).toBeDefined();
    const deviceId = crypto?.engine.deviceId ?? '';
    const status = await waitFor('the bot device status', async () => (await worker.client.getCrypto()?.getDeviceVerificationStatus(bridge.botUserId, deviceId)) ?? undefined);
    expect(status.signedByOwner).toBe(true);

    const health = (await (await fetch(`${bridge.lien.url}/healthz`)).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(JSON.stringify(health)).toMatch(/wasm engine|nodejs engine/);
  });

  it('keeps its device across a restart and relays what the worker sent while it was stopped', async () => {
    const before = bridge.lien.crypto()?.engine;
    const deviceBefore = before?.deviceId;
    const keyBefore = before?.identityKeys.curve25519;
    const { env, botUserId } = bridge.lien;
    await bridge.lien.stop();

    await worker.send(roomId, 'Message écrit pendant que Lien était arrêté.');
    await sleep(500);

    bridge.lien = Object.assign(await startLien(loadConfig(env), testLogger), { env, botUserId });
    await bridge.lien.synced();
    const after = bridge.lien.crypto()?.engine;
    expect(after?.deviceId).toBe(deviceBefore);
    expect(after?.identityKeys.curve25519).toBe(keyBefore);

    await waitFor('the message sent during the stop, as an SMS', async () => smsTo(person.phone, 'Message écrit pendant que Lien était arrêté.').length === 1 || undefined, 30_000);
    // And the room still works both ways after the restart.
    await sendSms(bridge, { from: person.phone, body: 'Merci, vendredi ça me va.' });
    await worker.waitForMessage(roomId, 'the SMS after the restart', (m) => m.sender === bridge.botUserId && String(m.content.body).endsWith('Merci, vendredi ça me va.'));
  });

  it('lets a colleague added later read the conversation back with the history command', async () => {
    const password = randomBytes(12).toString('hex');
    const colleagueSession = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('colleague'), password });
    await bridge.lien.db.models.Worker.create({ matrixUserId: colleagueSession.userId, displayName: 'Karim Haddad', team: bridge.team._id });
    const colleague = await JsSdkWorker.start(inject('synapseUrl'), colleagueSession);
    try {
      await worker.client.invite(roomId, colleagueSession.userId);
      await colleague.joinWhenInvited(roomId);

      // Lien tells the newcomer how to read back what came before.
      await colleague.waitForMessage(roomId, 'the newcomer hint', (m) => m.sender === bridge.botUserId && m.content.body === frText('crypto.newcomer', { name: 'Karim Haddad', prefix: '!' }));

      await colleague.send(roomId, '!historique');
      const history = await colleague.waitForMessage(roomId, 'the history notice', (m) => m.sender === bridge.botUserId && String(m.content.body).startsWith(frText('command.history', { count: '4' })));
      expect(history.encrypted).toBe(true);
      const body = String(history.content.body);
      expect(body).toContain('Camille Martin : Bonjour, je ne pourrai pas venir jeudi.');
      expect(body).toContain('→ Sophie Bernard : Pas de souci, on décale à vendredi 10h.');
      expect(body).toContain('Camille Martin : Merci, vendredi ça me va.');
      // The command is not an SMS.
      expect(bridge.twilio.requests.filter((r) => r.form.Body?.includes('historique'))).toHaveLength(0);

      // From now on the colleague reads new SMS directly.
      await sendSms(bridge, { from: person.phone, body: 'Qui est Karim ?' });
      const direct = await colleague.waitForMessage(roomId, 'a new SMS, for the colleague', (m) => m.sender === bridge.botUserId && String(m.content.body).endsWith('Qui est Karim ?'));
      expect(direct.encrypted).toBe(true);
    } finally {
      colleague.stop();
    }
  });

  it('reports a message it cannot decrypt in the room, sends no SMS, and counts it', async () => {
    const smsBefore = bridge.twilio.requests.length;
    // A worker's client sends an encrypted event whose key Lien never gets (a session nobody shared).
    const plain = new MatrixClient(inject('synapseUrl'), bridge.worker.accessToken);
    const bogus = {
      algorithm: 'm.megolm.v1.aes-sha2',
      sender_key: 'c2VuZGVyIGtleSB0aGF0IGlzIG5vdCByZWFsIGF0IGFsbA',
      session_id: 'bm8gc3VjaCBzZXNzaW9uIGF0IGFsbCwgbm8gbm8gbm8gbm8',
      ciphertext: 'AwgAEnDhRbWm0nOjq8ahq5cKXk3VvD7A1bcjn2RGcNV1KvyFAQ',
      device_id: bridge.worker.deviceId,
    };
    const eventId = await plain.sendEvent(roomId, 'm.room.encrypted', bogus, `utd-${randomBytes(6).toString('hex')}`);

    const notice = await worker.waitForMessage(roomId, 'the undecryptable notice', (m) => m.sender === bridge.botUserId && String(m.content.body).startsWith("Je n'ai pas pu lire le message de Sophie Bernard"), 30_000);
    expect(notice.content.msgtype).toBe('m.notice');
    expect(bridge.twilio.requests.length).toBe(smsBefore);

    const metrics = await (await fetch(`${bridge.lien.url}/metrics`)).text();
    expect(metrics).toMatch(/^lien_matrix_undecryptable_messages_total 1$/m);
    expect(metrics).toMatch(/^lien_matrix_decryption_failures_total\{reason="[A-Za-z]+"\} 1$/m);
    const audit = await bridge.lien.db.models.AuditEvent.find({ action: 'matrix.undecryptable' }).lean();
    expect(audit.map((a) => a.subject?.id)).toContain(eventId);
  });
});
