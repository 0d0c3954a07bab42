import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeliveryError, Outbox, type Deliverer, type OutboxMessage } from '../../../src/outbox/outbox.js';
import { useTestDatabase } from '../../support/db.js';
import { testLogger } from '../../support/logger.js';

/** A deliverer standing in for a channel: records what it was given, fails as scripted. */
class RecordingDeliverer implements Deliverer {
  delivered: string[] = [];
  constructor(private failures: Array<DeliveryError | null> = []) {}
  async deliver(message: OutboxMessage) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.delivered.push(message.dedupeKey);
    return { twilioSid: `SM${message.dedupeKey}` };
  }
}

describe('outbox', () => {
  const db = useTestDatabase();
  const backoff = { baseMs: 1, maxMs: 1 };

  async function enqueue(conversation: string, n: number) {
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = `k-${randomBytes(4).toString('hex')}`;
      keys.push(key);
      await db.models.Message.create({ dedupeKey: key, conversation, direction: 'outbound', channel: 'sms', receivedAt: new Date(Date.now() + i), delivery: { target: 'sms' } });
    }
    return keys;
  }

  it('retries a failed attempt with backoff and stores the provider id once sent', async () => {
    const deliverer = new RecordingDeliverer([new DeliveryError('Twilio 500', { permanent: false, code: '500' })]);
    const outbox = new Outbox({ models: db.models, logger: testLogger, maxAttempts: 5, backoff });
    outbox.register('sms', deliverer);
    const conv = randomBytes(12).toString('hex');
    const [key] = await enqueue(conv, 1);

    expect(await outbox.sweep()).toEqual({ delivered: 0, retried: 1, failed: 0, withheld: 0 });
    const waiting = await db.models.Message.findOne({ dedupeKey: key }).lean();
    expect(waiting?.delivery.status).toBe('pending');
    expect(waiting?.delivery.lastError?.reason).toBe('Twilio 500');

    await new Promise((r) => setTimeout(r, 5));
    expect(await outbox.sweep()).toEqual({ delivered: 1, retried: 0, failed: 0, withheld: 0 });
    const sent = await db.models.Message.findOne({ dedupeKey: key }).lean();
    expect(sent?.delivery.status).toBe('sent');
    expect(sent?.delivery.attempts).toBe(2);
    expect(sent?.twilioSid).toBe(`SM${key}`);
    expect(deliverer.delivered).toEqual([key]);
  });

  it('keeps a conversation in order: nothing overtakes a message still waiting', async () => {
    const deliverer = new RecordingDeliverer([new DeliveryError('homeserver down', { permanent: false })]);
    const outbox = new Outbox({ models: db.models, logger: testLogger, maxAttempts: 5, backoff });
    outbox.register('sms', deliverer);
    const keys = await enqueue(randomBytes(12).toString('hex'), 3);
    await outbox.sweep();
    expect(deliverer.delivered).toEqual([]);
    await new Promise((r) => setTimeout(r, 5));
    await outbox.sweep();
    expect(deliverer.delivered).toEqual(keys);
  });

  it('gives up after the last attempt and tells a human', async () => {
    const reported: string[] = [];
    const deliverer = new RecordingDeliverer([new DeliveryError('landline', { permanent: true, code: '21614' })]);
    const outbox = new Outbox({ models: db.models, logger: testLogger, maxAttempts: 5, backoff, onGaveUp: async (m) => void reported.push(m.dedupeKey) });
    outbox.register('sms', deliverer);
    const [key] = await enqueue(randomBytes(12).toString('hex'), 1);
    expect(await outbox.sweep()).toEqual({ delivered: 0, retried: 0, failed: 1, withheld: 0 });
    const failed = await db.models.Message.findOne({ dedupeKey: key }).lean();
    expect(failed?.delivery.status).toBe('failed');
    expect(failed?.delivery.lastError?.code).toBe('21614');
    expect(reported).toEqual([key]);
  });

  it('delivers each message once when two processes sweep at the same time', async () => {
    const d1 = new RecordingDeliverer();
    const d2 = new RecordingDeliverer();
    const o1 = new Outbox({ models: db.models, logger: testLogger, maxAttempts: 5, backoff });
    const o2 = new Outbox({ models: db.models, logger: testLogger, maxAttempts: 5, backoff });
    o1.register('sms', d1);
    o2.register('sms', d2);
    const keys: string[] = [];
    for (let c = 0; c < 6; c++) keys.push(...(await enqueue(randomBytes(12).toString('hex'), 2)));
    await Promise.all([o1.sweep(), o2.sweep()]);
    const all = [...d1.delivered, ...d2.delivered];
    expect(all.sort()).toEqual([...keys].sort());
  });
});
