/**
 * /metrics and the detailed /healthz: for loopback callers and for those with LIEN_OPS_TOKEN only. A
 * request relayed by a reverse proxy on this host (X-Forwarded-For) is not local; a caller on another
 * interface is not either. Everyone else gets the overall status alone, with no host, port or device id.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLien, type TestLien } from '../../support/lien.js';

const TOKEN = 'ops-token-for-the-tests-0123456789';

/** An address of this machine that is not loopback, if it has one. */
function externalAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  }
  return undefined;
}

describe('operations endpoints', () => {
  let lien: TestLien;
  let port = 0;
  beforeAll(async () => {
    lien = await startTestLien({ HOST: '0.0.0.0', LIEN_OPS_TOKEN: TOKEN });
    await lien.synced();
    port = Number(new URL(lien.url).port);
  });
  afterAll(async () => {
    await lien?.stop();
  });

  const local = (p: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}${p}`, { headers });

  it('gives loopback callers the detailed /healthz and /metrics', async () => {
    const res = await local('/healthz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string; detail?: string }> };
    expect(body.status).toBe('ok');
    expect(body.checks['matrix-crypto']?.detail).toMatch(/device \S+/);
    const metrics = await local('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('treats a request relayed by a proxy on loopback as remote: status only, no metrics', async () => {
    const res = await local('/healthz', { 'X-Forwarded-For': '203.0.113.9' });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ status: 'ok' });
    expect(text).not.toMatch(/127\.0\.0\.1|localhost|device|:\d{2,5}/);
    const relayedBy: Array<Record<string, string>> = [{ 'X-Forwarded-For': '203.0.113.9' }, { Forwarded: 'for=203.0.113.9' }, { 'X-Real-IP': '203.0.113.9' }];
    for (const headers of relayedBy) {
      const m = await local('/metrics', headers);
      expect(m.status).toBe(403);
      expect(((await m.json()) as { error: { code: string } }).error.code).toBe('ops_only');
    }
  });

  it('opens both to a relayed request with the token, and answers a wrong token 401', async () => {
    const relayed = { 'X-Forwarded-For': '203.0.113.9' };
    const res = await local('/healthz', { ...relayed, Authorization: `Bearer ${TOKEN}` });
    expect(((await res.json()) as { checks?: unknown }).checks).toBeDefined();
    expect((await local('/metrics', { ...relayed, Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const wrong = await local('/metrics', { ...relayed, Authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    // A wrong token on /healthz gets the public answer, never the detail.
    expect(await (await local('/healthz', { ...relayed, Authorization: 'Bearer not-the-token' })).json()).toEqual({ status: 'ok' });
  });

  it('treats a caller on another interface as remote', async () => {
    const address = externalAddress();
    expect(address, 'this machine has a non-loopback IPv4 address').toBeDefined();
    const res = await fetch(`http://${address}:${port}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await fetch(`http://${address}:${port}/metrics`)).status).toBe(403);
    expect((await fetch(`http://${address}:${port}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});
