/**
 * Scheduled work: agenda v6 stores and polls the jobs, in the same database as everything else.
 *
 * A job scheduled once runs once, even with several Lien processes. Agenda's own lock is a
 * findOneAndUpdate, which FerretDB v1 does not isolate (two processes can both take the same job), so
 * every run first wins a claim (store/claims.ts): one-off jobs on the key given when they were scheduled,
 * recurring jobs on their name and the period they run for.
 */
import { randomUUID } from 'node:crypto';
import { Agenda, type Job } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { Logger } from '../logger.js';
import type { Claims } from '../store/claims.js';

export const JOBS_COLLECTION = 'agendaJobs';
/** How often jobs locked by a dead process are looked for. */
const DEAD_LOCK_CHECK_MS = 5_000;

export interface SchedulerOptions {
  db: Db;
  claims: Claims;
  /** Identifies this process in the jobs it locks: its claims' PROCESS_ID, so that its death is seen. */
  name: string;
  processEveryMs: number;
  logger: Logger;
}

interface RunKeyed {
  runKey?: string;
}

export class Scheduler {
  readonly agenda: Agenda;
  private readonly recurring = new Map<string, number>();

  constructor(private readonly opts: SchedulerOptions) {
    this.agenda = new Agenda({
      backend: new MongoBackend({ mongo: opts.db, collection: JOBS_COLLECTION }),
      name: opts.name,
      processEvery: opts.processEveryMs,
      defaultLockLifetime: 10 * 60_000,
    });
    this.agenda.on('fail', (err: Error, job: Job) => {
      opts.logger.error({ job: job.attrs.name, err: { name: err.name, message: err.message } }, 'scheduled job failed');
    });
    this.agenda.on('error', (err: Error) => opts.logger.error({ err: { message: err.message } }, 'scheduler error'));
  }

  /** Defines what a job does. `data` is what was given to `once` (recurring jobs get none). */
  define<T extends object>(name: string, handler: (data: T) => Promise<void>, options: { concurrency?: number; lockLifetimeMs?: number } = {}): void {
    this.agenda.define(
      name,
      async (job: Job<T & RunKeyed>) => {
        const period = this.recurring.get(name);
        const key = period ? `job:${name}:${Math.floor(Date.now() / period)}` : `job:${name}:${job.attrs.data?.runKey ?? String(job.attrs._id)}`;
        if (!(await this.opts.claims.acquire(key))) return; // another process runs (or ran) this one
        await handler((job.attrs.data ?? {}) as T);
      },
      { concurrency: options.concurrency ?? 1, lockLifetime: options.lockLifetimeMs ?? 10 * 60_000 },
    );
  }

  /**
   * Schedules one run of a defined job at `when`. `key` makes the scheduling itself idempotent (say
   * "reminder:<appointment id>"): a second `once` with the same key never makes a second run.
   */
  async once<T extends object>(name: string, when: Date, data: T, key: string = randomUUID()): Promise<void> {
    await this.agenda.schedule(when, name, { ...data, runKey: key });
  }

  /** Runs a defined job every `everyMs`, once per period across all processes. */
  async every(name: string, everyMs: number): Promise<void> {
    this.recurring.set(name, everyMs);
    await this.agenda.every(everyMs, name);
  }

  private deadLocks: NodeJS.Timeout | undefined;

  async start(): Promise<void> {
    await this.releaseDeadLocks();
    await this.agenda.start();
    this.deadLocks = setInterval(() => {
      this.releaseDeadLocks().catch((err: unknown) => this.opts.logger.warn({ err: { message: (err as Error).message } }, 'could not look for jobs locked by a dead process'));
    }, DEAD_LOCK_CHECK_MS);
    this.deadLocks.unref();
  }

  /**
   * Agenda keeps a job locked for its lock lifetime (10 minutes) after the process running it died: a
   * job locked by a process known dead (store/claims.ts Heartbeat; the scheduler's name is its process
   * id) is unlocked at once, so that a crash does not stop the sweeps for minutes.
   */
  async releaseDeadLocks(): Promise<number> {
    const jobs = this.opts.db.collection(JOBS_COLLECTION);
    const locked = await jobs.find({ lockedAt: { $ne: null } }, { projection: { _id: 1, name: 1, lastModifiedBy: 1 } }).toArray();
    let released = 0;
    for (const job of locked) {
      const by = typeof job.lastModifiedBy === 'string' ? job.lastModifiedBy : undefined;
      if (!by || by === this.opts.name || (await this.opts.claims.holder(by)) !== 'dead') continue;
      await jobs.updateOne({ _id: job._id, lastModifiedBy: by, lockedAt: { $ne: null } }, { $unset: { lockedAt: true } });
      this.opts.logger.warn({ job: job.name as string }, 'job unlocked: the process that ran it is gone');
      released++;
    }
    return released;
  }

  /** Lets running jobs finish (up to timeoutMs), then stops polling. */
  async stop(timeoutMs: number): Promise<{ timedOut: boolean; running: number }> {
    if (this.deadLocks) clearInterval(this.deadLocks);
    const drained = await this.agenda.drain(timeoutMs);
    await this.agenda.stop();
    return { timedOut: drained.timedOut, running: drained.running };
  }

  /** Is the scheduler's store answering? Used by /healthz. */
  async health(): Promise<void> {
    await this.opts.db.collection(JOBS_COLLECTION).estimatedDocumentCount({ maxTimeMS: 2000 });
  }
}
