/**
 * Composition: config → database → audit → Matrix → outbox and scheduler → HTTP, and the reverse on
 * stop. `main.ts` calls this with the process's configuration; tests call it with their own.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { AuditLog } from './audit/audit-log.js';
import { MatrixConnection } from './channels/matrix/connection.js';
import type { MatrixClient } from './channels/matrix/client.js';
import type { RoomCrypto } from './channels/matrix/crypto/room-crypto.js';
import { startRoomCrypto } from './channels/matrix/crypto/start.js';
import type { PendingEvent } from './channels/matrix/crypto/undecryptable.js';
import { KeptEvents, type KeptEvent, type KeptEventStore } from './channels/matrix/kept-events.js';
import { RoomPacer } from './channels/matrix/room-pacer.js';
import { SyncLoop } from './channels/matrix/sync-loop.js';
import { DevPhoneSender } from './channels/sms/dev-phone-sender.js';
import { twilioMediaFetcher } from './channels/sms/media.js';
import { TwilioSmsSender } from './channels/sms/twilio-sender.js';
import type { SmsSender } from './channels/sms/types.js';
import { smsWebhookRouter } from './channels/sms/webhooks.js';
import { seedDemo, type Demo } from './demo/seed.js';
import { Translator } from './i18n/translator.js';
import { DeliveryError } from './outbox/outbox.js';
import type { RoutingContext } from './routing/context.js';
import { DeliveryFeedback } from './routing/delivery-feedback.js';
import { PhoneDeliverer, RoomDeliverer } from './routing/deliverers.js';
import { Directory } from './routing/directory.js';
import { InboundSmsHandler } from './routing/inbound-sms.js';
import { createBot } from './bot/index.js';
import { scheduleBotJobs } from './scheduler/jobs/bot-turns.js';
import { noticeRouter } from './web/notice.js';
import { OfficeHours } from './routing/office-hours.js';
import { Portals } from './routing/portals.js';
import { AuditRoom } from './routing/audit-room.js';
import { anchorAtStart, scheduleAuditAnchor } from './scheduler/jobs/audit-anchor.js';
import { RoomEventsHandler } from './routing/room-events.js';
import { devPhoneRouter } from './web/dev-phone.js';
import type { SessionStore, StoredSession } from './channels/matrix/session.js';
import type { Config } from './config.js';
import { lockDataDir } from './embedded/data-dir-lock.js';
import { registerUser, startSynapse, type EmbeddedSynapse } from './embedded/synapse.js';
import type { Logger } from './logger.js';
import { Outbox } from './outbox/outbox.js';
import { scheduleOpeningDigests } from './scheduler/jobs/opening-digest.js';
import { scheduleOutboxSweeper } from './scheduler/jobs/outbox-sweeper.js';
import { scheduleMembershipChecks } from './scheduler/jobs/membership-check.js';
import { Membership } from './routing/membership.js';
import { scheduleRetention } from './scheduler/jobs/retention.js';
import { Erasure } from './privacy/erasure.js';
import { Retention, retentionMs } from './privacy/retention.js';
import { RoomCloser } from './privacy/room-closer.js';
import { JOBS_COLLECTION, Scheduler } from './scheduler/scheduler.js';
import { Claims, Heartbeat, PROCESS_ID } from './store/claims.js';
import { openDatabase, type Database } from './store/database.js';
import { FieldCipher } from './store/field-cipher.js';
import { resolveSecretKey } from './store/secret-key.js';
import { Settings } from './store/settings.js';
import { Metrics } from './metrics.js';
import { createApp } from './web/app.js';
import { metricsRouter } from './web/metrics.js';
import type { HealthCheck } from './web/health.js';
import { listen, type RunningServer } from './web/server.js';

export interface Lien {
  url: string;
  db: Database;
  cipher: FieldCipher;
  audit: AuditLog;
  /** Where the audit chain's head is anchored, on the homeserver. */
  auditRoom: AuditRoom;
  outbox: Outbox;
  scheduler: Scheduler;
  matrix: MatrixConnection;
  /** End-to-end encryption, once the Matrix session has started it. */
  crypto: () => RoomCrypto | undefined;
  metrics: Metrics;
  /** Erasure of a person, the retention job's work, and the closing of erased people's rooms. */
  privacy: { erasure: Erasure; retention: Retention; closer: RoomCloser };
  /** The embedded homeserver, when Lien runs its own. */
  synapse: EmbeddedSynapse | undefined;
  /** The demo team, worker and person, on the embedded default. */
  demo: Demo | undefined;
  /** The token Twilio's webhooks are signed with (the dev phone's own when there is no Twilio account). */
  webhookAuthToken: string;
  /** Resolves once the Matrix sync loop has caught up for the first time. */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

const BOT_LOCALPART = 'lien';

/** Lien's Matrix session, kept in the settings with its access token sealed. */
function sessionStore(settings: Settings, cipher: FieldCipher): SessionStore {
  const key = 'matrix.session';
  return {
    load: async () => {
      const s = await settings.get<{ userId: string; deviceId: string; accessTokenSealed: string }>(key);
      return s ? { userId: s.userId, deviceId: s.deviceId, accessToken: cipher.decrypt(s.accessTokenSealed) } : undefined;
    },
    save: (s: StoredSession) => settings.set(key, { userId: s.userId, deviceId: s.deviceId, accessTokenSealed: cipher.encrypt(s.accessToken) }),
  };
}

/** The wasm crypto engine's store (sealed), and the encrypted events still waiting for their keys. */
function cryptoStores(settings: Settings, cipher: FieldCipher, userId: string, deviceId: string) {
  const snapshotKey = `matrix.crypto.${userId}.${deviceId}`;
  const pendingKey = `matrix.undecryptable.${userId}.${deviceId}`;
  return {
    snapshots: {
      load: async () => {
        const sealed = await settings.get<string>(snapshotKey);
        return sealed ? Buffer.from(cipher.decrypt(sealed), 'base64') : undefined;
      },
      save: (snapshot: Buffer) => settings.set(snapshotKey, cipher.encrypt(snapshot.toString('base64'))),
    },
    pending: {
      load: () => settings.get<PendingEvent[]>(pendingKey),
      save: (events: PendingEvent[]) => settings.set(pendingKey, events),
    },
  };
}

/** The room events the handler kept failing on (channels/matrix/kept-events.ts), beside the sync token; sealed: they are decrypted. */
function keptEventStore(settings: Settings, cipher: FieldCipher, userId: string): KeptEventStore {
  const key = `matrix.kept.${userId}`;
  return {
    load: async () => {
      const sealed = await settings.get<string>(key);
      return sealed ? (JSON.parse(cipher.decrypt(sealed)) as KeptEvent[]) : undefined;
    },
    save: (events: KeptEvent[]) => settings.set(key, cipher.encrypt(JSON.stringify(events))),
  };
}

/** The embedded default: a local Synapse in the data directory, and Lien's bot account on it. */
async function embeddedMatrix(config: Config, progress: (line: string) => void, logger: Logger) {
  const synapse = await startSynapse({ toolsDir: config.toolsDir, dataDir: path.join(config.dataDir, 'synapse'), progress });
  logger.info({ url: synapse.baseUrl }, 'embedded Synapse started');
  // The bot's password is derived from the homeserver's own secret: stable across restarts, stored nowhere.
  const password = createHmac('sha256', synapse.sharedSecret).update('lien bot account').digest('base64url');
  const bot = await registerUser(synapse.baseUrl, synapse.sharedSecret, { localpart: BOT_LOCALPART, password, admin: true });
  return { synapse, homeserverUrl: synapse.baseUrl, userId: bot.userId, password };
}

export interface StartOptions {
  /** The clock Lien reads the time of day from; tests give a fixed one. */
  now?: () => Date;
}

export async function startLien(config: Config, logger: Logger, progress: (line: string) => void = () => undefined, options: StartOptions = {}): Promise<Lien> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const unwind = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err: unknown) => logger.error({ err: { message: (err as Error).message } }, 'error while stopping'));
  };
  try {
    // The embedded FerretDB and Synapse keep their files in the data directory: one Lien on it at a time.
    if (!config.mongo.uri || !(config.matrix.homeserverUrl && config.matrix.userId)) {
      const lock = await lockDataDir(config.dataDir);
      cleanups.push(() => lock.release());
    }
    const db = await openDatabase(config, logger, progress);
    cleanups.push(() => db.close());
    // Claims this process holds are known to be its as long as it beats; once it stops (or dies), they are free.
    const heartbeat = new Heartbeat(db.models);
    await heartbeat.start();
    cleanups.push(() => heartbeat.stop());
    const secretKey = await resolveSecretKey(config.secretKey, config.dataDir);
    const cipher = new FieldCipher(secretKey);
    const audit = new AuditLog(db.models, secretKey);
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
      matrixTarget = { homeserverUrl: embedded.homeserverUrl, userId: embedded.userId, password: embedded.password };
    }
    const matrix = new MatrixConnection({ ...matrixTarget, store: sessionStore(settings, cipher) }, logger);
    await matrix.start();
    const metrics = new Metrics();
    // Rooms are written to only once encryption is ready: never a clear message into an encrypted room.
    let roomClient: MatrixClient | undefined;
    let roomCrypto: RoomCrypto | undefined;
    let cryptoError: string | undefined;
    const demo = config.demo && synapse ? await seedDemo(db.models, cipher, synapse) : undefined;

    const outbox = new Outbox({ models: db.models, logger, maxAttempts: config.scheduler.outboxMaxAttempts });
    // Runs late in the stop (after HTTP, the scheduler and the turns), before the database closes.
    cleanups.push(() => outbox.drain(config.shutdownTimeoutMs).then(() => undefined));
    const claims = new Claims(db.models);
    let publicUrl = config.http.publicUrl ?? '';
    const ctx: RoutingContext = {
      models: db.models,
      cipher,
      audit,
      outbox,
      claims,
      i18n: new Translator(),
      logger,
      matrix: async () => {
        try {
          const client = matrix.current();
          if (client !== roomClient) throw new Error(cryptoError ?? 'end-to-end encryption is starting');
          return client;
        } catch (err) {
          throw new DeliveryError((err as Error).message, { permanent: false, code: 'homeserver_unreachable', outage: true });
        }
      },
      botUserId: () => matrix.userId,
      commandPrefix: config.commandPrefix,
      defaultCountry: config.defaultCountry,
      serviceNumbers: [config.twilio?.from, demo?.serviceNumber].filter((n): n is string => Boolean(n)),
      defaultTeam: config.defaultTeam,
      statusCallbackUrl: () => `${publicUrl}/twilio/status`,
      staffLanguage: 'fr',
      now: options.now ?? (() => new Date()),
      roomRetentionMs: retentionMs(config.retentionMonths),
    };
    const directory = new Directory(ctx);
    const portals = new Portals(ctx, directory);
    const feedback = new DeliveryFeedback(ctx, directory);
    // Every inbound SMS goes through the bot's turn (dialogs, first-contact notice, acknowledgements).
    const bot = createBot({ ctx, directory, publicUrl: () => publicUrl, retentionMonths: config.retentionMonths, logger });
    cleanups.push(() => bot.turns.drain());
    const inbound = new InboundSmsHandler(ctx, bot.turns);
    // Without a Twilio account, the dev phone signs webhooks with a token of its own, derived from the secret key.
    const webhookAuthToken = config.twilio?.authToken ?? createHmac('sha256', secretKey).update('dev phone').digest('hex');
    const twilioSender = config.twilio
      ? new TwilioSmsSender({
          accountSid: config.twilio.accountSid,
          authToken: config.twilio.authToken,
          timeoutMs: config.twilio.timeoutMs,
          // A connection per SMS: a service's volumes are small, and nothing is left half-open between sends.
          keepAlive: false,
          ...(config.twilio.from ? { from: config.twilio.from } : { messagingServiceSid: config.twilio.messagingServiceSid ?? '' }),
        })
      : undefined;
    const sender: SmsSender = twilioSender ?? new DevPhoneSender(webhookAuthToken, logger);
    outbox.register('matrix', new RoomDeliverer(ctx, directory, portals, config.twilio ? twilioMediaFetcher(config.twilio.accountSid, config.twilio.authToken, { timeoutMs: config.twilio.timeoutMs, maxBytes: config.twilio.mediaMaxBytes }) : undefined));
    outbox.register('sms', new PhoneDeliverer(ctx, directory, sender));
    outbox.setHooks({ onDelivered: (m) => feedback.onSent(m), onGaveUp: (m) => feedback.onGaveUp(m), onWithheld: (m) => feedback.onWithheld(m) });
    await outbox.prime();

    // The sync loop starts once Lien is logged in (at once, or when the homeserver comes back).
    let sync: SyncLoop | undefined;
    const syncStarted = matrix.ready().then(async (client) => {
      client.setPacer(new RoomPacer({ burst: config.matrix.roomBurst, perSecond: config.matrix.roomEventsPerMinute / 60 }));
      const userId = matrix.userId ?? matrixTarget.userId;
      const deviceId = matrix.deviceId ?? '';
      const e2ee = await startRoomCrypto({
        client,
        userId,
        deviceId: matrix.deviceId,
        choice: config.matrix.cryptoEngine,
        passphrase: createHmac('sha256', secretKey).update('matrix crypto store').digest('base64url'),
        dataDir: config.dataDir,
        ...cryptoStores(settings, cipher, userId, deviceId),
        undecryptableGraceMs: config.matrix.undecryptableGraceMs,
        password: matrixTarget.password,
        metrics,
        logger,
      }).catch((err: unknown) => {
        cryptoError = `end-to-end encryption could not start: ${(err as Error).message}`;
        logger.error({ reason: (err as Error).message }, 'end-to-end encryption could not start; Lien will not write to rooms');
        throw err;
      });
      client.setEncryptor(e2ee.crypto);
      roomCrypto = e2ee.crypto;
      roomClient = client;
      sync = new SyncLoop({
        crypto: e2ee.crypto,
        undecryptables: e2ee.undecryptables,
        client,
        userId: matrixTarget.userId,
        tokens: {
          load: () => settings.get<string>(`matrix.sync.${matrixTarget.userId}`),
          save: (token: string) => settings.set(`matrix.sync.${matrixTarget.userId}`, token),
        },
        kept: new KeptEvents(keptEventStore(settings, cipher, matrixTarget.userId), metrics),
        handler: new RoomEventsHandler(ctx, portals),
        logger,
      });
      sync.start();
      return sync;
    });
    syncStarted.catch(() => undefined); // reported above; /healthz shows it
    cleanups.push(async () => {
      matrix.stop();
      await sync?.stop();
      await roomCrypto?.engine.close();
    });

    const db0 = db.conn.db;
    if (!db0) throw new Error('database handle missing after connect');
    const scheduler = new Scheduler({ db: db0, claims, name: PROCESS_ID, processEveryMs: config.scheduler.processEveryMs, logger, metrics, audit });
    await scheduleOutboxSweeper(scheduler, outbox, claims, config.scheduler.outboxSweepEveryMs, logger);
    // Office hours: the digest at each opening, scheduled by the first message of a closed period, and a sweep (about once a minute).
    ctx.scheduleOnce = (job, when, data, key) => scheduler.once(job, when, data, key);
    await scheduleOpeningDigests(scheduler, new OfficeHours(ctx), Math.min(60_000, config.scheduler.outboxSweepEveryMs * 4), logger);
    await scheduleBotJobs(scheduler, { ...bot, sweepEveryMs: Math.max(1000, config.scheduler.outboxSweepEveryMs), logger });
    // The team rooms' members are the team's active workers: checked periodically, and at once when the admin CLI asks.
    await scheduleMembershipChecks(scheduler, { membership: new Membership(ctx), models: db.models, everyMs: config.scheduler.membershipCheckEveryMs, logger });
    // Retention: a daily erasure of the people whose last contact is older than the period, and the closing of their rooms.
    const erasure = new Erasure({ models: db.models, audit, jobs: db0.collection(JOBS_COLLECTION) });
    const closer = new RoomCloser({ models: db.models, audit, matrix: ctx.matrix, botUserId: ctx.botUserId, logger });
    const retention = new Retention({ models: db.models, erasure, closer, months: config.retentionMonths, logger });
    await scheduleRetention(scheduler, { retention, closer, now: ctx.now, closuresEveryMs: Math.min(60_000, config.scheduler.outboxSweepEveryMs * 4), logger });
    // The audit chain's head, posted to the audit room on the homeserver at each start and at least daily.
    const auditRoom = new AuditRoom(ctx, settings);
    await scheduleAuditAnchor(scheduler, auditRoom, claims, logger);
    await scheduler.start();
    cleanups.push(async () => {
      const drained = await scheduler.stop(config.shutdownTimeoutMs);
      if (drained.timedOut) logger.warn({ running: drained.running }, 'scheduled jobs still running at shutdown; they will be picked up again');
    });

    const health: HealthCheck[] = [
      { name: 'database', essential: true, check: async () => (await db.ping(), db.description) },
      { name: 'scheduler', essential: true, check: () => scheduler.health() },
      { name: 'matrix', essential: false, check: () => matrix.health() },
      {
        name: 'matrix-crypto',
        essential: false,
        check: async () => {
          if (!roomCrypto) throw new Error(cryptoError ?? 'not started: no Matrix login yet');
          return roomCrypto.health();
        },
      },
      {
        name: 'matrix-sync',
        essential: false,
        check: async () => {
          if (!sync) throw new Error('not started: no Matrix login yet');
          const h = sync.health();
          if (h.consecutiveFailures > 0) throw new Error(h.lastError ?? 'failing');
          const kept = h.keptEvents > 0 ? `; ${h.keptEvents} room events kept to be tried again` : '';
          return h.lastSyncAt ? `last sync ${h.lastSyncAt.toISOString()}${kept}` : `starting${kept}`;
        },
      },
      // Twilio refusing the credentials (20003): SMS wait (no attempt used up) until they work again.
      ...(twilioSender ? [{ name: 'twilio', essential: false, check: () => twilioSender.health() }] : []),
    ];
    const routers = [metricsRouter(metrics, { opsToken: config.opsToken }), smsWebhookRouter({ authToken: webhookAuthToken, publicUrl: () => publicUrl, handlers: { onInbound: (sms) => inbound.handle(sms), onStatus: (u) => feedback.onStatus(u) }, logger })];
    routers.push(noticeRouter({ i18n: ctx.i18n, retentionMonths: config.retentionMonths, teamName: async () => (await directory.defaultTeam().catch(() => undefined))?.name }));
    if (config.devPhone && demo && synapse) routers.push(devPhoneRouter({ ctx, demo, homeserverUrl: synapse.baseUrl, webhookAuthToken, publicUrl: () => publicUrl }));
    const app = createApp({ logger, bodyLimit: config.http.bodyLimit, health, opsToken: config.opsToken, routers });
    const server: RunningServer = await listen(app, config.http.host, config.http.port);
    cleanups.push(() => server.close(config.shutdownTimeoutMs));
    publicUrl ||= server.url;
    await audit.append({ actor: { kind: 'system' }, action: 'lien.started', details: { database: config.mongo.uri ? 'configured' : 'embedded', homeserver: synapse ? 'embedded' : 'configured' } });
    void syncStarted.then(() => anchorAtStart(auditRoom, logger), () => undefined);

    let stopping: Promise<void> | undefined;
    return {
      url: config.http.publicUrl ?? server.url,
      db,
      cipher,
      audit,
      auditRoom,
      outbox,
      scheduler,
      matrix,
      crypto: () => roomCrypto,
      metrics,
      privacy: { erasure, retention, closer },
      synapse,
      demo,
      webhookAuthToken,
      synced: () => syncStarted.then((s) => s.synced()),
      stop: () => (stopping ??= unwind()),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
