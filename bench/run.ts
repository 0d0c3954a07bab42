/**
 * Benchmarks, on this machine's embedded default (FerretDB + Synapse, dev phone):
 *   npm run bench            (BENCH_SMS=300 to change the load)
 * 1. Inbound SMS webhooks: signed POSTs to /twilio/sms, 8 at a time; how long Twilio would wait for its
 *    acknowledgement (the message is stored before it), and how many per second.
 * 2. SMS → room: how long until every one of them is posted in the person's portal room.
 * 3. Memory: resident set size of the Lien process before and after.
 * Prints figures and ratios; asserts nothing (the tests do that).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { signTwilioRequest } from '../src/channels/sms/signature.js';
import { loadConfig } from '../src/config.js';
import { startLien } from '../src/lien.js';
import { createLogger } from '../src/logger.js';

const total = Number(process.env.BENCH_SMS ?? 300);
const concurrency = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lien-bench-'));
const config = loadConfig({ LIEN_DATA_DIR: dataDir, LIEN_TOOLS_DIR: path.resolve('.tools'), PORT: '0', LOG_LEVEL: 'silent', LIEN_DEMO: 'on', OUTBOX_SWEEP_EVERY_MS: '1000' });
const lien = await startLien(config, createLogger('silent'), (line) => process.stderr.write(`${line}\n`));
try {
  await lien.synced();
  const demo = lien.demo;
  if (!demo) throw new Error('the benchmark needs the demo person');
  const rssBefore = process.memoryUsage().rss;
  const url = `${lien.url}/twilio/sms`;
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const params = { MessageSid: `SM${randomBytes(16).toString('hex')}`, From: demo.personPhone, To: demo.serviceNumber, Body: `Message numéro ${i} pour ma référente`, NumMedia: '0' };
        const t0 = performance.now();
        const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signTwilioRequest(lien.webhookAuthToken, url, params) }, body: new URLSearchParams(params).toString() });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const ackSeconds = (performance.now() - started) / 1000;
  let posted = 0;
  for (;;) {
    posted = await lien.db.models.Message.countDocuments({ direction: 'inbound', 'delivery.status': 'sent' });
    if (posted >= total || performance.now() - started > 600_000) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const allPostedSeconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const rssAfter = process.memoryUsage().rss;
  const lines = [
    `inbound SMS: ${total} signed webhooks, ${concurrency} at a time`,
    `  acknowledged in ${ackSeconds.toFixed(1)} s: ${(total / ackSeconds).toFixed(1)} SMS/s`,
    `  ack latency p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
    `SMS → room: ${posted}/${total} posted after ${allPostedSeconds.toFixed(1)} s: ${(posted / allPostedSeconds).toFixed(1)} messages/s`,
    `  ratio posted/acknowledged throughput: ${(posted / allPostedSeconds / (total / ackSeconds)).toFixed(2)}`,
    `memory: rss ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after (×${(rssAfter / rssBefore).toFixed(2)})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await lien.stop();
  await rm(dataDir, { recursive: true, force: true });
}
