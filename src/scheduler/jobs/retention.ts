/**
 * Retention, as scheduled work: once a day (once across processes: the scheduler's claim on the job and
 * the day), each person whose last contact is older than the retention period is erased and their room
 * closed (privacy/retention.ts); and about once a minute, the rooms an erasure queued elsewhere (the
 * admin CLI's person:erase) are closed.
 */
import type { Logger } from '../../logger.js';
import type { Retention } from '../../privacy/retention.js';
import type { RoomCloser } from '../../privacy/room-closer.js';
import type { Scheduler } from '../scheduler.js';

export const RETENTION_JOB = 'privacy.retention';
export const ROOM_CLOSURES_JOB = 'privacy.roomClosures';
const DAY_MS = 24 * 3600_000;

export async function scheduleRetention(scheduler: Scheduler, deps: { retention: Retention; closer: RoomCloser; now: () => Date; closuresEveryMs: number; logger: Logger }): Promise<void> {
  scheduler.define(RETENTION_JOB, async () => {
    const run = await deps.retention.run(deps.now());
    deps.logger.info({ erased: run.erased.length, roomsClosed: run.roomsClosed, cutoff: run.cutoff.toISOString() }, 'retention run');
  });
  scheduler.define(ROOM_CLOSURES_JOB, async () => {
    const closed = await deps.closer.closeQueued();
    if (closed > 0) deps.logger.info({ closed }, 'rooms of erased people closed');
  });
  await scheduler.every(RETENTION_JOB, DAY_MS);
  await scheduler.every(ROOM_CLOSURES_JOB, deps.closuresEveryMs);
}
