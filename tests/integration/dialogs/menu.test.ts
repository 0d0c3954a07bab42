/**
 * The menu on demand, the language and the preferences, as SMS exchanges. What the bot takes as an
 * answer (a keyword, a number, a time range) is not posted in the room as text; the room hears of the
 * outcome when it matters to the workers. Free text goes to the room at once, and the bot answers it
 * only with one acknowledgement a day, while the team is open and the person welcomes messages.
 */
import { describe, expect, it } from 'vitest';
import { addPerson, joinPortal, useBridge } from '../../support/bridge.js';
import { botSms, fate, noMoreSms, relayed, roomBodies, roomNotice, smsTo, TestClock, text, waitForNoticeEnding } from '../../support/dialogs.js';
import { waitFor } from '../../support/wait.js';

// Tuesday 10 March 2037, 10:00 in Paris: open, and within the default welcome hours (08:00-20:00).
const clock = new TestClock(new Date('2037-03-10T09:00:00Z'));

describe('dialogs: menu, language, preferences, acknowledgement', () => {
  const bridge = useBridge({}, { now: clock.now, acknowledgeDaily: true });

  it('shows the menu for AIDE / MENU / HELP / 0 however typed, and takes a number as a choice, not as a message', async () => {
    const nina = await addPerson(bridge, { displayName: 'Nina Roux' });
    const { sid: aide, replies } = await text(bridge, nina.phone, ' aide ! ', 1);
    expect(replies).toEqual([botSms('fr', 'menu')]);
    expect(await fate(bridge, aide)).toBe('consumed');

    expect((await text(bridge, nina.phone, '4', 1)).replies).toEqual([botSms('fr', 'menuVoice')]);
    for (const keyword of ['Menu', 'HELP', '0']) {
      const { sid, replies: menu } = await text(bridge, nina.phone, keyword, 1);
      expect(menu).toEqual([botSms('fr', 'menu')]);
      expect(await fate(bridge, sid)).toBe('consumed');
    }
    expect((await text(bridge, nina.phone, '7.', 1)).replies).toEqual([botSms('fr', 'menuStop')]);
    expect((await text(bridge, nina.phone, 'Menú', 1)).replies).toEqual([botSms('fr', 'menu')]);
    const { sid: one, replies: write } = await text(bridge, nina.phone, '1', 1);
    expect(write).toEqual([botSms('fr', 'menuWrite')]);
    expect(await fate(bridge, one)).toBe('consumed');

    // A sentence is free text: at once in the room.
    const question = 'Est-ce que ma demande de logement avance ?';
    const { sid: free } = await text(bridge, nina.phone, question);
    const roomId = await joinPortal(bridge, nina._id);
    await relayed(bridge, roomId, 'Nina Roux', question);
    expect(await fate(bridge, free)).not.toBe('consumed');
    const bodies = await roomBodies(bridge, roomId);
    for (const taken of ['aide', 'Menu', 'HELP', '0', '4', '7.', '1']) expect(bodies.some((b) => b.trim() === `Nina Roux: ${taken}`.trim())).toBe(false);
  });

  it('forgets a menu left unanswered: a number typed after 30 minutes is a message, and any other answer goes to the room', async () => {
    const omar = await addPerson(bridge, { displayName: 'Omar Diallo' });
    await text(bridge, omar.phone, 'MENU', 1);
    const sentence = 'En fait je voulais juste dire merci pour hier';
    // Omar's first free text of the day: relayed, and acknowledged.
    const { sid, replies } = await text(bridge, omar.phone, sentence, 1);
    expect(replies).toEqual([botSms('fr', 'ack')]);
    const roomId = await joinPortal(bridge, omar._id);
    await relayed(bridge, roomId, 'Omar Diallo', sentence);
    expect(await fate(bridge, sid)).not.toBe('consumed');

    await text(bridge, omar.phone, 'menu', 1);
    clock.advance(31 * 60_000);
    try {
      const { sid: late } = await text(bridge, omar.phone, '3');
      await relayed(bridge, roomId, 'Omar Diallo', '3');
      expect(await fate(bridge, late)).not.toBe('consumed');
      await noMoreSms(bridge, omar.phone, 3);
    } finally {
      clock.advance(-31 * 60_000);
    }
  });

  it('acknowledges the first free text of the day only, only while the team is open and the person welcomes messages', async () => {
    const paul = await addPerson(bridge, { displayName: 'Paul Mercier' });
    const { replies } = await text(bridge, paul.phone, "Bonjour, c'est Paul.", 1);
    expect(replies).toEqual([botSms('fr', 'ack')]);
    const roomId = await joinPortal(bridge, paul._id);
    await text(bridge, paul.phone, 'Je voulais vous demander quelque chose.');
    await noMoreSms(bridge, paul.phone, 1);

    // The next day at 21:00: the team is closed (its own automatic answer says so): relayed, no acknowledgement.
    clock.advance(35 * 3600_000);
    try {
      const { sid, replies: closed } = await text(bridge, paul.phone, 'Vous êtes là ?', 1);
      expect(closed).not.toContain(botSms('fr', 'ack'));
      expect(await fate(bridge, sid)).not.toBe('consumed');
      await noMoreSms(bridge, paul.phone, 2);
    } finally {
      clock.advance(-35 * 3600_000);
    }
    // Paul welcomes messages only from 18:00: at 10:00 the next day, no acknowledgement either.
    await bridge.lien.db.models.Person.updateOne({ _id: paul._id }, { $set: { 'preferences.welcomeFrom': '18:00', 'preferences.welcomeUntil': '21:00' } });
    clock.advance(48 * 3600_000);
    try {
      await text(bridge, paul.phone, 'Bonjour');
      await noMoreSms(bridge, paul.phone, 2);
    } finally {
      clock.advance(-48 * 3600_000);
    }
    await waitFor('four messages of Paul in the room', async () => (await roomBodies(bridge, roomId)).filter((b) => b.startsWith('Paul Mercier: ')).length === 4);
  });

  it('lets the person choose their language by number or by name, tells the room, and writes on in that language', async () => {
    const sara = await addPerson(bridge, { displayName: 'Sara Haddad' });
    const { sid, replies } = await text(bridge, sara.phone, 'LANGUE', 1);
    expect(replies).toEqual([botSms('fr', 'languageAsk')]);
    expect((await text(bridge, sara.phone, '3', 1)).replies).toEqual([botSms('en', 'languageSet')]);
    expect(await fate(bridge, sid)).toBe('consumed');
    expect((await bridge.lien.db.models.Person.findById(sara._id).lean())?.language).toBe('en');
    const roomId = await joinPortal(bridge, sara._id);
    await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.languageChanged', { name: 'Sara Haddad', language: roomNotice('bot.languageName.en') }));
    expect((await text(bridge, sara.phone, 'help', 1)).replies).toEqual([botSms('en', 'menu')]);

    expect((await text(bridge, sara.phone, 'Language français', 1)).replies).toEqual([botSms('fr', 'languageSet')]);
    expect((await text(bridge, sara.phone, 'langue facile', 1)).replies).toEqual([botSms('fr-falc', 'languageSet')]);
    expect((await bridge.lien.db.models.Person.findById(sara._id).lean())?.language).toBe('fr-falc');
    // From the menu (6), then by name.
    await text(bridge, sara.phone, 'aide', 1);
    expect((await text(bridge, sara.phone, '6', 1)).replies).toEqual([botSms('fr-falc', 'languageAsk')]);
    expect((await text(bridge, sara.phone, 'english', 1)).replies).toEqual([botSms('en', 'languageSet')]);
    // In Arabic: "language" in Arabic, then 8 as an Arabic keyboard types it; the menu then comes in Arabic.
    expect((await text(bridge, sara.phone, 'اللغة', 1)).replies).toEqual([botSms('en', 'languageAsk')]);
    expect((await text(bridge, sara.phone, '٨', 1)).replies).toEqual([botSms('ar', 'languageSet')]);
    expect((await text(bridge, sara.phone, 'MENU', 1)).replies).toEqual([botSms('ar', 'menu')]);

    // The referent sets it from the room.
    await bridge.worker.say(roomId, '!langue fr-falc');
    await waitForNoticeEnding(bridge, roomId, roomNotice('command.languageSet', { name: 'Sara Haddad', language: roomNotice('bot.languageName.fr-falc') }));
    await waitFor('the language set by the referent', async () => (await bridge.lien.db.models.Person.findById(sara._id).lean())?.language === 'fr-falc');
    expect((await text(bridge, sara.phone, '0', 1)).replies).toEqual([botSms('fr-falc', 'menu')]);
  });

  it('changes the preferences (channel, welcome hours, reminders) from the menu, and the room is told each time', async () => {
    const ines = await addPerson(bridge, { displayName: 'Inès Faure' });
    await text(bridge, ines.phone, 'AIDE', 1);
    const { replies } = await text(bridge, ines.phone, '5', 1);
    expect(replies).toEqual([botSms('fr', 'preferencesMenu', { channels: 'SMS', from: '08:00', until: '20:00', reminders: 'oui' })]);

    expect((await text(bridge, ines.phone, '2', 1)).replies).toEqual([botSms('fr', 'preferencesHoursAsk')]);
    const { sid, replies: saved } = await text(bridge, ines.phone, 'de 9h à 18h30', 1);
    expect(saved).toEqual([botSms('fr', 'preferencesSaved', { channels: 'SMS', from: '09:00', until: '18:30', reminders: 'oui' })]);
    expect(await fate(bridge, sid)).toBe('consumed');
    const roomId = await joinPortal(bridge, ines._id);
    await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.preferencesChanged', { name: 'Inès Faure', channels: 'SMS', from: '09:00', until: '18:30', reminders: 'oui' }));

    await text(bridge, ines.phone, 'menu', 1);
    await text(bridge, ines.phone, '5', 1);
    expect((await text(bridge, ines.phone, '1', 1)).replies).toEqual([botSms('fr', 'preferencesChannelAsk')]);
    await text(bridge, ines.phone, 'appel', 1);
    await text(bridge, ines.phone, 'menu', 1);
    await text(bridge, ines.phone, '5', 1);
    expect((await text(bridge, ines.phone, '3', 1)).replies).toEqual([botSms('fr', 'preferencesRemindersAsk')]);
    expect((await text(bridge, ines.phone, 'non merci', 1)).replies).toEqual([botSms('fr', 'preferencesSaved', { channels: 'appel', from: '09:00', until: '18:30', reminders: 'non' })]);
    const stored = await bridge.lien.db.models.Person.findById(ines._id).lean();
    expect(stored?.preferences).toEqual({ channels: ['call'], welcomeFrom: '09:00', welcomeUntil: '18:30', reminders: false });
    await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.preferencesChanged', { name: 'Inès Faure', channels: 'appel', from: '09:00', until: '18:30', reminders: 'non' }));

    // An answer the bot cannot read is the person's message: to the room, preferences untouched. It is
    // Inès's first free text of the day, but she now wants calls, not SMS: no acknowledgement.
    await text(bridge, ines.phone, 'menu', 1);
    await text(bridge, ines.phone, '5', 1);
    await text(bridge, ines.phone, '2', 1);
    const sentSoFar = smsTo(bridge, ines.phone).length;
    await text(bridge, ines.phone, 'plutôt le soir après le travail');
    await relayed(bridge, roomId, 'Inès Faure', 'plutôt le soir après le travail');
    expect((await bridge.lien.db.models.Person.findById(ines._id).lean())?.preferences?.welcomeFrom).toBe('09:00');
    await noMoreSms(bridge, ines.phone, sentSoFar);
  });
});
