import { afterAll, describe, expect, it } from 'vitest';
import { Claims } from '../../../src/store/claims.js';
import { Scheduler } from '../../../src/scheduler/scheduler.js';
import { useTestDatabase } from '../../support/db.js';
import { testLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

describe('scheduler (agenda on FerretDB)', () => {
  const db = useTestDatabase();
  const schedulers: Scheduler[] = [];
  afterAll(async () => {
    for (const s of schedulers) await s.stop(1000);
  });

  function makeProcess(name: string) {
    const handle = db.conn.db;
    if (!handle) throw new Error('no db');
    const scheduler = new Scheduler({ db: handle, claims: new Claims(db.models), name, processEveryMs: 100, logger: testLogger });
    scheduler.define<{ i: number }>('test.once', async (data) => {
      // Slow enough that the other process would surely run the job too if nothing stopped it.
      await db.conn.collection('jobRuns').insertOne({ by: name, i: data.i, at: new Date() });
      await new Promise((r) => setTimeout(r, 300));
    });
    schedulers.push(scheduler);
    return scheduler;
  }

  it('runs a job scheduled once exactly once, with two Lien processes on the same database', async () => {
    const runs = db.conn.collection('jobRuns');
    const a = makeProcess('process-a');
    const b = makeProcess('process-b');
    await Promise.all([a.start(), b.start()]);
    for (let i = 0; i < 6; i++) await (i % 2 ? a : b).once('test.once', new Date(Date.now() + 200), { i });
    // Scheduling the same keyed run twice still gives one run.
    await a.once('test.once', new Date(Date.now() + 200), { i: 99 }, 'same-key');
    await b.once('test.once', new Date(Date.now() + 200), { i: 99 }, 'same-key');

    await waitFor('seven job runs', async () => (await runs.countDocuments()) >= 7);
    // Leave both processes many polling rounds to (wrongly) run a job a second time.
    await new Promise((r) => setTimeout(r, 2000));
    const all = await runs.find().toArray();
    expect(all.map((r) => r.i as number).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 99]);
  });
});
