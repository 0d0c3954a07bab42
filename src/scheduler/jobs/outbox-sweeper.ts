/** The recurring jobs that keep the outbox moving: retry what is due, forget claims long settled. */
import type { Logger } from '../../logger.js';
import type { Outbox } from '../../outbox/outbox.js';
import type { Claims } from '../../store/claims.js';
import type { Scheduler } from '../scheduler.js';

export const OUTBOX_SWEEP_JOB = 'outbox.sweep';
export const CLAIMS_PRUNE_JOB = 'claims.prune';
const CLAIM_RETENTION_MS = 7 * 24 * 3600_000;

export async function scheduleOutboxSweeper(scheduler: Scheduler, outbox: Outbox, claims: Claims, everyMs: number, logger: Logger): Promise<void> {
  scheduler.define(OUTBOX_SWEEP_JOB, async () => {
    const report = await outbox.sweep();
    if (report.delivered + report.retried + report.failed > 0) logger.info(report, 'outbox swept');
  });
  scheduler.define(CLAIMS_PRUNE_JOB, async () => {
    const pruned = await claims.prune(new Date(Date.now() - CLAIM_RETENTION_MS));
    if (pruned > 0) logger.info({ pruned }, 'old claims pruned');
  });
  await scheduler.every(OUTBOX_SWEEP_JOB, everyMs);
  await scheduler.every(CLAIMS_PRUNE_JOB, 3600_000);
}
