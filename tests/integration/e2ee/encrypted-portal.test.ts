/**
 * End-to-end encrypted portal rooms, with a worker whose client is matrix-js-sdk and its own Rust crypto
 * build: both ends really encrypt and decrypt. Covers issue #4's "done when": an SMS becomes an encrypted
 * event the worker decrypts and the encrypted reply becomes one SMS; a restart keeps the device and
 * relays what was sent meanwhile; a colleague added later reads the conversation back; a message Lien
 * cannot decrypt is reported in the room, with no SMS and a metric.
 */
import { randomBytes } from 'node:crypto';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MatrixClient } from '../../../src/channels/matrix/client.js';
import { decryptAttachment, type EncryptedFile } from '../../../src/channels/matrix/crypto/attachments.js';
import { loadConfig } from '../../../src/config.js';
import { startLien } from '../../../src/lien.js';
import { MEMBERSHIP_CHECK_JOB } from '../../../src/routing/membership.js';
import { addPerson, frText, portalRoomOf, sendSms, sleep, TWILIO_API, useBridge, type Bridge } from '../../support/bridge.js';
import { nativeCryptoAvailable } from '../../../src/channels/matrix/crypto/load-engine.js';
import { JsSdkWorker } from '../../support/e2ee-worker.js';
import { testLogger } from '../../support/logger.js';
import { registerUser, uniqueLocalpart } from '../../support/matrix.js';
import { waitFor } from '../../support/wait.js';

/** Both engines go through the same tests wherever both install (the native one needs its downloaded library). */
const engines = ['wasm', ...(nativeCryptoAvailable().ok ? ['nodejs'] : [])];

describe.each(engines)('encrypted portal rooms, %s engine', (engine) => {
  const bridge: Bridge = useBridge({ MATRIX_CRYPTO_ENGINE: engine, MATRIX_UNDECRYPTABLE_GRACE_SECONDS: '3' }, { encryptRooms: true });
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
    expect(JSON.stringify(health)).toContain(`${engine} engine`);
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

  let colleagueSession: Awaited<ReturnType<typeof registerUser>>;

  it('lets a colleague added later read the conversation back with the history command', async () => {
    const password = randomBytes(12).toString('hex');
    colleagueSession = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('colleague'), password });
    await bridge.lien.db.models.Worker.create({ matrixUserId: colleagueSession.userId, displayName: 'Karim Haddad', team: bridge.team._id });
    const colleague = await JsSdkWorker.start(inject('synapseUrl'), colleagueSession);
    try {
      // Only Lien invites: the membership check (run now, as the admin CLI has it run) invites the new worker.
      await bridge.lien.scheduler.once(MEMBERSHIP_CHECK_JOB, new Date(), { teamId: String(bridge.team._id) }, `check-${randomBytes(4).toString('hex')}`);
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

  it("encrypts an MMS attachment for the room: the homeserver stores only its ciphertext", async () => {
    const image = randomBytes(4096);
    const mediaPath = `/2010-04-01/Accounts/${bridge.accountSid}/Messages/MM${randomBytes(16).toString('hex')}/Media/ME${randomBytes(16).toString('hex')}`;
    nock(TWILIO_API).get(mediaPath).reply(200, image, { 'Content-Type': 'image/jpeg' });
    await sendSms(bridge, { from: person.phone, body: 'Voici la photo du courrier.', media: [{ url: `${TWILIO_API}${mediaPath}`, contentType: 'image/jpeg' }] });

    const posted = await worker.waitForMessage(roomId, 'the photo', (m) => m.sender === bridge.botUserId && m.content.msgtype === 'm.image');
    expect(posted.encrypted).toBe(true);
    expect(posted.content.url).toBeUndefined();
    const file = posted.content.file as EncryptedFile;
    expect(file.url).toMatch(/^mxc:\/\//);
    const stored = await bridge.worker.client.downloadMedia(file.url);
    expect(Buffer.from(stored.data).equals(image)).toBe(false);
    expect(decryptAttachment(stored.data, file).equals(image)).toBe(true);
  });

  it('keeps working in a clear room that becomes encrypted', async () => {
    await bridge.lien.db.models.Team.updateOne({ _id: bridge.team._id }, { $set: { 'settings.encryptRooms': false } });
    try {
      const other = await addPerson(bridge, { displayName: 'Jules Petit' });
      await sendSms(bridge, { from: other.phone, body: 'Premier message, salle en clair.' });
      const clearRoom = await portalRoomOf(bridge, other._id);
      await worker.joinWhenInvited(clearRoom);
      const clear = await worker.waitForMessage(clearRoom, 'the clear message', (m) => String(m.content.body).endsWith('salle en clair.'));
      expect(clear.encrypted).toBe(false);

      // An administrator (here Lien's own account) switches encryption on.
      await bridge.lien.matrix.current().sendStateEvent(clearRoom, 'm.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' });
      await waitFor('Lien to see the room encrypted', async () => (await bridge.lien.crypto()?.isEncrypted(clearRoom)) || undefined);
      await sendSms(bridge, { from: other.phone, body: 'Deuxième message, salle chiffrée.' });
      const encrypted = await worker.waitForMessage(clearRoom, 'the encrypted message', (m) => String(m.content.body).endsWith('salle chiffrée.'));
      expect(encrypted.encrypted).toBe(true);
      await worker.send(clearRoom, 'Bien reçu, Jules.');
      await waitFor('the reply from the now encrypted room', async () => smsTo(other.phone, 'Bien reçu, Jules.').length === 1 || undefined, 20_000);
    } finally {
      await bridge.lien.db.models.Team.updateOne({ _id: bridge.team._id }, { $set: { 'settings.encryptRooms': true } });
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

  it("retires the room key when a member leaves: Lien's next message uses a new session", async () => {
    const plain = new MatrixClient(inject('synapseUrl'), bridge.worker.accessToken);
    const sessionOf = async (eventId: string) =>
      (await plain.request<{ content: { session_id?: string } }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`)).content.session_id;
    await sendSms(bridge, { from: person.phone, body: 'Avant le départ de Karim.' });
    const first = await worker.waitForMessage(roomId, 'the SMS before the leave', (m) => m.sender === bridge.botUserId && String(m.content.body).endsWith('Avant le départ de Karim.'));
    const before = await sessionOf(first.eventId);
    expect(before).toBeTruthy();

    const colleague = new MatrixClient(inject('synapseUrl'), colleagueSession.accessToken);
    await colleague.leave(roomId);
    await waitFor('Lien to see the colleague gone', async () => !(await bridge.lien.crypto()?.roomMembers(roomId))?.includes(colleagueSession.userId) || undefined);
    await sendSms(bridge, { from: person.phone, body: 'Après le départ de Karim.' });
    const second = await worker.waitForMessage(roomId, 'the SMS after the leave', (m) => m.sender === bridge.botUserId && String(m.content.body).endsWith('Après le départ de Karim.'));
    expect(await sessionOf(second.eventId)).not.toBe(before);
  });
});
