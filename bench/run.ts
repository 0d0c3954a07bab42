/**
 * Benchmarks, on this machine's embedded default (FerretDB + Synapse, dev phone):
 *   npm run bench            (BENCH_SMS=300 and BENCH_PEOPLE=10 to change the load)
 * 1. Inbound SMS webhooks: signed POSTs to /twilio/sms, 8 at a time, from BENCH_PEOPLE people in turn;
 *    how long Twilio would wait for its acknowledgement (the message is stored before it), and how many
 *    per second.
 * 2. SMS → room: how long until every one of them is posted, end-to-end encrypted, in its person's
 *    portal room. Lien paces its writes to each room (MATRIX_ROOM_BURST, MATRIX_ROOM_EVENTS_PER_MINUTE),
 *    so this is bounded by people × 1 message/s.
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
import { ROUND_THE_CLOCK_SLOTS } from '../src/domain/opening.js';
import { createLogger } from '../src/logger.js';

const total = Number(process.env.BENCH_SMS ?? 300);
const people = Math.max(1, Number(process.env.BENCH_PEOPLE ?? 10));
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
  // The production default: encrypted rooms, and a team open round the clock (no out-of-hours replies here).
  const { Team, Person, Worker } = lien.db.models;
  const team = await Team.findOneAndUpdate({ slug: 'equipe-demo' }, { $set: { 'settings.encryptRooms': true, officeHours: ROUND_THE_CLOCK_SLOTS, holidayCalendar: 'none' } }, { new: true });
  const referent = await Worker.findOne({ team: team?._id });
  const phones = [demo.personPhone];
  for (let p = 1; p < people; p++) {
    const phone = `+3361${String(p).padStart(7, '0')}`;
    phones.push(phone);
    await Person.create({ phoneIndex: lien.cipher.blindIndex(phone), phoneSealed: lien.cipher.encrypt(phone), displayName: `Personne ${p}`, pseudonym: `Pseudo ${p}`, team: team?._id, referent: referent?._id, consent: { noticeVersion: 'bench', givenAt: new Date(), channel: 'sms' } });
  }
  await Person.updateMany({}, { $set: { consent: { noticeVersion: 'bench', givenAt: new Date(), channel: 'sms' } } });
  const rssBefore = process.memoryUsage().rss;
  const url = `${lien.url}/twilio/sms`;
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const params = { MessageSid: `SM${randomBytes(16).toString('hex')}`, From: phones[i % phones.length] ?? demo.personPhone, To: demo.serviceNumber, Body: `Message numéro ${i} pour ma référente`, NumMedia: '0' };
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
    `inbound SMS: ${total} signed webhooks from ${people} people, ${concurrency} at a time (engine: ${lien.crypto()?.engine.name ?? 'none'})`,
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
