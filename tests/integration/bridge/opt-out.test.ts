/**
 * STOP and START: the person's choice is honoured at once, the room is told, and the person gets the one
 * confirmation carriers expect.
 */
import { describe, expect, it } from 'vitest';
import { addPerson, frText, joinPortal, mobileNumber, sendSms, SERVICE_NUMBER, sleep, triageRoomOf, useBridge, waitForNotice } from '../../support/bridge.js';

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
    const label = frText('room.unknownLabel', { phone: stranger });

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
});
