/**
 * The periodic check of the team rooms' members (routing/membership.ts), once per period across
 * processes: workers added, deactivated or moved straight in the database are invited or removed. The
 * same job, run once at once with a team's id, is how the admin CLI has a running Lien apply a change of
 * workers (the CLI has no Matrix session of its own).
 */
import type { Logger } from '../../logger.js';
import { MEMBERSHIP_CHECK_JOB, type Membership } from '../../routing/membership.js';
import type { Models } from '../../store/models/index.js';
import type { Scheduler } from '../scheduler.js';

export { MEMBERSHIP_CHECK_JOB };
export const MEMBERSHIP_SWEEP_JOB = 'rooms.membershipSweep';

export async function scheduleMembershipChecks(scheduler: Scheduler, deps: { membership: Membership; models: Models; everyMs: number; logger: Logger }): Promise<void> {
  const { membership, models, logger } = deps;
  const report = (what: string, r: { invited: number; removed: number }) => {
    if (r.invited + r.removed > 0) logger.info(r, what);
  };
  scheduler.define<{ teamId?: string }>(MEMBERSHIP_CHECK_JOB, async (data) => {
    const team = data.teamId ? await models.Team.findById(data.teamId) : null;
    if (!team) return report('team room members checked', await membership.reconcileAll());
    const rooms = await membership.reconcileTeam(team);
    report('team room members checked', { invited: rooms.reduce((n, r) => n + r.invited.length, 0), removed: rooms.reduce((n, r) => n + r.removed.length, 0) });
  });
  scheduler.define(MEMBERSHIP_SWEEP_JOB, async () => report('team room members checked', await membership.reconcileAll()));
  await scheduler.every(MEMBERSHIP_SWEEP_JOB, deps.everyMs);
}
