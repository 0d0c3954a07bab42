/**
 * Composition: config → database → audit → Matrix → outbox and scheduler → HTTP, and the reverse on
 * stop. `main.ts` calls this with the process's configuration; tests call it with their own.
 */
import { createHmac } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { AuditLog } from './audit/audit-log.js';
import { MatrixConnection } from './channels/matrix/connection.js';
import type { StoredSession } from './channels/matrix/session.js';
import type { Config } from './config.js';
import { registerUser, startSynapse, type EmbeddedSynapse } from './embedded/synapse.js';
import type { Logger } from './logger.js';
import { Outbox } from './outbox/outbox.js';
import { scheduleOutboxSweeper } from './scheduler/jobs/outbox-sweeper.js';
import { Scheduler } from './scheduler/scheduler.js';
import { Claims } from './store/claims.js';
import { openDatabase, type Database } from './store/database.js';
import { FieldCipher } from './store/field-cipher.js';
import { resolveSecretKey } from './store/secret-key.js';
import { Settings } from './store/settings.js';
import { createApp } from './web/app.js';
import type { HealthCheck } from './web/health.js';
import { listen, type RunningServer } from './web/server.js';

export interface Lien {
  url: string;
  db: Database;
  cipher: FieldCipher;
  audit: AuditLog;
  outbox: Outbox;
  scheduler: Scheduler;
  matrix: MatrixConnection;
  /** The embedded homeserver, when Lien runs its own. */
  synapse: EmbeddedSynapse | undefined;
  stop(): Promise<void>;
}

const BOT_LOCALPART = 'lien';

/** The embedded default: a local Synapse in the data directory, and Lien's bot account on it. */
async function embeddedMatrix(config: Config, progress: (line: string) => void, logger: Logger) {
  const synapse = await startSynapse({ toolsDir: config.toolsDir, dataDir: path.join(config.dataDir, 'synapse'), progress });
  logger.info({ url: synapse.baseUrl }, 'embedded Synapse started');
  // The bot's password is derived from the homeserver's own secret: stable across restarts, stored nowhere.
  const password = createHmac('sha256', synapse.sharedSecret).update('lien bot account').digest('base64url');
  const bot = await registerUser(synapse.baseUrl, synapse.sharedSecret, { localpart: BOT_LOCALPART, password, admin: true });
  return { synapse, homeserverUrl: synapse.baseUrl, userId: bot.userId, password };
}

export async function startLien(config: Config, logger: Logger, progress: (line: string) => void = () => undefined): Promise<Lien> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const unwind = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err: unknown) => logger.error({ err: { message: (err as Error).message } }, 'error while stopping'));
  };
  try {
    const db = await openDatabase(config, logger, progress);
    cleanups.push(() => db.close());
    const cipher = new FieldCipher(await resolveSecretKey(config.secretKey, config.dataDir));
    const audit = new AuditLog(db.models);
    const settings = new Settings(db.models);

    let synapse: EmbeddedSynapse | undefined;
    let matrixTarget: { homeserverUrl: string; userId: string; password?: string; accessToken?: string };
    if (config.matrix.homeserverUrl && config.matrix.userId) {
      matrixTarget = {
        homeserverUrl: config.matrix.homeserverUrl,
        userId: config.matrix.userId,
        ...(config.matrix.password ? { password: config.matrix.password } : {}),
        ...(config.matrix.accessToken ? { accessToken: config.matrix.accessToken } : {}),
      };
    } else {
      const embedded = await embeddedMatrix(config, progress, logger);
      synapse = embedded.synapse;
      cleanups.push(() => embedded.synapse.stop());
      matrixTarget = embedded;
    }
    const sessionKey = 'matrix.session';
    const matrix = new MatrixConnection(
      {
        homeserverUrl: matrixTarget.homeserverUrl,
        userId: matrixTarget.userId,
        ...(matrixTarget.password ? { password: matrixTarget.password } : {}),
        ...(matrixTarget.accessToken ? { accessToken: matrixTarget.accessToken } : {}),
        store: {
          load: async () => {
            const s = await settings.get<{ userId: string; deviceId: string; accessTokenSealed: string }>(sessionKey);
            return s ? { userId: s.userId, deviceId: s.deviceId, accessToken: cipher.decrypt(s.accessTokenSealed) } : undefined;
          },
          save: (s: StoredSession) => settings.set(sessionKey, { userId: s.userId, deviceId: s.deviceId, accessTokenSealed: cipher.encrypt(s.accessToken) }),
        },
      },
      logger,
    );
    await matrix.start();
    cleanups.push(() => matrix.stop());

    const outbox = new Outbox({ models: db.models, logger, maxAttempts: config.scheduler.outboxMaxAttempts });
    const db0 = db.conn.db;
    if (!db0) throw new Error('database handle missing after connect');
    const claims = new Claims(db.models);
    const scheduler = new Scheduler({ db: db0, claims, name: `${hostname()}-${process.pid}`, processEveryMs: config.scheduler.processEveryMs, logger });
    await scheduleOutboxSweeper(scheduler, outbox, claims, config.scheduler.outboxSweepEveryMs, logger);
    await scheduler.start();
    cleanups.push(async () => {
      const drained = await scheduler.stop(config.shutdownTimeoutMs);
      if (drained.timedOut) logger.warn({ running: drained.running }, 'scheduled jobs still running at shutdown; they will be picked up again');
    });

    const health: HealthCheck[] = [
      { name: 'database', essential: true, check: async () => (await db.ping(), db.description) },
      { name: 'scheduler', essential: true, check: () => scheduler.health() },
      { name: 'matrix', essential: false, check: () => matrix.health() },
    ];
    const app = createApp({ logger, bodyLimit: config.http.bodyLimit, health });
    const server: RunningServer = await listen(app, config.http.host, config.http.port);
    cleanups.push(() => server.close(config.shutdownTimeoutMs));
    await audit.append({ actor: { kind: 'system' }, action: 'lien.started', details: { database: config.mongo.uri ? 'configured' : 'embedded', homeserver: synapse ? 'embedded' : 'configured' } });

    let stopping: Promise<void> | undefined;
    return {
      url: config.http.publicUrl ?? server.url,
      db,
      cipher,
      audit,
      outbox,
      scheduler,
      matrix,
      synapse,
      stop: () => (stopping ??= unwind()),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
