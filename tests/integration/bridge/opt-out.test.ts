/**
 * STOP and START: the person's choice is honoured at once, the room is told, and the person gets the one
 * confirmation carriers expect.
 */
import { describe, expect, it } from 'vitest';
import { addPerson, botMessages, frText, joinPortal, mobileNumber, sendSms, SERVICE_NUMBER, sleep, triageRoomOf, useBridge, waitForNotice } from '../../support/bridge.js';
import { waitFor } from '../../support/wait.js';
import { maskedPhone } from '../../../src/domain/phone-mask.js';

describe('bridge: STOP and START', () => {
  const bridge = useBridge();

  it('stops replies after STOP (with one confirmation SMS and a notice), and lets them go again after START', async () => {
    const { worker, twilio, lien } = bridge;
    const ines = await addPerson(bridge, { displayName: 'Inès Moreau' });

    expect((await sendSms(bridge, { from: ines.phone, body: 'STOP' })).status).toBe(200);
    const roomId = await joinPortal(bridge, ines._id);
    await worker.waitForEvent(roomId, 'the STOP itself', (e) => e.sender === bridge.botUserId && e.content.body === 'Inès Moreau: STOP');
    await waitForNotice(bridge, roomId, frText('room.optedOut', { name: 'Inès Moreau', keyword: 'STOP' }));
    const [confirmation] = await twilio.waitForSent(ines.phone);
    expect(confirmation?.form).toMatchObject({ To: ines.phone, From: SERVICE_NUMBER, Body: frText('sms.optedOut') });
    expect(await lien.db.models.Person.findById(ines._id).lean()).toMatchObject({ optedOut: { keyword: 'STOP' } });

    // The worker answers anyway: nothing leaves, and the worker is told why.
    const blocked = await worker.say(roomId, 'Bonjour Inès, tout va bien ?');
    await waitForNotice(bridge, roomId, frText('room.replyBlockedOptedOut', { name: 'Inès Moreau' }));
    await sleep(2_000);
    expect(twilio.to(ines.phone)).toHaveLength(1);
    expect(await lien.db.models.Message.exists({ matrixEventId: blocked, direction: 'outbound' })).toBeNull();

    expect((await sendSms(bridge, { from: ines.phone, body: 'Start' })).status).toBe(200);
    await waitForNotice(bridge, roomId, frText('room.optedIn', { name: 'Inès Moreau' }));
    const [, welcomeBack] = await twilio.waitForSent(ines.phone, 2);
    expect(welcomeBack?.form).toMatchObject({ To: ines.phone, Body: frText('sms.optedIn') });
    expect(await lien.db.models.Person.findById(ines._id).lean()).toMatchObject({ optedOut: null });

    const reply = 'Bonjour Inès, votre dossier est prêt.';
    await worker.say(roomId, reply);
    const [, , sent] = await twilio.waitForSent(ines.phone, 3);
    expect(sent?.form).toMatchObject({ To: ines.phone, From: SERVICE_NUMBER, Body: reply });
    await sleep(1_500);
    expect(twilio.to(ines.phone).map((r) => r.form.Body)).toEqual([frText('sms.optedOut'), frText('sms.optedIn'), reply]);
  });

  it('answers an unknown number whose first SMS is STOP with the opt-out confirmation only, not the automatic reply', async () => {
    const { worker, twilio } = bridge;
    const stranger = mobileNumber();
    const label = frText('room.unknownLabel', { phone: maskedPhone(stranger) });

    expect((await sendSms(bridge, { from: stranger, body: 'STOP' })).status).toBe(200);
    const triageId = await triageRoomOf(bridge);
    await worker.joinWhenInvited(triageId);
    await worker.waitForEvent(triageId, 'the STOP in triage', (e) => e.sender === bridge.botUserId && e.content.body === `${label}: STOP`);
    await waitForNotice(bridge, triageId, frText('room.optedOut', { name: label, keyword: 'STOP' }));
    const [confirmation] = await twilio.waitForSent(stranger);
    expect(confirmation?.form).toMatchObject({ To: stranger, From: SERVICE_NUMBER, Body: frText('sms.optedOut') });
    // Nothing else follows a STOP: no "your message has arrived" to someone who just said STOP.
    await sleep(2_000);
    expect(twilio.to(stranger).map((r) => r.form.Body)).toEqual([frText('sms.optedOut')]);
  });

  it('withholds for good what was still waiting when STOP came (a reply, a bot answer, one queued a moment later): only the confirmation goes, the room is told once, START resurrects nothing', async () => {
    const { worker, twilio, lien } = bridge;
    const { Message } = lien.db.models;
    const leo = await addPerson(bridge, { displayName: 'Léo Garnier' });
    expect((await sendSms(bridge, { from: leo.phone, body: 'Bonjour' })).status).toBe(200);
    const roomId = await joinPortal(bridge, leo._id);
    await worker.waitForEvent(roomId, "Léo's SMS", (e) => e.sender === bridge.botUserId && e.content.body === 'Léo Garnier: Bonjour');

    // A worker's reply meets a Twilio 500 and waits out its backoff (15 s); the bot's menu waits behind it.
    const reply = 'Bonjour Léo, je vous appelle cet après-midi.';
    twilio.failNext(leo.phone, 500, 20500, { text: reply });
    const replyId = await worker.say(roomId, reply);
    await waitFor('the reply tried once', async () => twilio.to(leo.phone).length === 1, 30_000);
    expect((await sendSms(bridge, { from: leo.phone, body: 'AIDE' })).status).toBe(200);
    const waitingMenu = await waitFor('the menu waiting', async () => Message.findOne({ person: leo._id, 'delivery.target': 'sms', kind: 'notice', 'delivery.status': 'pending' }).lean());
    expect(twilio.sentTo(leo.phone)).toHaveLength(0);

    // STOP: nothing that waited goes, only the confirmation.
    expect((await sendSms(bridge, { from: leo.phone, body: 'ARRÊT' })).status).toBe(200);
    const [confirmation] = await twilio.waitForSent(leo.phone);
    expect(confirmation?.form.Body).toBe(frText('sms.optedOut'));
    const withheldNotice = frText('room.withheldOptedOut', { name: 'Léo Garnier', keyword: 'ARRET' });
    await waitForNotice(bridge, roomId, frText('room.optedOut', { name: 'Léo Garnier', keyword: 'ARRET' }));
    await waitForNotice(bridge, roomId, withheldNotice);
    expect(await Message.findOne({ matrixEventId: replyId, direction: 'outbound' }).lean()).toMatchObject({ delivery: { status: 'withheld', lastError: { code: '21610', reason: 'opted_out' } } });
    expect(await Message.findById(waitingMenu._id).lean()).toMatchObject({ delivery: { status: 'withheld' } });

    // An automatic answer queued a moment after the STOP (a turn that had read the person before it):
    // the outbox withholds it when it comes to it, and the room is not told a second time.
    const late = await Message.create({
      dedupeKey: `test-late:${String(leo._id)}`, conversation: waitingMenu.conversation, person: leo._id, direction: 'outbound', kind: 'notice', channel: 'sms',
      bodySealed: lien.cipher.encrypt('Votre message est bien arrivé.'), delivery: { target: 'sms' },
    });
    await lien.outbox.deliverNow(late._id);
    await waitFor('the late answer withheld', async () => (await Message.findById(late._id).lean())?.delivery.status === 'withheld');

    // START: what is new goes again; what was withheld stays so, even once its backoff is over.
    expect((await sendSms(bridge, { from: leo.phone, body: 'START' })).status).toBe(200);
    await waitForNotice(bridge, roomId, frText('room.optedIn', { name: 'Léo Garnier' }));
    await twilio.waitForSent(leo.phone, 2);
    await Message.updateMany({ person: leo._id, 'delivery.status': 'withheld' }, { $set: { 'delivery.nextAttemptAt': new Date(0) } });
    const after = 'Léo, votre rendez-vous est confirmé.';
    await worker.say(roomId, after);
    await twilio.waitForSent(leo.phone, 3);
    await sleep(2_000);
    expect(twilio.to(leo.phone).map((r) => [r.status, r.form.Body])).toEqual([
      [500, reply],
      [201, frText('sms.optedOut')],
      [201, frText('sms.optedIn')],
      [201, after],
    ]);
    expect(await Message.countDocuments({ person: leo._id, 'delivery.status': 'withheld' })).toBe(3);
    expect(await botMessages(bridge, roomId, withheldNotice)).toHaveLength(1);
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'sms.withheld', conversation: waitingMenu.conversation })).toBe(2);
  }, 180_000);
});

