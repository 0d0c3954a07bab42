/**
 * The digest at opening time (right to disconnect): when a team opens again, each room that received
 * messages while it was closed gets one notice that mentions the referent. One job is scheduled for the
 * opening by the first message of each closed period; a periodic sweep posts whatever a crash, a
 * homeserver outage or a change of hours left behind. Posting is idempotent (see routing/office-hours.ts).
 */
import type { Logger } from '../../logger.js';
import { OPENING_DIGEST_JOB, type OfficeHours } from '../../routing/office-hours.js';
import type { Scheduler } from '../scheduler.js';

export { OPENING_DIGEST_JOB };
export const OPENING_DIGEST_SWEEP_JOB = 'hours.openingDigestSweep';

export async function scheduleOpeningDigests(scheduler: Scheduler, hours: OfficeHours, sweepEveryMs: number, logger: Logger): Promise<void> {
  scheduler.define<{ digest?: string }>(OPENING_DIGEST_JOB, async (data) => {
    if (data.digest && (await hours.postDigest(data.digest))) logger.info({ digest: data.digest }, 'opening digest posted');
  });
  scheduler.define(OPENING_DIGEST_SWEEP_JOB, async () => {
    const posted = await hours.postDueDigests();
    if (posted > 0) logger.info({ posted }, 'opening digests posted by the sweep');
  });
  await scheduler.every(OPENING_DIGEST_SWEEP_JOB, sweepEveryMs);
}
