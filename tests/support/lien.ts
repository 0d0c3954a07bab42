/** Starts a whole Lien in the test process, on its own database, logged in to the run's Synapse. */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startLien, type Lien, type StartOptions } from '../../src/lien.js';
import { testDatabaseUri } from './db.js';
import { testLogger } from './logger.js';
import { registerUser, uniqueLocalpart } from './matrix.js';

export interface TestLien extends Lien {
  botUserId: string;
  env: Record<string, string>;
}

/**
 * The environment a test Lien runs with: a fresh database, a fresh bot account, a free port. With
 * MATRIX_USER_ID among the overrides, the caller brings its own account (say on a homeserver of its
 * own) and none is registered on the run's Synapse.
 */
export async function testLienEnv(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const password = randomBytes(12).toString('hex');
  const bot = overrides.MATRIX_USER_ID
    ? { userId: overrides.MATRIX_USER_ID }
    : await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('lien'), password, admin: true });
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    MONGODB_URI: testDatabaseUri(),
    LIEN_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'lien-data-')),
    LIEN_TOOLS_DIR: inject('toolsDir'),
    LIEN_SECRET_KEY: randomBytes(32).toString('base64'),
    MATRIX_HOMESERVER_URL: inject('synapseUrl'),
    MATRIX_USER_ID: bot.userId,
    MATRIX_PASSWORD: password,
    SCHEDULER_PROCESS_EVERY_MS: '200',
    OUTBOX_SWEEP_EVERY_MS: '500',
    ...overrides,
  };
}

export async function startTestLien(overrides: Record<string, string> = {}, options: StartOptions = {}): Promise<TestLien> {
  const env = await testLienEnv(overrides);
  const lien = await startLien(loadConfig(env), testLogger, undefined, options);
  return Object.assign(lien, { botUserId: env.MATRIX_USER_ID ?? '', env });
}
