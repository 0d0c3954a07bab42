/**
 * The keyed audit chain on the real database: what verifies, and each way of rewriting it that must
 * not — an edit, a deletion in the middle, a plain SHA-256 chain recomputed by someone without the key,
 * the last events cut off after an anchor.
 */
import { createHash, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, GENESIS_HASH } from '../../../src/audit/audit-log.js';
import { canonicalJson } from '../../../src/audit/canonical-json.js';
import { useTestDatabase } from '../../support/db.js';

type StoredEvent = { seq: number; at: Date; actor: unknown; action: string; subject: unknown; conversation: unknown; details?: unknown; prevHash: string; hash: string; v?: number };

/** The chain as it was before it was keyed, which anyone with the database can compute. */
function plainHash(prevHash: string, e: StoredEvent): string {
  const conversation = e.conversation ? String(e.conversation) : null;
  return createHash('sha256').update(canonicalJson({ seq: e.seq, prevHash, at: e.at, actor: e.actor, action: e.action, subject: e.subject, conversation, details: e.details ?? {} })).digest('hex');
}

describe('audit log', () => {
  const db = useTestDatabase();
  const secretKey = randomBytes(32);
  let log: AuditLog;

  const events = () => db.models.AuditEvent.find().sort({ seq: 1 }).lean<StoredEvent[]>();

  async function appendSome(n: number): Promise<void> {
    for (let i = 1; i <= n; i++) await log.append({ actor: { kind: 'worker', id: `@w${i}:localhost` }, action: i % 2 ? 'message.sent' : 'conversation.read', subject: { kind: 'message', id: String(i) }, details: { segments: i } });
  }

  beforeEach(async () => {
    await db.models.AuditEvent.deleteMany({});
    log = new AuditLog(db.models, secretKey);
  });

  it('chains keyed events, stays gapless under concurrent appends, and an untouched chain verifies', async () => {
    const b = new AuditLog(db.models, secretKey); // a second process on the same database, with the same key
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? log : b).append({ actor: { kind: 'worker', id: `@w${i}:localhost` }, action: 'message.sent', subject: { kind: 'message', id: String(i) }, details: { segments: 1 } }),
      ),
    );
    // An event with no details at all must verify too (an empty object must survive the round trip).
    await log.append({ actor: { kind: 'system' }, action: 'team.created' });
    const stored = await events();
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(stored.every((e) => e.v === 2)).toBe(true);
    // Keyed: the stored hash is not the plain SHA-256 of the event.
    expect(stored[0]?.hash).not.toBe(plainHash(GENESIS_HASH, stored[0] as StoredEvent));
    const last = stored.at(-1);
    expect(await log.verify()).toEqual({ ok: true, checked: 21, head: { seq: 21, hash: last?.hash }, unkeyed: 0 });
    // The same database under another secret key does not verify: the key is what vouches for the chain.
    expect((await new AuditLog(db.models, randomBytes(32)).verify()).brokenAt).toBe(1);
  });

  it("catches an edit of an event's details and names the event", async () => {
    await appendSome(10);
    await db.models.AuditEvent.updateOne({ seq: 7 }, { $set: { 'details.segments': 70 } });
    const result = await log.verify();
    expect(result).toMatchObject({ ok: false, checked: 6, brokenAt: 7, broken: { seq: 7, action: 'message.sent', reason: expect.stringContaining('changed') } });
    const seventh = (await events())[6];
    expect(result.broken?.at).toEqual(seventh?.at);
  });

  it('catches an event deleted in the middle', async () => {
    await appendSome(10);
    await db.models.AuditEvent.deleteOne({ seq: 5 });
    expect(await log.verify()).toMatchObject({ ok: false, checked: 4, brokenAt: 5, broken: { seq: 5, reason: expect.stringContaining('event 5 is missing') } });
  });

  it('catches an edit whose chain was recomputed with plain SHA-256 (no key), labelled keyed or not', async () => {
    await appendSome(10);
    // The attacker edits event 4 and recomputes every hash from there on, the way the old chain was computed.
    const rewrite = async (label: number | undefined) => {
      const stored = await events();
      let prev = stored[2]?.hash ?? GENESIS_HASH;
      for (const e of stored.slice(3)) {
        const edited = { ...e, details: e.seq === 4 ? { segments: 400 } : e.details };
        const hash = plainHash(prev, edited);
        await db.models.AuditEvent.updateOne({ seq: e.seq }, label === undefined ? { $set: { details: edited.details, prevHash: prev, hash }, $unset: { v: 1 } } : { $set: { details: edited.details, prevHash: prev, hash, v: label } });
        prev = hash;
      }
    };
    await rewrite(2);
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 4, broken: { seq: 4, action: 'conversation.read', reason: expect.stringContaining('keyed hash') } });
    // Labelled as an old, unkeyed event: old events may only come before the keyed ones.
    await rewrite(undefined);
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 4, broken: { seq: 4, reason: expect.stringContaining('unkeyed event after keyed ones') } });
  });

  it('catches the last events cut off after an anchor, which the chain alone cannot see', async () => {
    await appendSome(8);
    const anchor = { ...(await log.currentHead()), at: new Date() };
    expect(anchor.seq).toBe(8);
    expect((await log.verify({ anchors: [anchor] })).ok).toBe(true);
    await db.models.AuditEvent.deleteMany({ seq: { $gte: 6 } });
    // Without the anchor the shortened chain is a valid chain…
    expect(await log.verify()).toMatchObject({ ok: true, checked: 5 });
    // …with it, the cut is caught, and said to be one.
    expect(await log.verify({ anchors: [anchor] })).toMatchObject({ ok: false, checked: 5, brokenAt: 6, broken: { seq: 6, reason: expect.stringContaining('reached event 8') } });
  });

  it('catches a chain rebuilt from an anchored event on (the anchored hash no longer matches)', async () => {
    await appendSome(6);
    const stored = await events();
    const anchor = { seq: 3, hash: stored[2]?.hash ?? '' };
    // Someone holding the key could rebuild the chain after an edit; the anchor outside the database still holds the old hash.
    await db.models.AuditEvent.deleteMany({});
    const other = new AuditLog(db.models, secretKey);
    for (const e of stored) await other.append({ actor: e.actor as { kind: 'worker'; id: string }, action: e.action, subject: e.subject as { kind: string; id: string }, details: e.seq === 2 ? { segments: 20 } : (e.details as Record<string, number>), at: e.at });
    expect((await log.verify()).ok).toBe(true);
    expect(await log.verify({ anchors: [anchor] })).toMatchObject({ ok: false, brokenAt: 3, broken: { seq: 3, reason: expect.stringContaining("anchor") } });
  });

  it('verifies a chain begun before it was keyed: old SHA-256 events first, keyed ones after', async () => {
    // Three events as the previous version of Lien wrote them (no `v`, plain SHA-256).
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const e = { seq, at: new Date(Date.UTC(2025, 0, seq)), actor: { kind: 'system', id: null }, action: 'lien.started', subject: { kind: null, id: null }, conversation: null, details: {}, prevHash: prev, hash: '' };
      e.hash = plainHash(prev, e);
      await db.models.AuditEvent.create(e);
      prev = e.hash;
    }
    await appendSome(3);
    const stored = await events();
    expect(stored.map((e) => e.v ?? 1)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(stored[3]?.prevHash).toBe(stored[2]?.hash);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 6, unkeyed: 3 });
    // An old event edited and its chain recomputed is still caught from the first keyed event on.
    const first = stored[0] as StoredEvent;
    const edited = { ...first, action: 'team.created' };
    await db.models.AuditEvent.updateOne({ seq: 1 }, { $set: { action: 'team.created', hash: plainHash(GENESIS_HASH, edited) } });
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 2 });
  });
});
