/**
 * The append-only, hash-chained audit log. Each event carries the hash of the one before it, so editing
 * or deleting a past event breaks the chain and `verify` says where. Events name who did what to which
 * conversation, never the text of a message or a phone number.
 */
import { createHash } from 'node:crypto';
import type { Types } from 'mongoose';
import type { ActorKind } from '../domain/types.js';
import type { Models } from '../store/models/index.js';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  actor: { kind: ActorKind; id?: string | null };
  action: string;
  subject?: { kind: string; id: string | null };
  conversation?: Types.ObjectId | string | null;
  /** Identifiers and figures only: never message text or phone numbers. */
  details?: Record<string, string | number | boolean | null>;
  at?: Date;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** seq of the first event whose hash does not match, when not ok */
  brokenAt?: number;
}

function hashOf(prevHash: string, seq: number, e: { at: Date; actor: unknown; action: string; subject: unknown; conversation: unknown; details: unknown }): string {
  const payload = canonicalJson({ seq, prevHash, at: e.at, actor: e.actor, action: e.action, subject: e.subject, conversation: e.conversation, details: e.details });
  return createHash('sha256').update(payload).digest('hex');
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

export class AuditLog {
  /** The last event this process knows of: appends go straight after it, the database read only on a miss. */
  private head: { seq: number; hash: string } | undefined;
  /** Appends from this process go one at a time (they would only race each other for the same seq). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly models: Pick<Models, 'AuditEvent'>) {}

  /** Appends one event; safe with several processes (the unique seq decides who goes first). */
  append(entry: AuditEntry): Promise<void> {
    const next = this.queue.then(() => this.appendNow(entry));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readHead(): Promise<{ seq: number; hash: string }> {
    const last = await this.models.AuditEvent.findOne({}, { seq: 1, hash: 1 }).sort({ seq: -1 }).lean();
    return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  private async appendNow(entry: AuditEntry): Promise<void> {
    const at = entry.at ?? new Date();
    const actor = { kind: entry.actor.kind, id: entry.actor.id ?? null };
    const subject = entry.subject ?? { kind: null, id: null };
    const conversation = entry.conversation ? String(entry.conversation) : null;
    const details = entry.details ?? {};
    for (let attempt = 0; attempt < 50; attempt++) {
      // Another process may have appended since: then the insert below collides and the head is read again.
      const head = (this.head ??= await this.readHead());
      const seq = head.seq + 1;
      const hash = hashOf(head.hash, seq, { at, actor, action: entry.action, subject, conversation, details });
      try {
        await this.models.AuditEvent.create({ seq, at, actor, action: entry.action, subject, conversation, details, prevHash: head.hash, hash });
        this.head = { seq, hash };
        return;
      } catch (err) {
        this.head = undefined;
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new Error('could not append to the audit log: too much contention');
  }

  /** Walks the chain from the start and recomputes every hash. */
  async verify(): Promise<AuditVerification> {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    const cursor = this.models.AuditEvent.find({}).sort({ seq: 1 }).lean().cursor();
    for await (const e of cursor) {
      const conversation = e.conversation ? String(e.conversation) : null;
      const recomputed = hashOf(prevHash, e.seq, { at: e.at, actor: e.actor, action: e.action, subject: e.subject, conversation, details: e.details ?? {} });
      if (e.seq !== expectedSeq || e.prevHash !== prevHash || e.hash !== recomputed) return { ok: false, checked, brokenAt: expectedSeq };
      prevHash = e.hash;
      expectedSeq++;
      checked++;
    }
    return { ok: true, checked };
  }
}
