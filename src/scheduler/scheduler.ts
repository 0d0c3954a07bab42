/**
 * Scheduled work: agenda v6 stores and polls the jobs, in the same database as everything else.
 *
 * A job scheduled once runs once, even with several Lien processes. Agenda's own lock is a
 * findOneAndUpdate, which FerretDB v1 does not isolate (two processes can both take the same job), so
 * every run first wins a claim (store/claims.ts): one-off jobs on the key given when they were scheduled,
 * recurring jobs on their name and the period they run for.
 *
 * A one-off run that throws is not lost with its claim: its next attempt is scheduled with backoff
 * (domain/backoff.ts) as a job of its own, claimed on a key of its own (`…:attempt:<n>`), so attempts
 * never overlap across processes and a run that succeeded is never tried again. After the last attempt
 * the run is reported: an error log, the `lien_scheduler_jobs_given_up_total` counter and a `job.failed`
 * audit event (the job's name, its key and the error's kind; never the error's text). A recurring job's
 * failed run is logged and counted; its next period is its retry.
 */
import { randomUUID } from 'node:crypto';
import { Agenda, type Job } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { AuditLog } from '../audit/audit-log.js';
import { retryDelayMs, type BackoffPolicy } from '../domain/backoff.js';
import type { Logger } from '../logger.js';
import { Metrics } from '../metrics.js';
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
  /** Where failed runs are counted (served at /metrics). */
  metrics?: Metrics;
  /** Where a run given up after its last attempt is recorded. */
  audit?: Pick<AuditLog, 'append'>;
  /** Attempts of a one-off run, and the pause before each retry (tests shorten them). */
  retry?: { attempts: number; backoff: BackoffPolicy };
}

/** A one-off run: tried up to 5 times over about 4 minutes (15 s, 30 s, 1 min, 2 min apart). */
export const DEFAULT_JOB_RETRY = { attempts: 5, backoff: { baseMs: 15_000, maxMs: 30 * 60_000 } };

export const SCHEDULER_METRICS = {
  failedAttempts: 'lien_scheduler_job_failures_total',
  retried: 'lien_scheduler_job_retries_total',
  givenUp: 'lien_scheduler_jobs_given_up_total',
} as const;

interface RunKeyed {
  runKey?: string;
  /** Which attempt of the run this job is (absent: the first). */
  attempt?: number;
}

export class Scheduler {
  readonly agenda: Agenda;
  private readonly recurring = new Map<string, number>();
  private readonly metrics: Metrics;
  private readonly retry: { attempts: number; backoff: BackoffPolicy };

  constructor(private readonly opts: SchedulerOptions) {
    this.metrics = opts.metrics ?? new Metrics();
    this.retry = opts.retry ?? DEFAULT_JOB_RETRY;
    this.metrics.define(SCHEDULER_METRICS.failedAttempts, 'Runs of scheduled jobs that threw, by job');
    this.metrics.define(SCHEDULER_METRICS.retried, 'Retries of one-off scheduled jobs scheduled after a failed attempt, by job');
    this.metrics.define(SCHEDULER_METRICS.givenUp, 'One-off scheduled jobs given up after their last attempt failed, by job');
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
        const { runKey, attempt: given, ...data } = (job.attrs.data ?? {}) as T & RunKeyed;
        if (period && runKey === undefined) {
          if (!(await this.opts.claims.acquire(`job:${name}:${Math.floor(Date.now() / period)}`))) return; // another process runs (or ran) this period
          try {
            await handler(data as T);
          } catch (err) {
            this.metrics.inc(SCHEDULER_METRICS.failedAttempts, { job: name });
            this.opts.logger.warn({ job: name, err: errorFields(err) }, 'a recurring job failed; its next period runs it again');
          }
          return;
        }
        const key = runKey ?? String(job.attrs._id);
        const attempt = typeof given === 'number' && given > 1 ? given : 1;
        // The first attempt keeps the key runs always had (claims taken before retries existed still hold).
        const claim = attempt === 1 ? `job:${name}:${key}` : `job:${name}:${key}:attempt:${attempt}`;
        if (!(await this.opts.claims.acquire(claim))) return; // another process runs (or ran) this attempt
        try {
          await handler(data as T);
        } catch (err) {
          await this.failed(name, key, attempt, data, err);
        }
      },
      { concurrency: options.concurrency ?? 1, lockLifetime: options.lockLifetimeMs ?? 10 * 60_000 },
    );
  }

  /** A one-off run's attempt threw: its next attempt is scheduled, or after the last one it is reported. */
  private async failed(name: string, key: string, attempt: number, data: object, err: unknown): Promise<void> {
    const error = errorFields(err);
    this.metrics.inc(SCHEDULER_METRICS.failedAttempts, { job: name });
    if (attempt < this.retry.attempts) {
      const retryInMs = retryDelayMs(attempt, this.retry.backoff);
      try {
        await this.agenda.schedule(new Date(Date.now() + retryInMs), name, { ...data, runKey: key, attempt: attempt + 1 });
        this.metrics.inc(SCHEDULER_METRICS.retried, { job: name });
        this.opts.logger.warn({ job: name, runKey: key, attempt, retryInMs, err: error }, 'a scheduled job failed; will retry');
        return;
      } catch (scheduleErr) {
        this.opts.logger.error({ job: name, runKey: key, attempt, err: error, scheduleErr: errorFields(scheduleErr) }, 'a scheduled job failed and its retry could not be scheduled');
      }
    }
    this.metrics.inc(SCHEDULER_METRICS.givenUp, { job: name });
    this.opts.logger.error({ job: name, runKey: key, attempts: attempt, err: error }, 'a scheduled job failed on its last attempt; given up');
    try {
      await this.opts.audit?.append({ actor: { kind: 'system' }, action: 'job.failed', subject: { kind: 'job', id: key }, details: { job: name, attempts: attempt, error: error.name } });
    } catch (auditErr) {
      this.opts.logger.error({ job: name, runKey: key, err: errorFields(auditErr) }, 'could not record a given-up job in the audit log');
    }
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

/** What a log line says of an error: its kind and message (the audit log gets the kind only). */
function errorFields(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}
