/**
 * An SMS's status only moves forward (a late `failed` callback leaves a `delivered` SMS delivered), and
 * Twilio refusing the account's credentials (20003) makes SMS wait — no attempt used up, /healthz saying
 * why — until the credentials work, when each goes out once.
 */
import { describe, expect, it } from 'vitest';
import { addPerson, frText, joinPortal, sendSms, sendStatus, sleep, useBridge, type Bridge } from '../../support/bridge.js';
import { waitFor } from '../../support/wait.js';

interface Health {
  status: string;
  checks: Record<string, { status: string; reason?: string; detail?: string }>;
}

async function health(bridge: Bridge): Promise<Health> {
  return (await (await fetch(`${bridge.lien.url}/healthz`)).json()) as Health;
}

/** A person of the team who has texted once, and their room, joined by the worker. */
async function personWithRoom(bridge: Bridge, displayName: string) {
  const person = await addPerson(bridge, { displayName });
  expect((await sendSms(bridge, { from: person.phone, body: 'Bonjour' })).status).toBe(200);
  const roomId = await joinPortal(bridge, person._id);
  await bridge.worker.waitForEvent(roomId, `${displayName}'s SMS`, (e) => e.sender === bridge.botUserId && e.content.body === `${displayName}: Bonjour`, 30_000);
  return { person, roomId };
}

describe('bridge: delivery statuses and the Twilio account', () => {
  // One attempt before giving up: a 20003 that used up an attempt would fail the SMS at once.
  const bridge = useBridge({ OUTBOX_MAX_ATTEMPTS: '1' });

  it('keeps a delivered SMS delivered when a failed callback comes late (or twice)', async () => {
    const { worker, twilio, lien } = bridge;
    const { person, roomId } = await personWithRoom(bridge, 'Rose Lefebvre');
    const reply = 'Votre dossier est complet.';
    const replyId = await worker.say(roomId, reply);
    const [sent] = await twilio.waitForSent(person.phone, 1, 30_000);
    const sid = sent?.sid ?? '';
    await waitFor('the SID stored', async () => lien.db.models.Message.findOne({ twilioSid: sid }).lean());

    expect((await sendStatus(bridge, { sid, status: 'delivered' })).status).toBe(204);
    await waitFor('delivered', async () => (await lien.db.models.Message.findOne({ twilioSid: sid }).lean())?.delivery.status === 'delivered');
    // Callbacks can come out of order: a failure reported after the delivery changes nothing.
    expect((await sendStatus(bridge, { sid, status: 'failed', errorCode: 30003 })).status).toBe(204);
    expect((await sendStatus(bridge, { sid, status: 'undelivered', errorCode: 30005 })).status).toBe(204);
    await sleep(2_000);
    expect(await lien.db.models.Message.findOne({ matrixEventId: replyId, direction: 'outbound' }).lean()).toMatchObject({ delivery: { status: 'delivered', lastError: null } });
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'sms.failed', conversation: (await lien.db.models.Conversation.findOne({ person: person._id }).lean())?._id })).toBe(0);
    const failedNotice = frText('room.deliveryFailed', { name: 'Rose Lefebvre', reason: frText('reason.unreachable') });
    expect((await worker.messagesFrom(roomId, bridge.botUserId)).filter((e) => e.content.body === failedNotice)).toEqual([]);
    expect(twilio.to(person.phone)).toHaveLength(1);
  }, 120_000);

  it('lets SMS wait while Twilio refuses the credentials (20003), shows it on /healthz, and sends each once when they work', async () => {
    const { worker, twilio, lien } = bridge;
    const a = await personWithRoom(bridge, 'Paul Girard');
    const b = await personWithRoom(bridge, 'Lina Roux');
    // Twilio refuses the account once for each number (a wrong token, fixed right after).
    twilio.failNext(a.person.phone, 401, 20003);
    twilio.failNext(b.person.phone, 401, 20003);
    const toA = 'Paul, le rendez-vous est déplacé à 15h.';
    const toB = 'Lina, votre attestation est prête.';
    await worker.say(a.roomId, toA);
    await worker.say(b.roomId, toB);
    await waitFor('both refused once', async () => twilio.to(a.person.phone).length === 1 && twilio.to(b.person.phone).length === 1, 30_000);

    const refused = await waitFor('the account problem on /healthz', async () => {
      const h = await health(bridge);
      return h.checks.twilio?.status === 'failed' ? h : undefined;
    });
    expect(refused.checks.twilio?.reason).toMatch(/^Twilio refused the credentials \(20003\)/);
    expect(refused.status).toBe('degraded');
    // Waiting, not failed: an attempt that met refused credentials does not count.
    for (const phone of [a.person.phone, b.person.phone]) expect(twilio.sentTo(phone)).toHaveLength(0);
    const waiting = await lien.db.models.Message.find({ person: { $in: [a.person._id, b.person._id] }, direction: 'outbound', kind: 'message' }).lean();
    expect(waiting.map((m) => [m.delivery.status, m.delivery.lastError?.code])).toEqual([['pending', '20003'], ['pending', '20003']]);

    // The credentials work again: each SMS goes, once, and the account is healthy again.
    const [sentA] = await twilio.waitForSent(a.person.phone, 1, 60_000);
    const [sentB] = await twilio.waitForSent(b.person.phone, 1, 60_000);
    expect(sentA?.form.Body).toBe(toA);
    expect(sentB?.form.Body).toBe(toB);
    await waitFor('the account healthy on /healthz', async () => (await health(bridge)).checks.twilio?.status === 'ok');
    await sleep(2_000);
    expect(twilio.to(a.person.phone).map((r) => r.status)).toEqual([401, 201]);
    expect(twilio.to(b.person.phone).map((r) => r.status)).toEqual([401, 201]);
    const undeliverable = frText('room.undeliverable').split('(')[0] ?? '';
    for (const roomId of [a.roomId, b.roomId]) {
      expect((await worker.messagesFrom(roomId, bridge.botUserId)).filter((e) => String(e.content.body).startsWith(undeliverable))).toEqual([]);
    }
  }, 180_000);
});
