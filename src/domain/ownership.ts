/** Who answers a person: their referent, or the referent's backup while the referent is away. */
import type { Absence } from './types.js';

export function isAbsent(absence: Absence | null | undefined, at: Date): boolean {
  if (!absence) return false;
  return at >= absence.from && (absence.until == null || at < absence.until);
}

export interface OwnerCandidate {
  id: string;
  absence?: Absence | null;
}

/** The worker id who owns a conversation at `at`; falls back to the referent when no backup is set. */
export function effectiveOwner(referent: OwnerCandidate, at: Date): string {
  if (isAbsent(referent.absence, at) && referent.absence?.backup) return referent.absence.backup;
  return referent.id;
}
