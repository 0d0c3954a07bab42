import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { Metrics } from '../../../src/metrics.js';
import { Claims } from '../../../src/store/claims.js';
import { Scheduler } from '../../../src/scheduler/scheduler.js';
import { useTestDatabase } from '../../support/db.js';
import { testLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

describe('scheduler: a failed one-off run is retried, then reported', () => {
  const db = useTestDatabase();
  const schedulers: Scheduler[] = [];
  const metrics = new Metrics();
  afterAll(async () => {
    for (const s of schedulers) await s.stop(1000);
  });

  /** Two Lien processes on the same database, sharing the metrics (one registry read at the end). */
  function makeProcess(name: string, audit: AuditLog) {
    const handle = db.conn.db;
    if (!handle) throw new Error('no db');
    const scheduler = new Scheduler({
      db: handle,
      claims: new Claims(db.models),
      name,
      processEveryMs: 100,
      logger: testLogger,
      metrics,
      audit,
      retry: { attempts: 3, backoff: { baseMs: 200, maxMs: 400 } },
    });
    const attempts = db.conn.collection('attempts');
    const effects = db.conn.collection('effects');
    scheduler.define<{ i: number }>('test.flaky', async (data) => {
      const n = (await attempts.countDocuments({ job: 'flaky', i: data.i })) + 1;
      await attempts.insertOne({ job: 'flaky', i: data.i, by: name, at: new Date() });
      await new Promise((r) => setTimeout(r, 200)); // long enough for the other process to run it too if nothing stopped it
      if (n === 1) throw new Error('transient failure');
      await effects.insertOne({ i: data.i });
    });
    scheduler.define<{ i: number }>('test.broken', async (data) => {
      await attempts.insertOne({ job: 'broken', i: data.i, by: name, at: new Date() });
      throw new TypeError('always broken');
    });
    schedulers.push(scheduler);
    return scheduler;
  }

  it('runs a job that throws once a second time, with its effect once, across two processes', async () => {
    const audit = new AuditLog(db.models, randomBytes(32));
    const a = makeProcess('process-a', audit);
    const b = makeProcess('process-b', audit);
    await Promise.all([a.start(), b.start()]);
    const attempts = db.conn.collection('attempts');
    const effects = db.conn.collection('effects');

    await a.once('test.flaky', new Date(Date.now() + 200), { i: 1 }, 'flaky-1');
    await b.once('test.flaky', new Date(Date.now() + 200), { i: 1 }, 'flaky-1'); // the same run, scheduled twice

    await waitFor('the effect of the second attempt', async () => (await effects.countDocuments({ i: 1 })) >= 1, 20_000);
    // Leave both processes many polling rounds (and the backoff) to (wrongly) run it again.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await attempts.countDocuments({ job: 'flaky', i: 1 })).toBe(2);
    expect(await effects.countDocuments({ i: 1 })).toBe(1);
    expect(metrics.render()).toMatch(/^lien_scheduler_job_retries_total\{job="test.flaky"\} 1$/m);
    expect(metrics.render()).not.toMatch(/lien_scheduler_jobs_given_up_total\{job="test.flaky"\}/);
    expect(await db.models.AuditEvent.countDocuments({ action: 'job.failed' })).toBe(0);
  });

  it('stops a job that always throws after its last attempt and reports it (counter, audit event)', async () => {
    const [a, b] = schedulers;
    if (!a || !b) throw new Error('the processes of the first test are missing');
    const attempts = db.conn.collection('attempts');
    await a.once('test.broken', new Date(Date.now() + 100), { i: 2 }, 'broken-2');

    await waitFor('the run to be given up', async () => (await db.models.AuditEvent.countDocuments({ action: 'job.failed' })) >= 1, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await attempts.countDocuments({ job: 'broken', i: 2 })).toBe(3);
    expect(metrics.render()).toMatch(/^lien_scheduler_jobs_given_up_total\{job="test.broken"\} 1$/m);
    expect(metrics.render()).toMatch(/^lien_scheduler_job_failures_total\{job="test.broken"\} 3$/m);
    const events = await db.models.AuditEvent.find({ action: 'job.failed' }).lean();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { kind: 'system' }, subject: { kind: 'job', id: 'broken-2' }, details: { job: 'test.broken', attempts: 3, error: 'TypeError' } });
    // The error's text stays out of the audit log.
    expect(JSON.stringify(events[0])).not.toContain('always broken');
  });
});
