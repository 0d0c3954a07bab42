/**
 * Every setting Lien reads, read once from the environment (and an optional `.env` file),
 * validated here and passed down. Each variable is documented in `.env.example`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const url = (what: string) =>
  optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
    message: `must be an http(s) URL (${what})`,
  });

const int = (def: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? String(def) : v))
    .refine((v) => /^\d+$/.test(v), { message: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be between ${min} and ${max}` });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: int(3000, 0, 65535),
  PUBLIC_URL: url('the address people and Twilio reach Lien at'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LIEN_DATA_DIR: z.string().trim().min(1).default('./data'),
  LIEN_TOOLS_DIR: z.string().trim().min(1).default('./.tools'),
  LIEN_SECRET_KEY: optionalString.refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, {
    message: 'must be 32 random bytes in base64 (openssl rand -base64 32)',
  }),
  MONGODB_URI: optionalString.refine((v) => v === undefined || /^mongodb(\+srv)?:\/\//.test(v), {
    message: 'must start with mongodb:// or mongodb+srv://',
  }),
  MONGODB_CONNECT_TIMEOUT_MS: int(5000, 100, 120_000),
  MATRIX_HOMESERVER_URL: url('the Matrix homeserver Lien logs in to'),
  MATRIX_USER_ID: optionalString.refine((v) => v === undefined || /^@[^:]+:.+$/.test(v), {
    message: 'must be a full Matrix user id such as @lien:example.org',
  }),
  MATRIX_ACCESS_TOKEN: optionalString,
  MATRIX_PASSWORD: optionalString,
  MATRIX_CRYPTO_ENGINE: z.enum(['auto', 'nodejs', 'wasm']).default('auto'),
  MATRIX_UNDECRYPTABLE_GRACE_SECONDS: int(60, 1, 86_400),
  MATRIX_ROOM_BURST: int(5, 1, 100),
  MATRIX_ROOM_EVENTS_PER_MINUTE: int(60, 1, 6000),
  TWILIO_ACCOUNT_SID: optionalString.refine((v) => v === undefined || /^AC[0-9a-fA-F]{32}$/.test(v), {
    message: 'must be a Twilio Account SID (AC followed by 32 hexadecimal characters)',
  }),
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_FROM_NUMBER: optionalString.refine((v) => v === undefined || /^\+[1-9]\d{6,14}$/.test(v), {
    message: 'must be the service number in E.164 form, such as +33757000000',
  }),
  TWILIO_MESSAGING_SERVICE_SID: optionalString.refine((v) => v === undefined || /^MG[0-9a-fA-F]{32}$/.test(v), {
    message: 'must be a Messaging Service SID (MG followed by 32 hexadecimal characters)',
  }),
  TWILIO_TIMEOUT_MS: int(15_000, 1000, 120_000),
  TWILIO_MEDIA_MAX_BYTES: int(5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  LIEN_OPS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 24, {
    message: 'must be at least 24 characters (openssl rand -hex 24)',
  }),
  LIEN_COMMAND_PREFIX: z.string().trim().min(1).max(3).default('!'),
  LIEN_DEFAULT_COUNTRY: z.string().trim().regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as FR').default('FR'),
  LIEN_DEFAULT_TEAM: optionalString,
  LIEN_DEMO: z.enum(['auto', 'on', 'off']).default('auto'),
  // Up to 30 years: an institution's own legal duties may ask for longer than the social sector's 2 years.
  LIEN_RETENTION_MONTHS: int(24, 1, 360),
  HTTP_BODY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(b|kb|mb)$/i, 'must be a size such as 64kb or 1mb')
    .default('64kb'),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 100, 300_000),
  SCHEDULER_PROCESS_EVERY_MS: int(5_000, 100, 3_600_000),
  OUTBOX_SWEEP_EVERY_MS: int(15_000, 100, 3_600_000),
  OUTBOX_MAX_ATTEMPTS: int(8, 1, 100),
  MEMBERSHIP_CHECK_EVERY_MS: int(300_000, 1_000, 86_400_000),
});

export interface Config {
  env: 'development' | 'test' | 'production';
  http: { host: string; port: number; publicUrl: string | undefined; bodyLimit: string };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dataDir: string;
  toolsDir: string;
  /** 32-byte key for encryption at rest; undefined means: use (or create) the one in the data directory. */
  secretKey: Buffer | undefined;
  mongo: { uri: string | undefined; connectTimeoutMs: number };
  matrix: {
    homeserverUrl: string | undefined;
    userId: string | undefined;
    accessToken: string | undefined;
    password: string | undefined;
    /** Which Rust crypto build encrypts: the native one when installed ('auto'), or the one named. */
    cryptoEngine: 'auto' | 'nodejs' | 'wasm';
    /** How long an event that cannot be decrypted waits for its keys before the room is told. */
    undecryptableGraceMs: number;
    /** Writes to one room: this many at once, then this many per minute. */
    roomBurst: number;
    roomEventsPerMinute: number;
  };
  twilio: {
    accountSid: string;
    authToken: string;
    from: string | undefined;
    messagingServiceSid: string | undefined;
    timeoutMs: number;
    /** Largest MMS attachment Lien fetches from Twilio's media hosts, in bytes. */
    mediaMaxBytes: number;
  } | undefined;
  /** Bearer token that opens /metrics and the detailed /healthz to callers not on loopback. */
  opsToken: string | undefined;
  /** No Twilio credentials: outbound SMS go to the dev phone page instead (never in production). */
  devPhone: boolean;
  /** Create a demo team, worker and person on start (the embedded default). */
  demo: boolean;
  commandPrefix: string;
  defaultCountry: string;
  /** Slug of the team that receives SMS from unknown numbers; the first team when unset. */
  defaultTeam: string | undefined;
  /**
   * How long a person's data is kept after their last contact, in months (CNIL 2023-095: 24): what the
   * notice tells them, when the retention job erases them, and the portal rooms' m.room.retention.
   */
  retentionMonths: number;
  shutdownTimeoutMs: number;
  scheduler: {
    processEveryMs: number;
    outboxSweepEveryMs: number;
    outboxMaxAttempts: number;
    /** How often every team room's members are checked against the team's active workers. */
    membershipCheckEveryMs: number;
  };
}

/** Reads `.env` (if present) into process.env without overriding what is already set. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.NODE_ENV === 'production') {
    if (!e.MONGODB_URI) problems.push('MONGODB_URI: required in production (the embedded database is for development)');
    if (!e.MATRIX_HOMESERVER_URL) problems.push('MATRIX_HOMESERVER_URL: required in production (the embedded homeserver is for development)');
    if (!e.LIEN_SECRET_KEY) problems.push('LIEN_SECRET_KEY: required in production (encrypts phone numbers and messages at rest)');
    if (!e.PUBLIC_URL) problems.push('PUBLIC_URL: required in production (Twilio signs requests against it)');
    else if (!e.PUBLIC_URL.startsWith('https://')) problems.push('PUBLIC_URL: must be https:// in production (webhooks and the dev phone carry personal data)');
    if (!e.TWILIO_ACCOUNT_SID) problems.push('TWILIO_ACCOUNT_SID: required in production (the dev phone is for development)');
    if (e.LIEN_DEMO === 'on') problems.push('LIEN_DEMO: the demo data is refused in production');
  }
  if (e.MONGODB_URI && !e.LIEN_SECRET_KEY && !problems.some((p) => p.startsWith('LIEN_SECRET_KEY'))) {
    problems.push(
      'LIEN_SECRET_KEY: required with MONGODB_URI (a shared database needs one key on every host: a key made by each host seals and indexes phone numbers differently, and the hosts stop finding each other\'s people)',
    );
  }
  const twilioParts = [e.TWILIO_ACCOUNT_SID, e.TWILIO_AUTH_TOKEN].filter(Boolean).length;
  if (twilioParts === 1) problems.push('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set both or neither');
  if (e.TWILIO_ACCOUNT_SID && !e.TWILIO_FROM_NUMBER && !e.TWILIO_MESSAGING_SERVICE_SID) {
    problems.push('TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID: one is required with Twilio credentials');
  }
  if (e.MATRIX_HOMESERVER_URL) {
    if (!e.MATRIX_USER_ID) problems.push('MATRIX_USER_ID: required when MATRIX_HOMESERVER_URL is set');
    if (!e.MATRIX_ACCESS_TOKEN && !e.MATRIX_PASSWORD) {
      problems.push('MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD: one is required when MATRIX_HOMESERVER_URL is set');
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT, publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''), bodyLimit: e.HTTP_BODY_LIMIT },
    logLevel: e.LOG_LEVEL,
    dataDir: path.resolve(e.LIEN_DATA_DIR),
    toolsDir: path.resolve(e.LIEN_TOOLS_DIR),
    secretKey: e.LIEN_SECRET_KEY ? Buffer.from(e.LIEN_SECRET_KEY, 'base64') : undefined,
    mongo: { uri: e.MONGODB_URI, connectTimeoutMs: e.MONGODB_CONNECT_TIMEOUT_MS },
    matrix: {
      homeserverUrl: e.MATRIX_HOMESERVER_URL?.replace(/\/+$/, ''),
      userId: e.MATRIX_USER_ID,
      accessToken: e.MATRIX_ACCESS_TOKEN,
      password: e.MATRIX_PASSWORD,
      cryptoEngine: e.MATRIX_CRYPTO_ENGINE,
      undecryptableGraceMs: e.MATRIX_UNDECRYPTABLE_GRACE_SECONDS * 1000,
      roomBurst: e.MATRIX_ROOM_BURST,
      roomEventsPerMinute: e.MATRIX_ROOM_EVENTS_PER_MINUTE,
    },
    twilio:
      e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
        ? {
            accountSid: e.TWILIO_ACCOUNT_SID,
            authToken: e.TWILIO_AUTH_TOKEN,
            from: e.TWILIO_FROM_NUMBER,
            messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID,
            timeoutMs: e.TWILIO_TIMEOUT_MS,
            mediaMaxBytes: e.TWILIO_MEDIA_MAX_BYTES,
          }
        : undefined,
    opsToken: e.LIEN_OPS_TOKEN,
    devPhone: !e.TWILIO_ACCOUNT_SID,
    demo: e.LIEN_DEMO === 'on' || (e.LIEN_DEMO === 'auto' && !e.MATRIX_HOMESERVER_URL && e.NODE_ENV === 'development'),
    commandPrefix: e.LIEN_COMMAND_PREFIX,
    defaultCountry: e.LIEN_DEFAULT_COUNTRY,
    defaultTeam: e.LIEN_DEFAULT_TEAM,
    retentionMonths: e.LIEN_RETENTION_MONTHS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    scheduler: {
      processEveryMs: e.SCHEDULER_PROCESS_EVERY_MS,
      outboxSweepEveryMs: e.OUTBOX_SWEEP_EVERY_MS,
      outboxMaxAttempts: e.OUTBOX_MAX_ATTEMPTS,
      membershipCheckEveryMs: e.MEMBERSHIP_CHECK_EVERY_MS,
    },
  };
}
