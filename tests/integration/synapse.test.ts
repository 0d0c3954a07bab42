import { describe, expect, inject, it } from 'vitest';
import {
  createRoom,
  joinRoom,
  login,
  MatrixError,
  readRoomEvents,
  registerUser,
  sendText,
  uniqueLocalpart,
  waitForRoomEvent,
} from '../support/matrix.js';

const baseUrl = inject('synapseUrl');
const sharedSecret = inject('synapseSharedSecret');

describe('embedded Synapse', () => {
  it('carries a text message from one user to another', async () => {
    const alice = await registerUser(baseUrl, sharedSecret, { localpart: uniqueLocalpart('alice'), password: 'alice-password' });
    const bob = await registerUser(baseUrl, sharedSecret, { localpart: uniqueLocalpart('bob'), password: 'bob-password' });
    expect(alice.userId).toMatch(/^@alice-/);
    expect(bob.userId).toMatch(/^@bob-/);

    const roomId = await createRoom(baseUrl, alice.accessToken, { name: 'Suivi', invite: [bob.userId], preset: 'private_chat' });
    expect(await joinRoom(baseUrl, bob.accessToken, roomId)).toBe(roomId);

    const body = `Bonjour Bob ${Date.now()}`;
    const eventId = await sendText(baseUrl, alice.accessToken, roomId, body);

    const messages = await readRoomEvents(baseUrl, bob.accessToken, roomId, { type: 'm.room.message' });
    const last = messages.at(-1);
    expect(last).toMatchObject({ event_id: eventId, sender: alice.userId, content: { msgtype: 'm.text', body } });

    const seen = await waitForRoomEvent(baseUrl, bob.accessToken, roomId, (e) => e.event_id === eventId, 5000);
    expect(seen.content.body).toBe(body);

    // Oldest first: the room's creation comes before the message.
    const all = await readRoomEvents(baseUrl, bob.accessToken, roomId);
    expect(all[0]?.type).toBe('m.room.create');
    expect(all.at(-1)?.event_id).toBe(eventId);
  });

  it('logs in instead when the user already exists', async () => {
    const localpart = uniqueLocalpart('carol');
    const first = await registerUser(baseUrl, sharedSecret, { localpart, password: 'carol-password' });
    const again = await registerUser(baseUrl, sharedSecret, { localpart, password: 'carol-password' });
    expect(again.userId).toBe(first.userId);
    expect(again.accessToken).not.toBe(first.accessToken);
    expect(again.deviceId).not.toBe(first.deviceId);

    const session = await login(baseUrl, first.userId, 'carol-password');
    expect(session.userId).toBe(first.userId);

    const refused = login(baseUrl, first.userId, 'wrong-password');
    await expect(refused).rejects.toBeInstanceOf(MatrixError);
    await expect(refused).rejects.toMatchObject({ status: 403, errcode: 'M_FORBIDDEN', message: expect.stringContaining('POST /_matrix/client/v3/login') });
  });
});
