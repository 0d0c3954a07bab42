/**
 * Who may do what in a team's rooms: one table, read by the room replies (a text that becomes an SMS),
 * the room commands and the membership of the rooms. README's "Who may do what" is this table.
 *
 * A Matrix account stands in one of six places towards the team whose room it speaks in: a worker,
 * manager or admin of that team (active), a worker of another team, a deactivated worker, or a stranger
 * (an account Lien does not know). Only the first three are ever allowed anything; what each of them
 * may do is the table below.
 */
import type { WorkerRole } from './types.js';

export const COMMAND_ACTIONS = ['help', 'link', 'away', 'back', 'done', 'history', 'appointment', 'language'] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

/** `reply`: a text in a portal room becomes an SMS; `member`: be (and stay) in the team's rooms. */
export const ACTIONS = ['reply', 'member', ...COMMAND_ACTIONS] as const;
export type Action = (typeof ACTIONS)[number];

export const STANDINGS = ['worker', 'manager', 'admin', 'otherTeam', 'deactivated', 'stranger'] as const;
export type Standing = (typeof STANDINGS)[number];

/**
 * The rule. A manager manages: they are in the rooms, may answer, mark a conversation done and hand
 * over during an absence, but they see figures, not contents, so they do not read a conversation back
 * (`history`), link numbers, set appointments or a person's language (that is a referent's work).
 */
export const PERMISSIONS: Readonly<Record<Standing, ReadonlySet<Action>>> = {
  worker: new Set<Action>(ACTIONS),
  admin: new Set<Action>(ACTIONS),
  manager: new Set<Action>(['reply', 'member', 'help', 'away', 'back', 'done']),
  otherTeam: new Set<Action>(),
  deactivated: new Set<Action>(),
  stranger: new Set<Action>(),
};

/** Why an action is refused, for the notice that says so. */
export type Refusal = 'notInTeam' | 'deactivated' | 'role';

export type Decision = { allowed: true } | { allowed: false; reason: Refusal };

/** What Lien knows of the account: its worker record, if it has one. */
export interface KnownWorker {
  team: { toString(): string };
  role: WorkerRole;
  active?: boolean | null;
}

/** Where an account stands towards the team whose room it speaks in. */
export function standingOf(worker: KnownWorker | null | undefined, roomTeam: { toString(): string }): Standing {
  if (!worker) return 'stranger';
  if (worker.active === false) return 'deactivated';
  if (worker.team.toString() !== roomTeam.toString()) return 'otherTeam';
  return worker.role;
}

export function decide(standing: Standing, action: Action): Decision {
  if (PERMISSIONS[standing].has(action)) return { allowed: true };
  if (standing === 'deactivated') return { allowed: false, reason: 'deactivated' };
  if (standing === 'otherTeam' || standing === 'stranger') return { allowed: false, reason: 'notInTeam' };
  return { allowed: false, reason: 'role' };
}

/** Shorthand: may this account do this in a room of that team? */
export function may(worker: KnownWorker | null | undefined, roomTeam: { toString(): string }, action: Action): Decision {
  return decide(standingOf(worker, roomTeam), action);
}
