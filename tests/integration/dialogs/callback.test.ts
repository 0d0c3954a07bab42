/**
 * Asking to be called back (need 11), as SMS exchanges with a fixed clock (Tuesday 10 March 2037, 10:00
 * in Paris): when can the person speak freely, may a voicemail be left; the request is stored with its
 * window, the referent's room is told, the person gets a confirmation. What the bot cannot read goes to
 * the room, is asked once more, then handed over to a human.
 */
import { describe, expect, it } from 'vitest';
import { formatWhen } from '../../../src/domain/when.js';
import { addPerson, joinPortal, useBridge } from '../../support/bridge.js';
import { botSms, fate, noMoreSms, relayed, roomNotice, TestClock, text, waitForNoticeEnding } from '../../support/dialogs.js';
import { waitFor } from '../../support/wait.js';

const clock = new TestClock(new Date('2037-03-10T09:00:00Z'));
const TZ = 'Europe/Paris';

describe('dialogs: call-back requests', () => {
  const bridge = useBridge({}, { now: clock.now });

  async function requestOf(personId: unknown) {
    return waitFor('the call-back request', async () => bridge.lien.db.models.CallbackRequest.findOne({ person: personId }).sort({ createdAt: -1 }).lean());
  }

  it('"rappelez-moi", "demain à 14h", "oui": a request for Wednesday 14:00-14:30, a voicemail allowed, the referent told', async () => {
    const leo = await addPerson(bridge, { displayName: 'Léo Marchand' });
    await text(bridge, leo.phone, 'Bonjour');
    const roomId = await joinPortal(bridge, leo._id);

    const { sid: ask, replies } = await text(bridge, leo.phone, 'Rappelez-moi svp', 1);
    expect(replies).toEqual([botSms('fr', 'callbackAskWhen')]);
    const window = { start: new Date('2037-03-11T13:00:00Z'), end: new Date('2037-03-11T13:30:00Z'), kind: 'datetime' };
    const { sid: when, replies: voicemail } = await text(bridge, leo.phone, 'demain à 14h', 1);
    expect(voicemail).toEqual([botSms('fr', 'callbackAskVoicemail', { when: formatWhen(window, TZ, 'fr') })]);
    expect(voicemail[0]).toContain('mercredi 11/03 entre 14:00 et 14:30');
    const { sid: yes, replies: done } = await text(bridge, leo.phone, 'oui', 1);
    expect(done).toEqual([botSms('fr', 'callbackDone', { when: formatWhen(window, TZ, 'fr') })]);

    expect(await requestOf(leo._id)).toMatchObject({ windowStart: window.start, windowEnd: window.end, dueAt: window.start, voicemailAllowed: true, status: 'open' });
    for (const sid of [ask, when, yes]) expect(await fate(bridge, sid)).toBe('consumed');
    const notice = (await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.callbackRequested', { name: 'Léo Marchand', when: formatWhen(window, TZ, 'fr'), voicemail: roomNotice('bot.room.voicemail.yes') }))) as { content: Record<string, unknown> };
    expect(notice.content['m.mentions']).toEqual({ user_ids: [bridge.worker.userId] });
  });

  it('from the menu (3): "lundi matin", "non": Monday 08:00-12:00, no voicemail', async () => {
    const mia = await addPerson(bridge, { displayName: 'Mia Robert' });
    await text(bridge, mia.phone, 'menu', 1);
    expect((await text(bridge, mia.phone, '3', 1)).replies).toEqual([botSms('fr', 'callbackAskWhen')]);
    const window = { start: new Date('2037-03-16T07:00:00Z'), end: new Date('2037-03-16T11:00:00Z'), kind: 'date+part-of-day' };
    expect((await text(bridge, mia.phone, 'lundi matin', 1)).replies).toEqual([botSms('fr', 'callbackAskVoicemail', { when: formatWhen(window, TZ, 'fr') })]);
    expect((await text(bridge, mia.phone, 'Non merci', 1)).replies).toEqual([botSms('fr', 'callbackDone', { when: formatWhen(window, TZ, 'fr') })]);
    expect(await requestOf(mia._id)).toMatchObject({ windowStart: window.start, windowEnd: window.end, voicemailAllowed: false });
    const roomId = await joinPortal(bridge, mia._id);
    await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.callbackRequested', { name: 'Mia Robert', when: formatWhen(window, TZ, 'fr'), voicemail: roomNotice('bot.room.voicemail.no') }));
  });

  it('in English: "call me back", "tomorrow at 2pm", "yes"', async () => {
    const tom = await addPerson(bridge, { displayName: 'Tom Baker', language: 'en' });
    expect((await text(bridge, tom.phone, 'Call me back please', 1)).replies).toEqual([botSms('en', 'callbackAskWhen')]);
    const window = { start: new Date('2037-03-11T13:00:00Z'), end: new Date('2037-03-11T13:30:00Z'), kind: 'datetime' };
    const { replies } = await text(bridge, tom.phone, 'tomorrow at 2pm', 1);
    expect(replies).toEqual([botSms('en', 'callbackAskVoicemail', { when: formatWhen(window, TZ, 'en') })]);
    expect(replies[0]).toContain('Wed 11/03 between 14:00 and 14:30');
    expect((await text(bridge, tom.phone, 'yes', 1)).replies).toEqual([botSms('en', 'callbackDone', { when: formatWhen(window, TZ, 'en') })]);
    expect(await requestOf(tom._id)).toMatchObject({ windowStart: window.start, voicemailAllowed: true });
  });

  it('asks once more with examples when it cannot read the answer, then hands over to a human (plain French)', async () => {
    const noa = await addPerson(bridge, { displayName: 'Noa Petit', language: 'fr-falc' });
    await text(bridge, noa.phone, 'Bonjour');
    const roomId = await joinPortal(bridge, noa._id);
    expect((await text(bridge, noa.phone, 'rappel', 1)).replies).toEqual([botSms('fr-falc', 'callbackAskWhen')]);

    const vague = "c'est compliqué avec les enfants";
    const { sid: first, replies } = await text(bridge, noa.phone, vague, 1);
    expect(replies).toEqual([botSms('fr-falc', 'callbackAskWhenAgain')]);
    // Not understood, so a human reads it.
    await relayed(bridge, roomId, 'Noa Petit', vague);
    expect(await fate(bridge, first)).not.toBe('consumed');

    const again = 'je sais pas trop';
    const { replies: handover } = await text(bridge, noa.phone, again, 1);
    expect(handover).toEqual([botSms('fr-falc', 'callbackHandover')]);
    await relayed(bridge, roomId, 'Noa Petit', again);
    await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.callbackHandover', { name: 'Noa Petit' }));
    expect(await bridge.lien.db.models.CallbackRequest.countDocuments({ person: noa._id })).toBe(0);

    // The dialog is over: the next message is free text, with no bot answer.
    await text(bridge, noa.phone, 'demain à 14h');
    await relayed(bridge, roomId, 'Noa Petit', 'demain à 14h');
    await noMoreSms(bridge, noa.phone, 3);
  });
});
