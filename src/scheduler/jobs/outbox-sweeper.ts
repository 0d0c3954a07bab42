/** The recurring job that retries every undelivered message whose time has come (see outbox/outbox.ts). */
import type { Agenda } from 'agenda';
import type { Logger } from '../../logger.js';
import type { Outbox } from '../../outbox/outbox.js';

export const OUTBOX_SWEEP_JOB = 'outbox.sweep';

export async function scheduleOutboxSweeper(agenda: Agenda, outbox: Outbox, everyMs: number, logger: Logger): Promise<void> {
  agenda.define(
    OUTBOX_SWEEP_JOB,
    async () => {
      const report = await outbox.sweep();
      if (report.delivered + report.retried + report.failed > 0) logger.info(report, 'outbox swept');
    },
    { concurrency: 1, lockLifetime: 5 * 60_000 },
  );
  await agenda.every(everyMs, OUTBOX_SWEEP_JOB);
}
