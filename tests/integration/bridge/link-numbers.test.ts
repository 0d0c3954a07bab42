/**
 * Phone numbers as people and workers write them, end to end: a Réunion number texting as Twilio gives it
 * (+262…), linked by a worker who types it the French way (0692…), and the same number written through +33
 * are one person; and `!lier` never takes an unreadable number, the service's own, nor replaces a followed
 * person's number without being asked to.
 */
import { describe, expect, it } from 'vitest';
import { addPerson, frText, joinPortal, mobileNumber, portalRoomOf, sendSms, SERVICE_NUMBER, sleep, triageRoomOf, useBridge, waitForNotice } from '../../support/bridge.js';
import { maskedPhone } from '../../../src/domain/phone-mask.js';

describe('bridge: phone numbers and !lier', () => {
  const bridge = useBridge();
  const personsWithPhone = (phone: string) => bridge.lien.db.models.Person.find({ phoneIndex: bridge.lien.cipher.blindIndex(phone) }).lean();

  it('makes one person of 0692123456, +262692123456 and 0033692123456', async () => {
    const { worker, twilio, lien } = bridge;
    const reunion = '+262692123456';

    // Awa texts from her Réunion mobile: Twilio gives her number with its own country code.
    const first = "Bonjour, c'est Awa, je suis à Saint-Denis maintenant.";
    expect((await sendSms(bridge, { from: reunion, body: first })).status).toBe(200);
    const triageId = await triageRoomOf(bridge);
    await worker.joinWhenInvited(triageId);
    await worker.waitForEvent(triageId, 'the Réunion SMS', (e) => e.sender === bridge.botUserId && e.content.body === `${frText('room.unknownLabel', { phone: maskedPhone(reunion) })}: ${first}`);
    await twilio.waitForSent(reunion, 1); // the first-contact notice, to the number she texts from

    // The worker links the number as it is written in France.
    await worker.say(triageId, '!lier 0692 12 34 56 Awa Hoarau');
    await waitForNotice(bridge, triageId, frText('command.linkCreated', { name: 'Awa Hoarau', referent: worker.displayName }));
    const [awa, ...others] = await personsWithPhone(reunion);
    expect(others).toEqual([]);
    expect(awa).toMatchObject({ displayName: 'Awa Hoarau', triage: false, team: bridge.team._id });
    if (!awa) throw new Error('Awa was not linked');
    expect(lien.cipher.decrypt(awa.phoneSealed)).toBe(reunion);
    expect(await personsWithPhone('+33692123456')).toEqual([]);
    const portalId = await portalRoomOf(bridge, awa._id);
    expect(portalId).not.toBe(triageId);
    await worker.joinWhenInvited(portalId);

    // Her number as "0033 692…" reaches Twilio's webhook as +33692123456, or as it was typed: Awa's room both times.
    for (const [from, body] of [['+33692123456', 'Je reviens en métropole en janvier.'], ['0033692123456', 'Merci pour le dossier.']] as const) {
      expect((await sendSms(bridge, { from, body })).status).toBe(200);
      await worker.waitForEvent(portalId, `the SMS from ${from} in Awa's room`, (e) => e.sender === bridge.botUserId && e.content.body === `Awa Hoarau: ${body}`);
    }
    // Then once more from +262…, the number Twilio really gives.
    expect((await sendSms(bridge, { from: reunion, body: 'À bientôt.' })).status).toBe(200);
    await worker.waitForEvent(portalId, "the last SMS in Awa's room", (e) => e.sender === bridge.botUserId && e.content.body === 'Awa Hoarau: À bientôt.');

    // One person, one conversation, all four messages hers; nothing more in triage.
    expect(await lien.db.models.Person.countDocuments({ displayName: 'Awa Hoarau' })).toBe(1);
    expect(await lien.db.models.Conversation.countDocuments({ person: awa._id })).toBe(1);
    expect(await lien.db.models.Message.countDocuments({ person: awa._id, direction: 'inbound' })).toBe(4);
    const inTriage = (await worker.messagesFrom(triageId, bridge.botUserId)).map((e) => String(e.content.body));
    expect(inTriage.filter((b) => b.includes('métropole') || b.includes('dossier') || b.includes('bientôt'))).toEqual([]);

    // The worker's answer goes to the one number she has.
    await worker.say(portalId, 'Bonne installation, Awa.');
    const sent = await twilio.waitForSent(reunion, 2);
    expect(sent.at(-1)?.form).toMatchObject({ To: reunion, From: SERVICE_NUMBER, Body: 'Bonne installation, Awa.' });
    expect(twilio.to('+33692123456')).toEqual([]);
  });

  it('refuses an unreadable number and the service\'s own, creating nobody', async () => {
    const { worker, lien } = bridge;
    // An unknown number's SMS opens the triage room (if the test before has not).
    expect((await sendSms(bridge, { from: mobileNumber(), body: 'Bonjour ?' })).status).toBe(200);
    const triageId = await triageRoomOf(bridge);
    await worker.joinWhenInvited(triageId);
    const before = await lien.db.models.Person.countDocuments({});

    for (const typed of ['06 12 34', '0692 12 34 56 78', '+33 7 00 00 00 00']) {
      await worker.say(triageId, `!lier ${typed} Jean Dupont`);
      await waitForNotice(bridge, triageId, frText('command.linkBadNumber', { input: typed }));
    }
    for (const typed of ['+33 7 57 00 00 00', '07 57 00 00 00']) {
      await worker.say(triageId, `!lier ${typed} Service Social`);
      await waitForNotice(bridge, triageId, frText('command.linkOwnNumber', { phone: SERVICE_NUMBER }));
    }
    expect(await lien.db.models.Person.countDocuments({})).toBe(before);
    expect(await personsWithPhone(SERVICE_NUMBER)).toEqual([]);
    expect(await lien.db.models.Person.countDocuments({ displayName: { $in: ['Jean Dupont', 'Service Social'] } })).toBe(0);
  });

  it("asks before replacing a followed person's number, and replaces it when confirmed", async () => {
    const { worker, twilio, lien } = bridge;
    const camille = await addPerson(bridge, { displayName: 'Camille Martin' });
    const camilleRoom = await (async () => {
      expect((await sendSms(bridge, { from: camille.phone, body: 'Bonjour, ici Camille.' })).status).toBe(200);
      return joinPortal(bridge, camille._id);
    })();

    // A number nobody knows texts; the worker thinks it is Camille's new one.
    const newNumber = mobileNumber();
    expect((await sendSms(bridge, { from: newNumber, body: "C'est Camille, j'ai un nouveau téléphone." })).status).toBe(200);
    const triageId = await triageRoomOf(bridge);
    await worker.joinWhenInvited(triageId);
    await worker.waitForEvent(triageId, 'the new number in triage', (e) => e.sender === bridge.botUserId && String(e.content.body).startsWith(frText('room.unknownLabel', { phone: maskedPhone(newNumber) })));

    // The first !lier only asks: nothing changes, Camille's old number still reaches her room.
    await worker.say(triageId, `!lier ${newNumber} Camille Martin`);
    await waitForNotice(bridge, triageId, frText('command.linkConfirmReplace', { name: 'Camille Martin', old: camille.phone, phone: newNumber, prefix: '!' }));
    expect((await lien.db.models.Person.findById(camille._id).lean())?.phoneIndex).toBe(lien.cipher.blindIndex(camille.phone));
    expect(await personsWithPhone(newNumber)).toMatchObject([{ triage: true }]);
    expect((await sendSms(bridge, { from: camille.phone, body: 'Toujours là ?' })).status).toBe(200);
    await worker.waitForEvent(camilleRoom, 'the old number still in her room', (e) => e.sender === bridge.botUserId && e.content.body === 'Camille Martin: Toujours là ?');
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'person.number_changed', 'subject.id': String(camille._id) })).toBe(0);

    // Confirmed: the number moves to Camille, with what it said in triage.
    await worker.say(triageId, `!lier ${newNumber} Camille Martin confirmer`);
    await waitForNotice(bridge, triageId, frText('command.linkMoved', { name: 'Camille Martin', phone: newNumber }));
    const moved = await lien.db.models.Person.findById(camille._id).lean();
    expect(moved?.phoneIndex).toBe(lien.cipher.blindIndex(newNumber));
    expect(lien.cipher.decrypt(moved?.phoneSealed ?? '')).toBe(newNumber);
    expect(await personsWithPhone(newNumber)).toMatchObject([{ _id: camille._id, triage: false }]);
    expect(await lien.db.models.Message.countDocuments({ person: camille._id, direction: 'inbound' })).toBe(3);
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'person.number_changed', 'subject.id': String(camille._id) })).toBe(1);

    expect((await sendSms(bridge, { from: newNumber, body: 'Voilà mon nouveau numéro.' })).status).toBe(200);
    await worker.waitForEvent(camilleRoom, 'the new number in her room', (e) => e.sender === bridge.botUserId && e.content.body === 'Camille Martin: Voilà mon nouveau numéro.');
    const toOld = twilio.to(camille.phone).length;
    const toNew = twilio.sentTo(newNumber).length; // the first-contact notice it had as an unknown number
    await worker.say(camilleRoom, 'Bien noté, Camille.');
    const sent = await twilio.waitForSent(newNumber, toNew + 1);
    expect(sent.at(-1)?.form).toMatchObject({ To: newNumber, Body: 'Bien noté, Camille.' });
    await sleep(1_000);
    expect(twilio.to(camille.phone)).toHaveLength(toOld);
  });
});
