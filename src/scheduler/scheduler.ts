/**
 * Scheduled work (agenda v6 on the same database as everything else). A job scheduled once runs once,
 * even with several Lien processes: agenda locks a job in the database before running it.
 */
import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { Logger } from '../logger.js';

export const JOBS_COLLECTION = 'agendaJobs';

export interface SchedulerOptions {
  db: Db;
  /** Identifies this process in the jobs it locks. */
  name: string;
  processEveryMs: number;
  logger: Logger;
}

export function createScheduler(opts: SchedulerOptions): Agenda {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: opts.db, collection: JOBS_COLLECTION }),
    name: opts.name,
    processEvery: opts.processEveryMs,
    defaultLockLifetime: 10 * 60_000,
  });
  agenda.on('fail', (err: Error, job: { attrs: { name: string } }) => {
    opts.logger.error({ job: job.attrs.name, err: { message: err.message, name: err.name } }, 'scheduled job failed');
  });
  agenda.on('error', (err: Error) => opts.logger.error({ err: { message: err.message } }, 'scheduler error'));
  return agenda;
}

/** Is the scheduler's store answering? Used by /healthz. */
export async function schedulerHealth(db: Db): Promise<void> {
  await db.collection(JOBS_COLLECTION).estimatedDocumentCount({ maxTimeMS: 2000 });
}
