import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startFerretDb, type EmbeddedFerretDb } from '../../../src/embedded/ferretdb.js';
import { startTestLien, type TestLien } from '../../support/lien.js';

describe('/healthz during a database outage', () => {
  let ferret: EmbeddedFerretDb | undefined;
  let lien: TestLien | undefined;
  let dir = '';
  afterAll(async () => {
    await lien?.stop();
    await ferret?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 naming the database while it is down, and keeps serving', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lien-outage-'));
    ferret = await startFerretDb({ toolsDir: inject('toolsDir'), dataDir: dir, progress: () => undefined });
    lien = await startTestLien({ MONGODB_URI: ferret.uri });
    expect((await fetch(`${lien.url}/healthz`)).status).toBe(200);

    await ferret.stop();
    const res = await fetch(`${lien.url}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string; reason?: string }> };
    expect(body.status).toBe('failed');
    expect(body.checks.database?.status).toBe('failed');
    expect(body.checks.database?.reason).toBeTruthy();
    expect(body.checks.matrix?.status).toBe('ok');
  });
});
