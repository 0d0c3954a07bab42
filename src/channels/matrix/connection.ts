/**
 * Lien's standing connection to the homeserver: logs in (retrying while the homeserver is away) and
 * says how it is for /healthz. An outage delays Matrix work; it never stops Lien from taking SMS.
 */
import type { Logger } from '../../logger.js';
import type { MatrixClient } from './client.js';
import { openSession, type SessionOptions } from './session.js';

export class MatrixConnection {
  private client: MatrixClient | undefined;
  private lastError: string | undefined = 'not connected yet';
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readyWaiters: Array<(c: MatrixClient) => void> = [];
  userId: string | undefined;
  deviceId: string | undefined;

  constructor(
    private readonly opts: SessionOptions,
    private readonly logger: Logger,
    private readonly retryMs = 15_000,
  ) {}

  /** Tries to log in now; on failure keeps trying in the background. Resolves after the first try. */
  async start(): Promise<void> {
    await this.tryConnect();
  }

  private async tryConnect(): Promise<void> {
    if (this.stopped) return;
    try {
      const s = await openSession(this.opts);
      this.client = s.client;
      this.userId = s.userId;
      this.deviceId = s.deviceId;
      this.lastError = undefined;
      this.logger.info({ userId: s.userId, deviceId: s.deviceId, homeserver: this.opts.homeserverUrl }, 'logged in to the homeserver');
      for (const resolve of this.readyWaiters.splice(0)) resolve(s.client);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.logger.error({ reason: this.lastError, retryInMs: this.retryMs }, 'cannot log in to the homeserver yet');
      this.retryTimer = setTimeout(() => void this.tryConnect(), this.retryMs);
      this.retryTimer.unref();
    }
  }

  /** The logged-in client, once there is one. */
  ready(): Promise<MatrixClient> {
    if (this.client) return Promise.resolve(this.client);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** The logged-in client now, or an error saying why there is none. */
  current(): MatrixClient {
    if (!this.client) throw new Error(`not connected to the homeserver: ${this.lastError ?? 'not started'}`);
    return this.client;
  }

  /** For /healthz: resolves with the account when the homeserver answers as that account. */
  async health(): Promise<string> {
    if (!this.client) throw new Error(this.lastError ?? 'not connected');
    const me = await this.client.whoami();
    return `${me.user_id} (device ${me.device_id ?? this.deviceId ?? 'unknown'}) on ${this.opts.homeserverUrl}`;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }
}
