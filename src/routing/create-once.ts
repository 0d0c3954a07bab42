/**
 * Creates something once across processes (a room, a space): the claim's winner creates and records it;
 * the others read what it recorded, or are told to come back in a moment.
 */
import { DeliveryError } from '../outbox/outbox.js';
import type { Claims } from '../store/claims.js';

/** How long a half-done creation holds before another process may start over (a dead holder's at once). */
export const CREATION_STALE_MS = 2 * 60_000;

export async function createOnce(claims: Claims, key: string, read: () => Promise<string | null | undefined>, create: () => Promise<string>): Promise<string> {
  const existing = await read();
  if (existing) return existing;
  const claim = await claims.acquireRenewable(key, CREATION_STALE_MS);
  if (!claim) {
    const raced = await read();
    if (raced) return raced;
    throw new DeliveryError(`${key} is being created by another process`, { permanent: false, retryAfterMs: 1000, deferred: true });
  }
  const again = await read();
  if (again) return again;
  try {
    return await create();
  } catch (err) {
    // Nothing was recorded (the homeserver is away, say): the next attempt may create it straight away.
    await claims.release(claim);
    throw err;
  }
}
