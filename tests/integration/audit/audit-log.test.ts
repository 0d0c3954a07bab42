import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { useTestDatabase } from '../../support/db.js';

describe('audit log', () => {
  const db = useTestDatabase();

  it('chains events, stays gapless under concurrent appends, and finds tampering', async () => {
    const a = new AuditLog(db.models);
    const b = new AuditLog(db.models); // a second process on the same database
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).append({ actor: { kind: 'worker', id: `@w${i}:localhost` }, action: 'message.sent', subject: { kind: 'message', id: String(i) }, details: { segments: 1 } }),
      ),
    );
    // An event with no details at all must verify too (an empty object must survive the round trip).
    await a.append({ actor: { kind: 'system' }, action: 'team.created' });
    const events = await db.models.AuditEvent.find().sort({ seq: 1 }).lean();
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(await a.verify()).toEqual({ ok: true, checked: 21 });

    await db.models.AuditEvent.updateOne({ seq: 7 }, { $set: { 'actor.id': '@someone-else:localhost' } });
    expect(await a.verify()).toEqual({ ok: false, checked: 6, brokenAt: 7 });
  });
});
