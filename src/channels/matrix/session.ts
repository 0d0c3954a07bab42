/**
 * Lien's login on the homeserver. With an access token configured, that token is used as it is. With a
 * password, Lien logs in once and keeps the session (token and device id) so that a restart reuses the
 * same device — a new device on every start would break end-to-end encryption and clutter the account.
 */
import { MatrixClient, MatrixError } from './client.js';

export interface StoredSession {
  userId: string;
  deviceId: string;
  accessToken: string;
}

export interface SessionStore {
  load(): Promise<StoredSession | undefined>;
  save(session: StoredSession): Promise<void>;
}

export interface SessionOptions {
  homeserverUrl: string;
  userId: string;
  accessToken?: string;
  password?: string;
  store: SessionStore;
  deviceName?: string;
}

export class MatrixLoginError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MatrixLoginError';
  }
}

export async function openSession(opts: SessionOptions): Promise<{ client: MatrixClient; userId: string; deviceId: string | undefined }> {
  const client = new MatrixClient(opts.homeserverUrl, opts.accessToken);
  if (opts.accessToken) {
    const me = await client.whoami().catch((err: unknown) => {
      throw new MatrixLoginError(`MATRIX_ACCESS_TOKEN was refused by ${opts.homeserverUrl}: ${(err as Error).message}`, { cause: err });
    });
    if (me.user_id !== opts.userId) throw new MatrixLoginError(`MATRIX_ACCESS_TOKEN belongs to ${me.user_id}, not to MATRIX_USER_ID ${opts.userId}`);
    return { client, userId: me.user_id, deviceId: me.device_id };
  }
  const stored = await opts.store.load();
  if (stored && stored.userId === opts.userId) {
    client.setAccessToken(stored.accessToken);
    try {
      await client.whoami();
      return { client, userId: stored.userId, deviceId: stored.deviceId };
    } catch (err) {
      if (!(err instanceof MatrixError && err.status === 401)) throw err;
    }
  }
  if (!opts.password) throw new MatrixLoginError('no usable Matrix session: set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN');
  const login = await client
    .request<{ user_id: string; access_token: string; device_id: string }>('POST', '/_matrix/client/v3/login', {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: opts.userId },
        password: opts.password,
        // Same device as before, when there was one: keeps its keys valid across logins.
        ...(stored?.userId === opts.userId ? { device_id: stored.deviceId } : {}),
        initial_device_display_name: opts.deviceName ?? 'Lien',
      },
    })
    .catch((err: unknown) => {
      throw new MatrixLoginError(`could not log in to ${opts.homeserverUrl} as ${opts.userId}: ${(err as Error).message}`, { cause: err });
    });
  client.setAccessToken(login.access_token);
  await opts.store.save({ userId: login.user_id, deviceId: login.device_id, accessToken: login.access_token });
  return { client, userId: login.user_id, deviceId: login.device_id };
}
