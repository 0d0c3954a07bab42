import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLien, type TestLien } from '../../support/lien.js';

describe('HTTP surface of a running Lien', () => {
  let lien: TestLien;
  beforeAll(async () => {
    lien = await startTestLien({ HTTP_BODY_LIMIT: '2kb' });
    await lien.synced(); // until then, end-to-end encryption is still starting: /healthz says "degraded"
  });
  afterAll(async () => {
    await lien?.stop();
  });

  it('reports database, scheduler and Matrix as ok on /healthz', async () => {
    const res = await fetch(`${lien.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string; detail?: string }> };
    expect(body.status).toBe('ok');
    expect(body.checks.database?.status).toBe('ok');
    expect(body.checks.scheduler?.status).toBe('ok');
    expect(body.checks.matrix?.status).toBe('ok');
    expect(body.checks.matrix?.detail).toContain(lien.botUserId);
    expect(body.checks['matrix-crypto']?.status).toBe('ok');
    expect(body.checks['matrix-crypto']?.detail).toMatch(/^(wasm|nodejs) engine, device \S+$/);
  });

  it('answers a malformed JSON body with a 400 JSON error, and keeps serving', async () => {
    const res = await fetch(`${lien.url}/healthz`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"broken": ' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: { status: 400, code: 'invalid_body', message: expect.stringContaining('could not be parsed') } });
    expect((await fetch(`${lien.url}/healthz`)).status).toBe(200);
  });

  it('answers an oversized body with 413, and keeps serving', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(10_000) });
    const res = await fetch(`${lien.url}/anything`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    const form = await fetch(`${lien.url}/anything`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `Body=${'y'.repeat(10_000)}` });
    expect(form.status).toBe(413);
    expect((await fetch(`${lien.url}/healthz`)).status).toBe(200);
  });

  it('answers an unknown route with a 404 JSON error', async () => {
    const res = await fetch(`${lien.url}/no/such/thing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('records its start in the audit log', async () => {
    const started = await lien.db.models.AuditEvent.find({ action: 'lien.started' }).lean();
    expect(started).toHaveLength(1);
    expect(await lien.audit.verify()).toMatchObject({ ok: true });
  });

  it('reuses its Matrix device across a restart on the same database', async () => {
    const first = lien.matrix.deviceId;
    expect(first).toBeTruthy();
    const { startLien } = await import('../../../src/lien.js');
    const { loadConfig } = await import('../../../src/config.js');
    const { testLogger } = await import('../../support/logger.js');
    await lien.stop();
    lien = Object.assign(await startLien(loadConfig(lien.env), testLogger), { botUserId: lien.botUserId, env: lien.env });
    expect(lien.matrix.deviceId).toBe(first);
  });
});
