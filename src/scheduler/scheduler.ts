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

export interface SchedulerOptions {
  db: Db;
  claims: Claims;
  /** Identifies this process in the jobs it locks. */
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

  start(): Promise<void> {
    return this.agenda.start();
  }

  /** Lets running jobs finish (up to timeoutMs), then stops polling. */
  async stop(timeoutMs: number): Promise<{ timedOut: boolean; running: number }> {
    const drained = await this.agenda.drain(timeoutMs);
    await this.agenda.stop();
    return { timedOut: drained.timedOut, running: drained.running };
  }

  /** Is the scheduler's store answering? Used by /healthz. */
  async health(): Promise<void> {
    await this.opts.db.collection(JOBS_COLLECTION).estimatedDocumentCount({ maxTimeMS: 2000 });
  }
}
