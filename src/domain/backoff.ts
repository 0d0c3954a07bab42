/** When to try a failed delivery again: exponential, capped, and the same for every process. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 15_000, maxMs: 60 * 60_000 };

/** Delay before attempt number `attempt + 1`, after `attempt` failed attempts (attempt ≥ 1). */
export function retryDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exp = Math.min(attempt - 1, 30);
  return Math.min(policy.baseMs * 2 ** exp, policy.maxMs);
}
