/**
 * Which delivery status may follow which: the one table every writer of a message's status goes
 * through (the outbox, Twilio's status callbacks). Statuses only move forward: a late `failed` callback
 * does not turn a `delivered` SMS into `failed`, a `withheld` SMS is never sent after START, and a
 * status arriving twice changes nothing the second time.
 *
 *   held ─→ pending ⇄ sending ─→ sent ─→ delivered
 *     │        │          │        └────→ failed
 *     │        │          ├─────────────→ failed (given up)
 *     │        └──────────┴─────────────→ withheld (the person said STOP)
 *     └─→ consumed (an answer the bot took)
 */
import type { DeliveryStatus } from './types.js';

const NEXT: Readonly<Record<DeliveryStatus, readonly DeliveryStatus[]>> = {
  held: ['pending', 'consumed'],
  pending: ['sending', 'failed', 'withheld'],
  // sending → sending: a claim that expired (its process died) is taken over by the next attempt.
  sending: ['sending', 'pending', 'sent', 'failed', 'withheld'],
  sent: ['delivered', 'failed'],
  delivered: [],
  failed: [],
  consumed: [],
  withheld: [],
};

/** True when a message whose delivery is `from` may move to `to`. */
export function canMove(from: DeliveryStatus, to: DeliveryStatus): boolean {
  return NEXT[from].includes(to);
}

/** Every status `to` may follow: the statuses a conditional update may find the message in. */
export function statusesBefore(to: DeliveryStatus): DeliveryStatus[] {
  return (Object.keys(NEXT) as DeliveryStatus[]).filter((from) => canMove(from, to));
}

/** True when nothing may follow: the message's journey is over. */
export function isFinal(status: DeliveryStatus): boolean {
  return NEXT[status].length === 0;
}
