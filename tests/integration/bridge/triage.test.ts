/**
 * A number nobody knows: its SMS go to the team's triage room, it gets one polite automatic answer, and
 * once a worker links it to a person (`!lier`), its next SMS go to that person's own room.
 */
import { describe, expect, it } from 'vitest';
import { botMessages, frText, portalRoomOf, sendSms, SERVICE_NUMBER, sleep, triageRoomOf, useBridge, waitForNotice } from '../../support/bridge.js';
import { maskedPhone } from '../../../src/domain/phone-mask.js';

describe('bridge: unknown numbers, triage and !lier', () => {
  const bridge = useBridge();

  it("puts an unknown number's SMS in the triage room with one automatic reply, and after !lier its next SMS in the person's own room", async () => {
    const { worker, twilio, lien } = bridge;
    const unknown = '+33698765432';
    const label = frText('room.unknownLabel', { phone: maskedPhone(unknown) });

    const first = "Bonjour, c'est bien le service social ? J'ai un nouveau numéro.";
    expect((await sendSms(bridge, { from: unknown, body: first })).status).toBe(200);
    const triageId = await triageRoomOf(bridge);
    await worker.joinWhenInvited(triageId);
    expect(await worker.client.getStateEvent<{ name: string }>(triageId, 'm.room.name')).toEqual({ name: frText('room.triageName') });
    const posted = await worker.waitForEvent(triageId, 'the unknown SMS', (e) => e.sender === bridge.botUserId && e.content.body === `${label}: ${first}`);
    expect(posted.content.formatted_body).toContain(`<b>${label}</b>`);
    // The label is stored in clear: it shows the number masked ("+33 6 •• •• •• 32"), the hint above gives it whole.
    expect(label).toContain('+33 6 •• •• •• 32');
    const stored = await lien.db.models.Person.find({ triage: true }, { displayName: 1 }).lean();
    expect(stored.map((p) => p.displayName)).toContain(label);
    expect(stored.some((p) => p.displayName.includes('98765432'))).toBe(false);
    const hint = frText('room.triageArrived', { phone: unknown, prefix: '!' });
    await waitForNotice(bridge, triageId, hint);

    // Its one automatic answer is the first-contact notice (who reads, how long it is kept, STOP): it also
    // says a person of the team will read it, so the day's "unknown number" answer does not follow.
    const [autoReply] = await twilio.waitForSent(unknown);
    expect(autoReply?.form).toMatchObject({ To: unknown, From: SERVICE_NUMBER, Body: frText('bot.sms.firstContact', { team: bridge.team.name, months: String(bridge.retentionMonths), url: `${lien.url}/notice?lang=fr` }) });

    // The same number texts again: into triage too, and no second automatic reply.
    const second = 'Je voudrais parler à mon assistante sociale.';
    expect((await sendSms(bridge, { from: unknown, body: second })).status).toBe(200);
    await worker.waitForEvent(triageId, 'the second unknown SMS', (e) => e.sender === bridge.botUserId && e.content.body === `${label}: ${second}`);
    // A reply typed in triage cannot leave: the worker is told so.
    const attempt = await worker.say(triageId, 'Bonjour, qui êtes-vous ?');
    await waitForNotice(bridge, triageId, frText('room.replyInTriage', { prefix: '!' }));
    await sleep(2_000);
    expect(twilio.to(unknown)).toHaveLength(1);
    expect(await botMessages(bridge, triageId, hint)).toHaveLength(1);
    expect(await lien.db.models.Message.exists({ matrixEventId: attempt })).toBeNull();

    // The worker links the number to a new person.
    await worker.say(triageId, '!lier +33 6 98 76 54 32 Jean Dupont');
    await waitForNotice(bridge, triageId, frText('command.linkCreated', { name: 'Jean Dupont', referent: worker.displayName }));
    const jean = await lien.db.models.Person.findOne({ phoneIndex: lien.cipher.blindIndex(unknown) }).lean();
    expect(jean).toMatchObject({ displayName: 'Jean Dupont', triage: false, referent: worker.doc._id, team: bridge.team._id });
    if (!jean) throw new Error('Jean Dupont was not created');

    const third = "Merci, c'est Jean. Je passe demain ?";
    expect((await sendSms(bridge, { from: unknown, body: third })).status).toBe(200);
    const portalId = await portalRoomOf(bridge, jean._id);
    expect(portalId).not.toBe(triageId);
    await worker.joinWhenInvited(portalId);
    await worker.waitForEvent(portalId, "Jean's SMS in his room", (e) => e.sender === bridge.botUserId && e.content.body === `Jean Dupont: ${third}`);
    expect(await worker.client.getStateEvent<{ name: string }>(portalId, 'm.room.name')).toEqual({ name: 'Jean Dupont' });
    await sleep(1_000);
    const inTriage = (await worker.messagesFrom(triageId, bridge.botUserId)).map((e) => String(e.content.body));
    expect(inTriage.filter((b) => b.includes(third))).toEqual([]);
    expect(twilio.to(unknown)).toHaveLength(1);

    // Jean is a person now: the worker's answer in his room goes out as an SMS.
    const answer = 'Oui Jean, demain à 14h.';
    await worker.say(portalId, answer);
    const [, sent] = await twilio.waitForSent(unknown, 2);
    expect(sent?.form).toMatchObject({ To: unknown, From: SERVICE_NUMBER, Body: answer });
  });
});
