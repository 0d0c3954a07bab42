/**
 * A person's SMS reaches their portal room, and the worker's answer in that room reaches their phone:
 * against the run's Synapse and FerretDB, with Twilio's API stood in for by nock.
 */
import { describe, expect, it } from 'vitest';
import { signTwilioRequest } from '../../../src/channels/sms/signature.js';
import { addPerson, botMessages, inboundParams, joinPortal, mobileNumber, sendSms, SERVICE_NUMBER, sleep, twilioSid, useBridge } from '../../support/bridge.js';

describe('bridge: SMS into the portal room, replies out as SMS', () => {
  const bridge = useBridge();

  it("posts a person's SMS in their own room, labelled with their name, and sends the worker's reply back exactly once", async () => {
    const { worker, twilio, lien } = bridge;
    const camille = await addPerson(bridge, { displayName: 'Camille Martin' });
    const text = 'Bonjour, mon rendez-vous <jeudi> & la CAF : c\'est toujours bon ?\nMerci';

    const answer = await sendSms(bridge, { from: camille.phone, body: text });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('<Response></Response>');

    const roomId = await joinPortal(bridge, camille._id);
    const posted = await worker.waitForEvent(roomId, "Camille's SMS", (e) => e.sender === bridge.botUserId && e.content.body === `Camille Martin: ${text}`);
    expect(posted.type).toBe('m.room.message');
    expect(posted.content).toMatchObject({
      msgtype: 'm.text',
      format: 'org.matrix.custom.html',
      // Inside office hours (the bridge's team is always open), the referent is mentioned: their client notifies them.
      formatted_body: `<b>Camille Martin</b> → <a href="https://matrix.to/#/${worker.userId}">Sophie Bernard</a><br>Bonjour, mon rendez-vous &lt;jeudi&gt; &amp; la CAF : c&#39;est toujours bon ?<br>Merci`,
      'm.mentions': { user_ids: [worker.userId] },
    });

    // The room is the person's: named after them, and the worker was invited into it by Lien.
    expect(await worker.client.getStateEvent<{ name: string }>(roomId, 'm.room.name')).toEqual({ name: 'Camille Martin' });
    const memberships = (await worker.events(roomId, 'm.room.member')).filter((e) => e.state_key === worker.userId);
    expect(memberships.map((e) => [e.sender, e.content.membership])).toEqual([
      [bridge.botUserId, 'invite'],
      [worker.userId, 'join'],
    ]);
    expect(await worker.membership(roomId)).toBe('join');

    const reply = 'Bonjour Camille, oui : jeudi à 10h, au 2e étage.';
    const replyId = await worker.say(roomId, reply);
    const [sent] = await twilio.waitForSent(camille.phone);
    // Long enough for a second copy to have gone out (the sweeper passes every 300 ms), were there one.
    await sleep(2_000);
    expect(twilio.to(camille.phone)).toHaveLength(1);
    expect(sent?.form).toEqual({
      To: camille.phone,
      From: SERVICE_NUMBER,
      Body: reply,
      StatusCallback: `${lien.url}/twilio/status`,
    });
    expect(sent?.form.StatusCallback).toMatch(/\/twilio\/status$/);
    expect(sent?.authorization).toBe(`Basic ${Buffer.from(`${bridge.accountSid}:${bridge.authToken}`).toString('base64')}`);

    const stored = await lien.db.models.Message.find({ matrixEventId: replyId, direction: 'outbound' }).lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ twilioSid: sent?.sid, author: worker.userId, channel: 'sms', delivery: { status: 'sent', attempts: 1 } });
    expect(lien.cipher.decrypt(stored[0]?.bodySealed ?? '')).toBe(reply);
  });

  it('takes a webhook Twilio retries (same MessageSid) once: one room message, one stored message', async () => {
    const { worker, lien } = bridge;
    const lucas = await addPerson(bridge, { displayName: 'Lucas Petit' });
    const sid = twilioSid();
    const sms = { from: lucas.phone, body: 'Est-ce que je dois apporter mon avis d\'imposition ?', sid };

    expect((await sendSms(bridge, sms)).status).toBe(200);
    expect((await sendSms(bridge, sms)).status).toBe(200); // Twilio's retry
    const roomId = await joinPortal(bridge, lucas._id);
    await worker.waitForEvent(roomId, "Lucas's SMS", (e) => e.sender === bridge.botUserId && e.content.body === `Lucas Petit: ${sms.body}`);
    // A third copy while the first is already posted, and time for any second posting to show.
    expect((await sendSms(bridge, sms)).status).toBe(200);
    await sleep(2_500);

    expect(await botMessages(bridge, roomId, `Lucas Petit: ${sms.body}`)).toHaveLength(1);
    expect(await lien.db.models.Message.countDocuments({ twilioSid: sid })).toBe(1);
    expect(await lien.db.models.Message.countDocuments({ person: lucas._id, direction: 'inbound' })).toBe(1);
  });

  it('refuses a webhook whose signature is wrong or missing, and stores nothing of it', async () => {
    const { lien } = bridge;
    const conversationsBefore = await lien.db.models.Conversation.countDocuments({});
    const stranger = mobileNumber();
    const url = `${lien.url}/twilio/sms`;
    const sid = twilioSid();
    const sms = { from: stranger, body: 'Bonjour', sid };

    const wrongToken = await sendSms(bridge, sms, { signature: signTwilioRequest('not-the-auth-token', url, inboundParams(bridge, sms)) });
    expect(wrongToken.status).toBe(403);
    expect(JSON.parse(wrongToken.text)).toEqual({ error: { status: 403, code: 'bad_signature', message: expect.any(String) } });

    // Signed for another text than the one posted.
    const tampered = await sendSms(bridge, sms, { signature: signTwilioRequest(bridge.authToken, url, inboundParams(bridge, { ...sms, body: 'autre chose' })) });
    expect(tampered.status).toBe(403);

    const unsigned = await sendSms(bridge, sms, { signature: null });
    expect(unsigned.status).toBe(403);
    expect(JSON.parse(unsigned.text)).toMatchObject({ error: { code: 'bad_signature' } });

    const unsignedStatus = await fetch(`${lien.url}/twilio/status`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ MessageSid: sid, MessageStatus: 'delivered' }).toString(),
    });
    expect(unsignedStatus.status).toBe(403);

    await sleep(500);
    expect(await lien.db.models.Message.countDocuments({ twilioSid: sid })).toBe(0);
    expect(await lien.db.models.Person.exists({ phoneIndex: lien.cipher.blindIndex(stranger) })).toBeNull();
    expect(await lien.db.models.Conversation.countDocuments({})).toBe(conversationsBefore);
  });
});
