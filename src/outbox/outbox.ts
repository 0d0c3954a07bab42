/**
 * The outbox: every stored message that must still reach the other side (a phone, a room) waits here
 * until a deliverer succeeds, or until its attempts run out and a human is told. Claims are atomic
 * (a unique insert per attempt, see store/claims.ts), so two Lien processes never deliver the same message
 * twice; a claim expires, so a crashed process never holds one forever. Within a conversation, messages go out in the order received.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Types } from 'mongoose';
import { retryDelayMs, type BackoffPolicy, DEFAULT_BACKOFF } from '../domain/backoff.js';
import type { DeliveryTarget } from '../domain/types.js';
import type { Logger } from '../logger.js';
import { Claims } from '../store/claims.js';
import type { Models } from '../store/models/index.js';
import { moveDeliveries, moveDelivery } from './delivery-status.js';

export type OutboxMessage = InstanceType<Models['Message']>;

export interface DeliveryReceipt {
  /** Twilio's SID, once Twilio has accepted an SMS. */
  twilioSid?: string;
  /** The event id, once the homeserver has accepted a room message. */
  matrixEventId?: string;
}

/** A deliverer throws this to say how a failed attempt should be handled. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly options: {
      permanent: boolean;
      code?: string | null;
      retryAfterMs?: number;
      /**
       * The other side is unreachable (the homeserver is down), which says nothing about the message:
       * the attempt does not count toward giving up, and it is retried at least every minute until the
       * other side is back.
       */
      outage?: boolean;
      /**
       * Something the message waits for is being done right now (its room is being created by another
       * process): the attempt does not count, and it is retried after `retryAfterMs` exactly, not after
       * the backoff of a failure.
       */
      deferred?: boolean;
      /**
       * The message must not go at all any more (the person said STOP before it went): it is marked
       * `withheld`, for good, and the workers are told (onWithheld).
       */
      withheld?: boolean;
    },
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface Deliverer {
  deliver(message: OutboxMessage): Promise<DeliveryReceipt>;
}

export interface OutboxOptions {
  models: Pick<Models, 'Message' | 'Claim'>;
  logger: Logger;
  maxAttempts: number;
  backoff?: BackoffPolicy;
  /** How long a claim holds before another process may take the message over. */
  claimMs?: number;
  /** Told when a message has been handed over (Twilio accepted it, the homeserver posted it). */
  onDelivered?: (message: OutboxMessage) => Promise<void>;
  /** Told when a message is given up on, so that a human hears of it. */
  onGaveUp?: (message: OutboxMessage) => Promise<void>;
  /** Told when a message is withheld (its deliverer said it must not go), so that the workers hear of it. */
  onWithheld?: (message: OutboxMessage) => Promise<void>;
}

export interface SweepReport {
  delivered: number;
  retried: number;
  failed: number;
  withheld: number;
}

const SWEEP_BATCH = 200;
/** The longest wait between two attempts while the other side is unreachable. */
const OUTAGE_RETRY_MAX_MS = 60_000;
/** How long one attempt waits, claim held, for what its message waits on (a room being created). */
const DEFERRED_WAIT_MAX_MS = 30_000;

export class Outbox {
  private readonly deliverers = new Map<DeliveryTarget, Deliverer>();
  private readonly backoff: BackoffPolicy;
  private readonly claimMs: number;
  private readonly claims: Claims;

  constructor(private readonly opts: OutboxOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.claimMs = opts.claimMs ?? 2 * 60_000;
    this.claims = new Claims(opts.models);
  }

  /** Sets what happens after a delivery and after giving up (wired once the handlers exist). */
  setHooks(hooks: Pick<OutboxOptions, 'onDelivered' | 'onGaveUp' | 'onWithheld'>): void {
    if (hooks.onDelivered) this.opts.onDelivered = hooks.onDelivered;
    if (hooks.onGaveUp) this.opts.onGaveUp = hooks.onGaveUp;
    if (hooks.onWithheld) this.opts.onWithheld = hooks.onWithheld;
  }

  /**
   * Withholds, for good, every SMS to this person still waiting for its attempt (the person just said
   * STOP): none of them will be sent, not even after START. One being sent at this moment is stopped by
   * its deliverer if it is tried again. A STOP's own confirmation is not withheld. Returns how many were.
   */
  async withholdFor(person: Types.ObjectId, reason: { code: string | null; reason: string }): Promise<number> {
    return moveDeliveries(
      this.opts.models.Message,
      { person, direction: 'outbound', 'delivery.target': 'sms', confirmsOptOut: { $ne: true } },
      'withheld',
      { 'delivery.claimedUntil': null, 'delivery.lastError': { ...reason, at: new Date() } },
      ['pending'],
    );
  }

  register(target: DeliveryTarget, deliverer: Deliverer): void {
    this.deliverers.set(target, deliverer);
  }

  /**
   * Learns, once at start and before anything is delivered now, which conversations still have a
   * message waiting (left by the previous run, or by another process), so that what arrives next does
   * not overtake it: immediate deliveries only know what this process saw.
   */
  async prime(): Promise<void> {
    const undelivered = await this.opts.models.Message.find(
      { 'delivery.target': { $in: [...this.deliverers.keys()] }, 'delivery.status': { $in: ['pending', 'sending'] } },
      { _id: 1, conversation: 1, delivery: 1 },
    ).lean();
    for (const m of undelivered) this.markWaiting(this.orderKey(m));
  }

  private dueFilter(now: Date, targets: DeliveryTarget[]) {
    return {
      'delivery.target': { $in: targets },
      $or: [
        { 'delivery.status': 'pending', 'delivery.nextAttemptAt': { $lte: now } },
        { 'delivery.status': 'sending', 'delivery.claimedUntil': { $lt: now } },
      ],
    };
  }

  /**
   * Claims attempt number n+1 of a message for this process (see store/claims.ts for why a claim is an
   * insert). A claim older than claimMs whose attempt never finished (the process died) is passed over
   * by claiming the next attempt number. Null when another process holds the message or it is no longer due.
   */
  private async claim(id: Types.ObjectId, targets: DeliveryTarget[], takeOver?: number): Promise<OutboxMessage | null> {
    // Due, or (takeOver) still being sent by a process now known dead, at that attempt number.
    const filter = () => (takeOver === undefined ? this.dueFilter(new Date(), targets) : { 'delivery.status': 'sending', 'delivery.attempts': takeOver });
    const current = await this.opts.models.Message.findOne({ _id: id, ...filter() });
    if (!current) return null;
    for (let attempt = current.delivery.attempts + 1; attempt <= current.delivery.attempts + 5; attempt++) {
      const key = this.claimKey(id, attempt);
      if (!(await this.claims.acquire(key))) {
        if ((await this.claims.abandoned(key, this.claimMs)) === false) return null;
        continue;
      }
      // Won: read again, since another process may have finished the message meanwhile.
      const message = await this.opts.models.Message.findOne({ _id: id, ...filter() });
      if (!message) return null;
      message.delivery.status = 'sending';
      message.delivery.attempts = attempt;
      message.delivery.claimedUntil = new Date(Date.now() + this.claimMs);
      const moved = await moveDelivery(this.opts.models.Message, id, 'sending', { 'delivery.attempts': attempt, 'delivery.claimedUntil': message.delivery.claimedUntil }, ['pending', 'sending']);
      return moved ? message : null;
    }
    return null;
  }

  private claimKey(id: Types.ObjectId, attempt: number): string {
    return `outbox:${String(id)}:${attempt}`;
  }

  /**
   * A message marked `sending` whose claim is held by a dead process (see store/claims.ts Heartbeat): its
   * attempt will never finish, so it need not wait until `claimedUntil` to be taken over.
   */
  private async abandonedAttempt(candidate: { _id: Types.ObjectId; delivery: { status: string; attempts: number } }): Promise<boolean> {
    if (candidate.delivery.status !== 'sending' || candidate.delivery.attempts < 1) return false;
    return (await this.claims.abandoned(this.claimKey(candidate._id, candidate.delivery.attempts), this.claimMs)) === true;
  }

  /**
   * Tries to deliver one message now (right after storing it, say); leaves it to the sweeper when it
   * cannot go now. Messages of one conversation go one after the other, and none overtakes an earlier
   * one this process knows to be waiting (the sweeper keeps the order across processes and restarts).
   */
  deliverNow(id: Types.ObjectId): Promise<boolean> {
    return this.inOrder(String(id), async (key) => {
      const message = await this.claim(id, [...this.deliverers.keys()]);
      if (!message) {
        // Not ours to send now: held by the sweeper or another process, or waiting out its backoff. If it
        // is still undelivered, what comes after it in the conversation must not overtake it.
        const current = await this.opts.models.Message.findById(id, { delivery: 1 }).lean();
        if (current && (current.delivery.status === 'pending' || current.delivery.status === 'sending')) this.markWaiting(key);
        return false;
      }
      if (this.waiting.has(key)) {
        await this.release(message);
        return false;
      }
      const outcome = await this.attempt(message);
      if (outcome === 'retry') this.markWaiting(key);
      return outcome === 'delivered';
    });
  }

  /**
   * Conversations (per side) with a message this process saw fail or held elsewhere and that still
   * waits; each mark is new, so that a sweep clears only the marks it saw settled.
   */
  private readonly waiting = new Map<string, number>();
  private waitingMarks = 0;
  private readonly chains = new Map<string, Promise<unknown>>();
  /** The conversation look-ups of deliverNow, one after the other, so that each joins its chain in call order. */
  private lookups: Promise<unknown> = Promise.resolve();

  private markWaiting(key: string): void {
    this.waiting.set(key, ++this.waitingMarks);
  }

  private orderKey(message: Pick<OutboxMessage, 'delivery' | 'conversation' | '_id'>): string {
    return `${message.delivery.target}:${String(message.conversation ?? message._id)}`;
  }

  /** Runs deliveries of one conversation one at a time, in the order they were asked for. */
  private async inOrder<T>(messageId: string, run: (key: string) => Promise<T>): Promise<T> {
    // Looked up one after the other: two calls made in order join the chain in that order, whichever
    // look-up the database would have answered first.
    const lookup = this.lookups.then(() => this.opts.models.Message.findById(messageId, { conversation: 1, delivery: 1 }).lean());
    this.lookups = lookup.catch(() => undefined);
    const doc = await lookup;
    const key = doc ? this.orderKey(doc) : messageId;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => run(key), () => run(key));
    const settled = next.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return next;
  }

  /**
   * Delivers everything due, oldest first. One query lists what is undelivered; a conversation whose
   * oldest undelivered message is not due yet (waiting out its backoff) or is held by another process
   * keeps all its later messages back, so that nothing overtakes.
   */
  async sweep(now = new Date()): Promise<SweepReport> {
    const report: SweepReport = { delivered: 0, retried: 0, failed: 0, withheld: 0 };
    const targets = [...this.deliverers.keys()];
    if (targets.length === 0) return report;
    const blocked = new Set<string>();
    const marks = new Map(this.waiting);
    const undelivered = await this.opts.models.Message.find(
      { 'delivery.target': { $in: targets }, 'delivery.status': { $in: ['pending', 'sending'] } },
      { _id: 1, conversation: 1, delivery: 1 },
    )
      .sort({ receivedAt: 1, _id: 1 })
      .limit(SWEEP_BATCH)
      .lean();
    for (const candidate of undelivered) {
      const key = this.orderKey(candidate);
      if (blocked.has(key)) continue;
      const d = candidate.delivery;
      const due = (d.status === 'pending' && d.nextAttemptAt <= now) || (d.status === 'sending' && d.claimedUntil != null && d.claimedUntil < now);
      const takeOver = !due && (await this.abandonedAttempt(candidate));
      const message = due ? await this.claim(candidate._id, targets) : takeOver ? await this.claim(candidate._id, targets, d.attempts) : null;
      if (takeOver && message) this.opts.logger.warn({ messageId: String(message._id), attempt: d.attempts }, 'taking over a delivery its process left unfinished');
      if (!message) {
        // Not due yet, or held by another process: what comes after it in the conversation must wait.
        blocked.add(key);
        // Waiting out a backoff (an attempt failed, maybe in another process): immediate deliveries wait too.
        if (!due && d.status === 'pending') this.markWaiting(key);
        continue;
      }
      const outcome = await this.attempt(message);
      report[outcome === 'retry' ? 'retried' : outcome]++;
      if (outcome === 'retry') blocked.add(key);
    }
    // A conversation with nothing held back any more no longer makes immediate deliveries wait.
    // (Only marks this sweep saw from its start: one set meanwhile is about a message it did not see.)
    for (const [key, mark] of marks) if (!blocked.has(key) && this.waiting.get(key) === mark) this.waiting.delete(key);
    return report;
  }

  /** Gives a claimed message back for a later attempt (the attempt did not happen, so it does not count). */
  private async release(message: OutboxMessage): Promise<void> {
    await moveDelivery(this.opts.models.Message, message._id, 'pending', {
      'delivery.claimedUntil': null,
      'delivery.nextAttemptAt': new Date(),
      'delivery.deferrals': (message.delivery.deferrals ?? 0) + 1,
    });
  }

  /**
   * Delivers, waiting (claim held, order kept) while the deliverer says something is being done for
   * the message right now, such as its room being created: up to DEFERRED_WAIT_MAX_MS, then the
   * attempt ends as a deferral and the sweeper takes it up.
   */
  private async deliverWaiting(deliverer: Deliverer, message: OutboxMessage): Promise<DeliveryReceipt> {
    const until = Date.now() + DEFERRED_WAIT_MAX_MS;
    for (;;) {
      try {
        return await deliverer.deliver(message);
      } catch (err) {
        if (!(err instanceof DeliveryError && err.options.deferred && !err.options.permanent) || Date.now() >= until) throw err;
        await sleep(err.options.retryAfterMs ?? 1000);
      }
    }
  }

  /** Set by drain: no attempt starts any more (the message is given back untried). */
  private stopping = false;
  /** Attempts under way, so that a stop waits for them before the database closes. */
  private readonly underWay = new Set<Promise<unknown>>();

  /**
   * At shutdown, before the database closes: no new attempt starts (claimed messages are given back,
   * untried), and the attempts already started are waited for (up to timeoutMs), so that what they sent
   * is recorded as sent and is not sent again after a restart. Returns how many were still under way.
   */
  async drain(timeoutMs: number): Promise<{ unfinished: number }> {
    this.stopping = true;
    const pending = [...this.underWay];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([Promise.allSettled(pending).then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.opts.logger.warn({ unfinished: this.underWay.size }, 'deliveries still under way at shutdown; another process takes them over');
    return { unfinished: outcome === 'timeout' ? this.underWay.size : 0 };
  }

  private attempt(message: OutboxMessage): Promise<'delivered' | 'retry' | 'failed' | 'withheld'> {
    if (this.stopping) return this.release(message).then(() => 'retry' as const);
    const running = this.runAttempt(message);
    this.underWay.add(running);
    void running.finally(() => this.underWay.delete(running)).catch(() => undefined);
    return running;
  }

  private async runAttempt(message: OutboxMessage): Promise<'delivered' | 'retry' | 'failed' | 'withheld'> {
    const deliverer = this.deliverers.get(message.delivery.target);
    const log = this.opts.logger.child({ messageId: String(message._id), target: message.delivery.target, attempt: message.delivery.attempts });
    if (!deliverer) {
      await this.release(message);
      return 'retry';
    }
    try {
      const receipt = await this.deliverWaiting(deliverer, message);
      const ids = { ...(receipt.twilioSid ? { twilioSid: receipt.twilioSid } : {}), ...(receipt.matrixEventId ? { matrixEventId: receipt.matrixEventId } : {}) };
      if (!(await moveDelivery(this.opts.models.Message, message._id, 'sent', { 'delivery.claimedUntil': null, 'delivery.lastError': null, ...ids }, ['sending']))) {
        // Its status moved on meanwhile (a takeover finished it): it went all the same, so its ids are kept.
        if (Object.keys(ids).length > 0) await this.opts.models.Message.updateOne({ _id: message._id }, { $set: ids });
      }
      log.info('delivered');
      if (receipt.twilioSid) message.twilioSid = receipt.twilioSid;
      if (receipt.matrixEventId && message.delivery.target === 'matrix') message.matrixEventId = receipt.matrixEventId;
      if (this.opts.onDelivered) await this.opts.onDelivered(message).catch((hookErr: unknown) => log.warn({ reason: (hookErr as Error).message }, 'after-delivery step failed'));
      return 'delivered';
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, { permanent: false });
      if (e.options.withheld) {
        const lastError = { code: e.options.code ?? null, reason: e.message, at: new Date() };
        await moveDelivery(this.opts.models.Message, message._id, 'withheld', { 'delivery.claimedUntil': null, 'delivery.lastError': lastError });
        log.info({ code: lastError.code, reason: lastError.reason }, 'delivery withheld');
        const withheld = await this.opts.models.Message.findById(message._id);
        if (withheld && this.opts.onWithheld) await this.opts.onWithheld(withheld).catch((hookErr: unknown) => log.error({ err: hookErr }, 'could not report a withheld delivery'));
        return 'withheld';
      }
      const outage = !e.options.permanent && e.options.outage === true;
      const deferred = !e.options.permanent && e.options.deferred === true;
      const deferrals = (message.delivery.deferrals ?? 0) + (outage || deferred ? 1 : 0);
      // Attempts that count: not the claims given back untried, nor the ones that met an outage.
      const counted = message.delivery.attempts - deferrals;
      const giveUp = e.options.permanent || (!outage && !deferred && counted >= this.opts.maxAttempts);
      const lastError = { code: e.options.code ?? null, reason: e.message, at: new Date() };
      if (giveUp) {
        await moveDelivery(this.opts.models.Message, message._id, 'failed', { 'delivery.claimedUntil': null, 'delivery.lastError': lastError });
        log.warn({ code: lastError.code, reason: lastError.reason }, 'delivery given up');
        const failed = await this.opts.models.Message.findById(message._id);
        if (failed && this.opts.onGaveUp) await this.opts.onGaveUp(failed).catch((hookErr: unknown) => log.error({ err: hookErr }, 'could not report a failed delivery'));
        return 'failed';
      }
      const backoff = outage ? Math.min(retryDelayMs(message.delivery.attempts, this.backoff), OUTAGE_RETRY_MAX_MS) : retryDelayMs(Math.max(counted, 1), this.backoff);
      const delay = deferred ? (e.options.retryAfterMs ?? 1000) : Math.max(e.options.retryAfterMs ?? 0, backoff);
      await moveDelivery(this.opts.models.Message, message._id, 'pending', {
        'delivery.claimedUntil': null,
        'delivery.nextAttemptAt': new Date(Date.now() + delay),
        'delivery.lastError': lastError,
        'delivery.deferrals': deferrals,
      });
      log.warn({ code: lastError.code, reason: lastError.reason, retryInMs: delay, outage }, 'delivery will be retried');
      return 'retry';
    }
  }
}
