/**
 * `npm start` on the embedded default, as a real process: embedded FerretDB and Synapse in a data
 * directory, /healthz, a clean stop on SIGTERM, and data still there after a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startFerretDb } from '../../src/embedded/ferretdb.js';
import { connect } from '../../src/store/database.js';
import { spawnLien } from '../support/process.js';

type Health = { status: string; checks: Record<string, { status: string; detail?: string; reason?: string }> };

describe('Lien as a process on its embedded default', () => {
  let dataDir = '';
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts, answers /healthz, stops cleanly on SIGTERM, and keeps its data across a restart', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lien-e2e-'));
    const env = { LIEN_DATA_DIR: dataDir, LIEN_TOOLS_DIR: inject('toolsDir'), PORT: '0', LOG_LEVEL: 'warn' };
    const devices: string[] = [];
    for (let run = 1; run <= 2; run++) {
      const lien = spawnLien(env);
      const url = await lien.listening();
      const res = await fetch(`${url}/healthz`);
      const health = (await res.json()) as Health;
      expect(res.status, JSON.stringify(health)).toBe(200);
      expect(health.checks.database).toMatchObject({ status: 'ok', detail: expect.stringContaining('embedded FerretDB') });
      expect(health.checks.matrix?.status).toBe('ok');
      devices.push(/device (\S+)\)/.exec(health.checks.matrix?.detail ?? '')?.[1] ?? '');
      lien.child.kill('SIGTERM');
      expect(await lien.exited()).toBe(0);
      // The embedded services stopped with it: nothing answers any more.
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    }
    // Same Matrix device both times: the session stored in the database survived the restart.
    expect(devices[0]).toMatch(/^[A-Z]+$/);
    expect(devices[1]).toBe(devices[0]);

    // And both starts are in the audit log, read straight from the embedded database's files.
    const ferret = await startFerretDb({ toolsDir: inject('toolsDir'), dataDir: path.join(dataDir, 'ferretdb'), progress: () => undefined });
    const conn = await connect(ferret.uri, 10_000);
    try {
      expect(await conn.collection('auditEvents').countDocuments({ action: 'lien.started' })).toBe(2);
    } finally {
      await conn.close();
      await ferret.stop();
    }
  });

  it('fails fast with a clear message when MONGODB_URI points nowhere', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lien-e2e-'));
    try {
      const started = Date.now();
      const lien = spawnLien({ LIEN_DATA_DIR: dir, MONGODB_URI: 'mongodb://127.0.0.1:1/x', LIEN_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), MONGODB_CONNECT_TIMEOUT_MS: '2000' });
      expect(await lien.exited()).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(lien.output()).toContain('Lien could not start: Cannot reach the database at mongodb://127.0.0.1:1/x');
      expect(lien.output()).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad setting, naming the variable', async () => {
    const lien = spawnLien({ PORT: 'eighty', MONGODB_URI: 'postgres://nope' });
    expect(await lien.exited()).toBe(78);
    expect(lien.output()).toContain('PORT: must be a whole number');
    expect(lien.output()).toContain('MONGODB_URI: must start with mongodb://');
  });
});
