/**
 * npm run fuzz [-- <count>]: the fuzz test's webhook generators at a larger count (default 100 000)
 * against a Lien started here on the embedded default (FerretDB + Synapse, dev phone), then prints
 * the figures: answers by case and status, any 5xx or answer showing internals, stored SMS against
 * signed ones, and whether /healthz is still ok. Exits 1 when something is wrong.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startLien } from '../../src/lien.js';
import { leaksInternals, runCases, sampleCases, webhookCase, type WebhookCase, type WebhookOutcome } from './webhook-cases.js';

const count = Number(process.argv[2] ?? process.env.LIEN_FUZZ_COUNT ?? 100_000);
const seed = Number(process.env.LIEN_FUZZ_SEED ?? Date.now() % 1_000_000);
const bodyLimit = 16 * 1024;

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lien-fuzz-'));
const config = loadConfig({ LIEN_DATA_DIR: dataDir, LIEN_TOOLS_DIR: path.resolve('.tools'), PORT: '0', LOG_LEVEL: 'silent', LIEN_DEMO: 'on', HTTP_BODY_LIMIT: `${bodyLimit}b` });
const lien = await startLien(config, createLogger('silent'), (line) => process.stderr.write(`${line}\n`));
let bad = 0;
try {
  await lien.synced();
  const demo = lien.demo;
  const target = { url: lien.url, authToken: lien.webhookAuthToken, accountSid: 'AC00000000000000000000000000000000', serviceNumber: demo?.serviceNumber ?? '+33757000000', knownPhones: demo ? [demo.personPhone] : [], bodyLimitBytes: bodyLimit };
  const since = new Date();
  const tally = new Map<string, number>();
  const signed = new Set<string>();
  const problems: string[] = [];
  const check = (c: WebhookCase, o: WebhookOutcome) => {
    const key = `${c.kind} → ${o.status}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    const ok = c.expect === 'accepted' ? o.status === 200 || o.status === 204 : o.status >= 400 && o.status < 500;
    if (!ok) problems.push(`${c.kind} ${c.path} → ${o.status}`);
    if (leaksInternals(o.body)) problems.push(`${c.kind} ${c.path}: answer shows internals`);
    if (c.messageSid && o.status === 200) signed.add(c.messageSid);
  };
  process.stderr.write(`fuzz: ${count} webhooks, seed ${seed}\n`);
  const started = performance.now();
  const batch = 10_000;
  for (let done = 0; done < count; done += batch) {
    await runCases(lien.url, sampleCases(webhookCase(target), Math.min(batch, count - done), seed + done), 16, check);
    process.stderr.write(`  ${Math.min(done + batch, count)} sent\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  const stored = await lien.db.models.Message.countDocuments({ direction: 'inbound', createdAt: { $gte: since } });
  const health = await fetch(`${lien.url}/healthz`);
  console.log(`${count} webhooks in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)}/s), seed ${seed}`);
  for (const [key, n] of [...tally.entries()].sort()) console.log(`  ${key}: ${n}`);
  console.log(`signed SMS accepted: ${signed.size}; inbound SMS stored: ${stored}`);
  console.log(`/healthz afterwards: ${health.status}`);
  console.log(`problems: ${problems.length}`);
  for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
  bad = problems.length + (stored === signed.size ? 0 : 1) + (health.status === 200 ? 0 : 1);
} finally {
  await lien.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(bad > 0 ? 1 : 0);
