/**
 * A person's SMS still reaches the team when Lien can no longer post in their portal room (it was made
 * to leave, the room was deleted by the homeserver's admin), and one the homeserver refuses as too large
 * is told in the room and failed for good: against the run's Synapse and FerretDB.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { MatrixClient } from '../../../src/channels/matrix/client.js';
import { addPerson, botMessages, frText, joinPortal, sendSms, sleep, useBridge, waitForNotice } from '../../support/bridge.js';
import { registerUser, uniqueLocalpart } from '../../support/matrix.js';
import { waitFor } from '../../support/wait.js';

const enc = encodeURIComponent;

describe('bridge: a portal room Lien lost, a message too large', () => {
  // A webhook body over Synapse's max_event_size (65 536 bytes) must get past Lien's own limit (64kb).
  const bridge = useBridge({ HTTP_BODY_LIMIT: '1mb' });

  async function homeserverAdmin(): Promise<MatrixClient> {
    const admin = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('admin'), password: randomBytes(12).toString('hex'), admin: true });
    return new MatrixClient(inject('synapseUrl'), admin.accessToken);
  }

  /** A person whose portal room exists, the worker in it, with their first SMS posted. */
  async function personWithRoom(displayName: string): Promise<{ person: Awaited<ReturnType<typeof addPerson>>; roomId: string }> {
    const person = await addPerson(bridge, { displayName });
    expect((await sendSms(bridge, { from: person.phone, body: 'Bonjour' })).status).toBe(200);
    const roomId = await joinPortal(bridge, person._id);
    await bridge.worker.waitForEvent(roomId, 'the first SMS', (e) => e.sender === bridge.botUserId && e.content.body === `${displayName}: Bonjour`);
    return { person, roomId };
  }

  it('makes a new room when the old one is gone: the worker is invited, told why, and the SMS is there once', async () => {
    const { worker, lien } = bridge;
    const { person, roomId } = await personWithRoom('Inès Moreau');

    // The homeserver's admin deletes the room: every member, Lien included, is put out of it.
    const admin = await homeserverAdmin();
    await admin.request('DELETE', `/_synapse/admin/v1/rooms/${enc(roomId)}`, { body: {}, timeoutMs: 60_000 });

    const text = 'Je voulais savoir si mon dossier est complet.';
    expect((await sendSms(bridge, { from: person.phone, body: text })).status).toBe(200);

    const newRoomId = await waitFor('a new portal room', async () => {
      const c = await lien.db.models.Conversation.findOne({ person: person._id }, { matrixRoomId: 1 }).lean();
      return c?.matrixRoomId && c.matrixRoomId !== roomId ? c.matrixRoomId : undefined;
    }, 30_000);
    await worker.joinWhenInvited(newRoomId);
    await waitForNotice(bridge, newRoomId, frText('room.portalReplaced', { name: 'Inès Moreau' }));
    await worker.waitForEvent(newRoomId, 'the SMS', (e) => e.sender === bridge.botUserId && e.content.body === `Inès Moreau: ${text}`);
    expect(await worker.client.getStateEvent<{ name: string }>(newRoomId, 'm.room.name')).toEqual({ name: 'Inès Moreau' });

    // Time for a second copy or a second room to show, were there one.
    await sleep(2_000);
    expect(await botMessages(bridge, newRoomId, `Inès Moreau: ${text}`)).toHaveLength(1);
    expect(await botMessages(bridge, newRoomId, frText('room.portalReplaced', { name: 'Inès Moreau' }))).toHaveLength(1);
    expect((await lien.db.models.Conversation.findOne({ person: person._id }, { matrixRoomId: 1 }).lean())?.matrixRoomId).toBe(newRoomId);
    const stored = await lien.db.models.Message.find({ person: person._id, direction: 'inbound' }).sort({ _id: 1 }).lean();
    expect(stored.at(-1)).toMatchObject({ delivery: { status: 'sent' } });

    const audit = await lien.db.models.AuditEvent.find({ action: 'room.portal_replaced', 'subject.id': String(person._id) }).lean();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ lostRoomId: roomId, roomId: newRoomId });
    const auditJson = JSON.stringify(audit);
    for (const personal of [person.phone, 'Inès', 'Moreau', 'dossier']) expect(auditJson).not.toContain(personal);
  });

  it('rejoins the room when it lets Lien back in: the SMS is posted there once, and no new room is made', async () => {
    const { worker, lien } = bridge;
    const { person, roomId } = await personWithRoom('Yanis Girard');

    // Lien is out of the room (as the room's creator it cannot be kicked in this room version, so it is
    // made to leave), and a worker given the power to invite (by the homeserver's admin) lets it back in.
    const admin = await homeserverAdmin();
    await admin.request('POST', `/_synapse/admin/v1/rooms/${enc(roomId)}/make_room_admin`, { body: { user_id: worker.userId } });
    await (await lien.matrix.ready()).leave(roomId);
    await worker.client.invite(roomId, bridge.botUserId);

    const text = 'Est-ce que le rendez-vous de lundi tient toujours ?';
    expect((await sendSms(bridge, { from: person.phone, body: text })).status).toBe(200);
    await worker.waitForEvent(roomId, 'the SMS', (e) => e.sender === bridge.botUserId && e.content.body === `Yanis Girard: ${text}`, 30_000);

    await sleep(2_000);
    expect(await botMessages(bridge, roomId, `Yanis Girard: ${text}`)).toHaveLength(1);
    expect((await lien.db.models.Conversation.findOne({ person: person._id }, { matrixRoomId: 1 }).lean())?.matrixRoomId).toBe(roomId);
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'room.portal_replaced', 'subject.id': String(person._id) })).toBe(0);
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'room.portal_rejoined', 'subject.id': roomId })).toBe(1);
  });

  it('tells the room of an SMS the homeserver refuses as too large, and fails it for good', async () => {
    const { worker, lien } = bridge;
    const { person, roomId } = await personWithRoom('Nora Lefèvre');

    const huge = 'Voici tout mon courrier. '.repeat(3_000); // 75 000 characters: over 65 536 bytes as an event
    expect((await sendSms(bridge, { from: person.phone, body: huge })).status).toBe(200);

    await waitForNotice(bridge, roomId, frText('room.messageTooLarge', { name: 'Nora Lefèvre' }), 30_000);
    const failed = await waitFor('the SMS failed', async () => {
      const m = await lien.db.models.Message.findOne({ person: person._id, direction: 'inbound', 'delivery.status': 'failed' }).lean();
      return m ?? undefined;
    }, 15_000);
    expect(failed.delivery).toMatchObject({ status: 'failed', attempts: 1, lastError: { code: 'M_TOO_LARGE' } });
    expect(lien.cipher.decrypt(failed.bodySealed ?? '')).toBe(huge);

    await sleep(2_000);
    expect(await botMessages(bridge, roomId, frText('room.messageTooLarge', { name: 'Nora Lefèvre' }))).toHaveLength(1);
    expect((await worker.messagesFrom(roomId, bridge.botUserId)).filter((e) => String(e.content.body).includes('Voici tout mon courrier'))).toHaveLength(0);
  });
});
