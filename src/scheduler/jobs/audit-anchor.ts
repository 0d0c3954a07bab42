/**
 * The audit chain's head, anchored in the audit room at least once a day: the job looks every hour, and
 * the first process to claim the day posts the anchor. A failed post (homeserver away) gives the day's
 * claim back, so the next hour tries again.
 */
import type { Logger } from '../../logger.js';
import type { Anchor, AuditRoom } from '../../routing/audit-room.js';
import type { Claims } from '../../store/claims.js';
import type { Scheduler } from '../scheduler.js';

export const AUDIT_ANCHOR_JOB = 'audit.anchor';
const LOOK_EVERY_MS = 3600_000;
/** A claim of the day held this long by a process that did not finish is taken over. */
const STALE_MS = 15 * 60_000;

/** Posts today's anchor unless a process already has; returns it when this call posted it. */
export async function anchorToday(room: Pick<AuditRoom, 'anchor'>, claims: Claims, now: Date = new Date()): Promise<Anchor | undefined> {
  const claim = await claims.acquireRenewable(`audit-anchor:${now.toISOString().slice(0, 10)}`, STALE_MS);
  if (!claim) return undefined;
  try {
    return await room.anchor('daily');
  } catch (err) {
    await claims.release(claim);
    throw err;
  }
}

export async function scheduleAuditAnchor(scheduler: Scheduler, room: Pick<AuditRoom, 'anchor'>, claims: Claims, logger: Logger): Promise<void> {
  scheduler.define(AUDIT_ANCHOR_JOB, async () => {
    try {
      const anchor = await anchorToday(room, claims);
      if (anchor) logger.info({ seq: anchor.seq }, 'audit chain anchored in the audit room');
    } catch (err) {
      logger.warn({ reason: (err as Error).message }, 'the audit chain could not be anchored; trying again within the hour');
    }
  });
  await scheduler.every(AUDIT_ANCHOR_JOB, LOOK_EVERY_MS);
}

/** At start: one anchor per process start, once Lien is logged in (it waits for the homeserver). */
export async function anchorAtStart(room: Pick<AuditRoom, 'anchor'>, logger: Logger): Promise<Anchor | undefined> {
  try {
    const anchor = await room.anchor('start');
    logger.info({ seq: anchor.seq }, 'audit chain anchored in the audit room');
    return anchor;
  } catch (err) {
    logger.warn({ reason: (err as Error).message }, 'the audit chain could not be anchored at start; the hourly job tries again');
    return undefined;
  }
}
