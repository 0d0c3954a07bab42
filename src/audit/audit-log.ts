/**
 * The append-only, keyed hash chain of the audit log. Each event carries an HMAC-SHA-256 over its own
 * fields and the hash of the one before it, under a key derived from the secret key: editing, inserting
 * or deleting a past event breaks the chain, and without the key nobody can compute a chain that
 * verifies. Cutting the last events off is caught by the anchors (see anchors.ts): the head is posted
 * to the homeserver, outside the database. Events name who did what to which conversation, never the
 * text of a message or a phone number.
 *
 * Versions: events written before the chain was keyed (`v` absent, or 1) hash with plain SHA-256; they
 * verify as such, but only before the first keyed event (`v: 2`): an unkeyed event after a keyed one is
 * a break.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import type { Types } from 'mongoose';
import type { ActorKind } from '../domain/types.js';
import type { Models } from '../store/models/index.js';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);
/** The version of the events this code writes: HMAC-SHA-256 under the audit key. */
export const CHAIN_VERSION = 2;

export interface AuditEntry {
  actor: { kind: ActorKind; id?: string | null };
  action: string;
  subject?: { kind: string; id: string | null };
  conversation?: Types.ObjectId | string | null;
  /** Identifiers and figures only: never message text or phone numbers. */
  details?: Record<string, string | number | boolean | null>;
  at?: Date;
}

/** A sequence number and the chain's hash there: the head, or an anchor of it. */
export interface ChainPoint {
  seq: number;
  hash: string;
}

/** The first event that does not verify, as an operator needs it named. */
export interface BrokenEvent {
  seq: number;
  /** The event's action and time as stored (absent when the event itself is missing). */
  action?: string;
  at?: Date;
  reason: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Events that verified, from the first one on. */
  checked: number;
  /** seq of the first event that does not verify, when not ok */
  brokenAt?: number;
  broken?: BrokenEvent;
  /** The last event that verified (seq 0 and the genesis hash for an empty log). */
  head: ChainPoint;
  /** How many events at the start of the chain were written before it was keyed (plain SHA-256). */
  unkeyed: number;
}

interface HashedFields {
  at: Date;
  actor: unknown;
  action: string;
  subject: unknown;
  conversation: unknown;
  details: unknown;
}

/** The chain's key: derived from the secret key under a label of its own (no other key in Lien uses it). */
export function auditChainKey(secretKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'lien audit chain v2', 32));
}

/** Version 1: plain SHA-256, as the chain was before it was keyed (kept to verify old events). */
function unkeyedHash(prevHash: string, seq: number, e: HashedFields): string {
  const payload = canonicalJson({ seq, prevHash, at: e.at, actor: e.actor, action: e.action, subject: e.subject, conversation: e.conversation, details: e.details });
  return createHash('sha256').update(payload).digest('hex');
}

/** Version 2: HMAC-SHA-256 under the audit key, the version itself included. */
function keyedHash(key: Buffer, prevHash: string, seq: number, e: HashedFields): string {
  const payload = canonicalJson({ v: CHAIN_VERSION, seq, prevHash, at: e.at, actor: e.actor, action: e.action, subject: e.subject, conversation: e.conversation, details: e.details });
  return createHmac('sha256', key).update(payload).digest('hex');
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

export interface VerifyOptions {
  /**
   * Heads anchored outside the database (read back from the homeserver): the chain's hash at each
   * anchor's seq must be the anchored one, and the chain must reach the last anchor's seq.
   */
  anchors?: ReadonlyArray<ChainPoint & { at?: Date }>;
}

export class AuditLog {
  /** The last event this process knows of: appends go straight after it, the database read only on a miss. */
  private head: ChainPoint | undefined;
  /** Appends from this process go one at a time (they would only race each other for the same seq). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly key: Buffer;

  /** `secretKey` is Lien's secret key (LIEN_SECRET_KEY, or the data directory's); the chain's key is derived from it. */
  constructor(
    private readonly models: Pick<Models, 'AuditEvent'>,
    secretKey: Buffer,
  ) {
    if (!Buffer.isBuffer(secretKey) || secretKey.length < 32) throw new TypeError('the audit log needs the secret key (32 bytes) to key its chain');
    this.key = auditChainKey(secretKey);
  }

  /** Appends one event; safe with several processes (the unique seq decides who goes first). */
  append(entry: AuditEntry): Promise<void> {
    const next = this.queue.then(() => this.appendNow(entry));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The last event in the database (seq 0 and the genesis hash when there is none), as it is stored. */
  async currentHead(): Promise<ChainPoint & { at: Date | undefined }> {
    const last = await this.models.AuditEvent.findOne({}, { seq: 1, hash: 1, at: 1 }).sort({ seq: -1 }).lean();
    return last ? { seq: last.seq, hash: last.hash, at: last.at } : { seq: 0, hash: GENESIS_HASH, at: undefined };
  }

  private async appendNow(entry: AuditEntry): Promise<void> {
    const at = entry.at ?? new Date();
    const actor = { kind: entry.actor.kind, id: entry.actor.id ?? null };
    const subject = entry.subject ?? { kind: null, id: null };
    const conversation = entry.conversation ? String(entry.conversation) : null;
    const details = entry.details ?? {};
    for (let attempt = 0; attempt < 50; attempt++) {
      // Another process may have appended since: then the insert below collides and the head is read again.
      const head = (this.head ??= await this.currentHead());
      const seq = head.seq + 1;
      const hash = keyedHash(this.key, head.hash, seq, { at, actor, action: entry.action, subject, conversation, details });
      try {
        await this.models.AuditEvent.create({ v: CHAIN_VERSION, seq, at, actor, action: entry.action, subject, conversation, details, prevHash: head.hash, hash });
        this.head = { seq, hash };
        return;
      } catch (err) {
        this.head = undefined;
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new Error('could not append to the audit log: too much contention');
  }

  /**
   * Walks the chain from the start, recomputes every hash, and checks it against the anchors given.
   * Stops at the first event that does not verify and names it.
   */
  async verify(opts: VerifyOptions = {}): Promise<AuditVerification> {
    const anchors = new Map<number, ChainPoint & { at?: Date }>();
    for (const a of opts.anchors ?? []) anchors.set(a.seq, a);
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    let unkeyed = 0;
    let keyedSeen = false;
    const fail = (broken: BrokenEvent): AuditVerification => ({ ok: false, checked, brokenAt: broken.seq, broken, head: { seq: expectedSeq - 1, hash: prevHash }, unkeyed });
    const cursor = this.models.AuditEvent.find({}).sort({ seq: 1 }).lean().cursor();
    for await (const e of cursor) {
      const named = { seq: e.seq, action: e.action, at: e.at };
      if (e.seq !== expectedSeq) {
        await cursor.close();
        return fail(e.seq > expectedSeq ? { seq: expectedSeq, reason: `event ${expectedSeq} is missing (the next one stored is ${e.seq}, ${e.action} at ${e.at.toISOString()})` } : { ...named, reason: `event ${e.seq} is stored twice or out of order` });
      }
      const fields = { at: e.at, actor: e.actor, action: e.action, subject: e.subject, conversation: e.conversation ? String(e.conversation) : null, details: e.details ?? {} };
      const version = e.v ?? 1;
      let recomputed: string | undefined;
      if (version === CHAIN_VERSION) {
        keyedSeen = true;
        recomputed = keyedHash(this.key, prevHash, e.seq, fields);
      } else if (version === 1 && !keyedSeen) {
        recomputed = unkeyedHash(prevHash, e.seq, fields);
      }
      if (recomputed === undefined) {
        await cursor.close();
        return fail({ ...named, reason: version === 1 ? 'an unkeyed event after keyed ones (the chain was recomputed without the key)' : `unknown chain version ${String(version)}` });
      }
      if (e.prevHash !== prevHash) {
        await cursor.close();
        return fail({ ...named, reason: 'it does not follow the event before it (an event was removed, inserted or changed)' });
      }
      if (e.hash !== recomputed) {
        await cursor.close();
        return fail({ ...named, reason: version === CHAIN_VERSION ? 'its content does not match its keyed hash (the event was changed)' : 'its content does not match its hash (the event was changed)' });
      }
      const anchor = anchors.get(e.seq);
      if (anchor && anchor.hash !== e.hash) {
        await cursor.close();
        return fail({ ...named, reason: `the homeserver's anchor${anchor.at ? ` of ${anchor.at.toISOString()}` : ''} holds another hash for this event (the chain up to here was rewritten)` });
      }
      if (version === 1) unkeyed++;
      prevHash = e.hash;
      expectedSeq++;
      checked++;
    }
    const last = [...anchors.values()].reduce<(ChainPoint & { at?: Date }) | undefined>((m, a) => (!m || a.seq > m.seq ? a : m), undefined);
    if (last && last.seq > checked) {
      return fail({ seq: checked + 1, reason: `the chain ends at event ${checked}, but the homeserver's anchor${last.at ? ` of ${last.at.toISOString()}` : ''} shows it reached event ${last.seq}: the events after ${checked} were removed` });
    }
    return { ok: true, checked, head: { seq: checked, hash: prevHash }, unkeyed };
  }
}
