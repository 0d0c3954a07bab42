/** Shared bits of the Matrix channel tests (not a test file itself). */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { MatrixClient } from '../../../src/channels/matrix/client.js';
import type { RoomEvent, RoomEventHandler, SyncTokenStore } from '../../../src/channels/matrix/types.js';
import { registerUser, uniqueLocalpart } from '../../support/matrix.js';

export const baseUrl = inject('synapseUrl');
const sharedSecret = inject('synapseSharedSecret');

export interface TestUser {
  userId: string;
  accessToken: string;
  client: MatrixClient;
}

export async function newUser(prefix: string): Promise<TestUser> {
  const s = await registerUser(baseUrl, sharedSecret, { localpart: uniqueLocalpart(prefix), password: `${prefix}-password` });
  return { userId: s.userId, accessToken: s.accessToken, client: new MatrixClient(baseUrl, s.accessToken) };
}

export class MemoryTokenStore implements SyncTokenStore {
  token: string | undefined;
  saves = 0;
  async load(): Promise<string | undefined> {
    return this.token;
  }
  async save(token: string): Promise<void> {
    this.token = token;
    this.saves++;
  }
}

/** Records what it is handed; `fail(event)` may throw to simulate a failing handler. */
export class RecordingHandler implements RoomEventHandler {
  events: RoomEvent[] = [];
  invites: Array<{ roomId: string; inviter: string | undefined }> = [];
  calls: string[] = [];
  constructor(private readonly fail: (event: RoomEvent, attempt: number) => boolean = () => false) {}

  async onRoomEvent(event: RoomEvent): Promise<void> {
    this.calls.push(event.eventId);
    const attempt = this.calls.filter((id) => id === event.eventId).length;
    if (this.fail(event, attempt)) throw new Error(`simulated failure #${attempt}`);
    this.events.push(event);
  }

  async onInvite(roomId: string, inviter: string | undefined): Promise<void> {
    this.invites.push({ roomId, inviter });
  }

  messages(roomId?: string): RoomEvent[] {
    return this.events.filter((e) => e.type === 'm.room.message' && (roomId === undefined || e.roomId === roomId));
  }
}

export function sendText(user: TestUser, roomId: string, body: string): Promise<string> {
  return user.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body }, `t-${randomUUID()}`);
}
