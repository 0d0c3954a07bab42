/**
 * What becomes of a worker's reply once it leaves the room: Twilio failing for a while (the outbox tries
 * again, and the SMS goes once), Twilio's status callbacks shown as reactions on the worker's message,
 * and an SMS the carrier could not deliver explained in words in the room.
 */
import { describe, expect, it } from 'vitest';
import type { MatrixEvent } from '../../support/matrix.js';
import { addPerson, frText, joinPortal, sendSms, sendStatus, sleep, useBridge } from '../../support/bridge.js';
import { waitFor } from '../../support/wait.js';

function reactionsOn(events: MatrixEvent[], eventId: string): Array<{ sender: string; key: unknown }> {
  return events
    .filter((e) => (e.content['m.relates_to'] as { event_id?: string } | undefined)?.event_id === eventId)
    .map((e) => ({ sender: e.sender, key: (e.content['m.relates_to'] as { key?: unknown }).key }));
}

describe('bridge: delivery of replies, and what the worker sees of it', () => {
  const bridge = useBridge();

  it('sends a reply once after Twilio answered 500 then 201 (a follow-up waits its turn), shows "sent" then "delivered" as reactions, and explains an undelivered SMS', async () => {
    const { worker, twilio, lien } = bridge;
    const nadia = await addPerson(bridge, { displayName: 'Nadia Haddad' });
    expect((await sendSms(bridge, { from: nadia.phone, body: 'Bonjour, vous avez reçu mon dossier ?' })).status).toBe(200);
    const roomId = await joinPortal(bridge, nadia._id);
    await worker.waitForEvent(roomId, "Nadia's SMS", (e) => e.sender === bridge.botUserId && e.content.body === 'Nadia Haddad: Bonjour, vous avez reçu mon dossier ?');

    const reply = 'Oui, il est complet. Je vous rappelle demain.';
    const followUp = 'Pensez aussi à la quittance de loyer.';
    twilio.failNext(nadia.phone, 500, 20500, { text: reply });
    twilio.failNext(nadia.phone, 500, 20500, { text: followUp });
    const replyId = await worker.say(roomId, reply);
    await waitFor('the first attempt', async () => twilio.to(nadia.phone).length === 1);
    // The worker writes again while Twilio is failing: the follow-up waits behind the first reply.
    const followUpId = await worker.say(roomId, followUp);
    await sleep(1_500);
    expect(twilio.to(nadia.phone).map((r) => [r.status, r.form.Body])).toEqual([[500, reply]]);

    // The outbox tries the first reply again after its backoff (15 s); the follow-up goes right after it.
    const [sent] = await twilio.waitForSent(nadia.phone, 1, 40_000);
    expect(twilio.to(nadia.phone).slice(0, 2).map((r) => [r.status, r.form.Body])).toEqual([
      [500, reply],
      [201, reply],
    ]);
    const stored = await waitFor('the SID stored', async () => lien.db.models.Message.findOne({ matrixEventId: replyId, direction: 'outbound', twilioSid: { $ne: null } }).lean());
    expect(stored).toMatchObject({ twilioSid: sent?.sid, delivery: { status: 'sent', attempts: 2 } });

    const sentKey = frText('room.status.sent');
    const deliveredKey = frText('room.status.delivered');
    await worker.waitForEvent(roomId, 'the "sent" reaction', (e) => e.type === 'm.reaction' && reactionsOn([e], replyId)[0]?.key === sentKey);

    // Twilio calls back: sent (already shown), then delivered.
    expect((await sendStatus(bridge, { sid: sent?.sid ?? '', status: 'sent' })).status).toBe(204);
    expect((await sendStatus(bridge, { sid: sent?.sid ?? '', status: 'delivered' })).status).toBe(204);
    await worker.waitForEvent(roomId, 'the "delivered" reaction', (e) => e.type === 'm.reaction' && reactionsOn([e], replyId)[0]?.key === deliveredKey);
    // A repeated callback changes nothing.
    expect((await sendStatus(bridge, { sid: sent?.sid ?? '', status: 'delivered' })).status).toBe(204);
    await sleep(1_000);
    expect(reactionsOn(await worker.events(roomId, 'm.reaction'), replyId)).toEqual([
      { sender: bridge.botUserId, key: sentKey },
      { sender: bridge.botUserId, key: deliveredKey },
    ]);
    expect(await lien.db.models.Message.findOne({ matrixEventId: replyId }).lean()).toMatchObject({ delivery: { status: 'delivered', deliveredAt: expect.any(Date) } });

    // The follow-up met a 500 at its first real attempt: waiting behind the first reply used none of its
    // attempts, so it is tried again after its own backoff, not given up on.
    const [, followUpSent] = await twilio.waitForSent(nadia.phone, 2, 40_000);
    expect(followUpSent?.form.Body).toBe(followUp);
    expect(twilio.to(nadia.phone).map((r) => [r.status, r.form.Body])).toEqual([
      [500, reply],
      [201, reply],
      [500, followUp],
      [201, followUp],
    ]);
    expect(await waitFor('the SID stored', async () => lien.db.models.Message.findOne({ matrixEventId: followUpId, direction: 'outbound', twilioSid: { $ne: null } }).lean())).toMatchObject({
      twilioSid: followUpSent?.sid,
      delivery: { status: 'sent', lastError: null },
    });
    const undeliverable = frText('room.undeliverable').split('(')[0] ?? '';
    expect((await worker.messagesFrom(roomId, bridge.botUserId)).filter((e) => String(e.content.body).startsWith(undeliverable))).toEqual([]);

    // Another reply the carrier cannot deliver: a landline.
    const second = 'Pouvez-vous passer jeudi ?';
    const secondId = await worker.say(roomId, second);
    const [, , secondSent] = await twilio.waitForSent(nadia.phone, 3);
    expect(secondSent?.form.Body).toBe(second);
    expect((await sendStatus(bridge, { sid: secondSent?.sid ?? '', status: 'undelivered', errorCode: 30006 })).status).toBe(204);

    const landline = frText('reason.landline');
    const notice = await worker.waitForEvent(roomId, 'the undelivered notice', (e) => e.sender === bridge.botUserId && e.content.msgtype === 'm.notice' && String(e.content.body).includes(landline));
    expect(notice.content.body).toBe(frText('room.deliveryFailed', { name: 'Nadia Haddad', reason: landline }));
    expect(await lien.db.models.Message.findOne({ matrixEventId: secondId, direction: 'outbound' }).lean()).toMatchObject({
      delivery: { status: 'failed', lastError: { code: '30006', reason: 'landline' } },
    });
    // No "delivered" on the failed one; and nothing was sent again.
    expect(reactionsOn(await worker.events(roomId, 'm.reaction'), secondId).map((r) => r.key)).toEqual([sentKey]);
    expect(twilio.sentTo(nadia.phone)).toHaveLength(3);
    expect(twilio.to(nadia.phone)).toHaveLength(5);
  });
});
