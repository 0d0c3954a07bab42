/**
 * First contact (need 9): a person's very first SMS brings them a short notice in plain words, in their
 * language (who runs the service, that a human reads, how long it is kept, STOP, a link to the full
 * notice), while their message goes to the room all the same; their consent is recorded and audited.
 * The full notice is served by Lien, in each language.
 */
import { describe, expect, it } from 'vitest';
import { NOTICE_VERSION } from '../../../src/domain/notice.js';
import { addPerson, joinPortal, mobileNumber, triageRoomOf, useBridge } from '../../support/bridge.js';
import { botSms, fate, noMoreSms, relayed, smsTo, TestClock, text, translator } from '../../support/dialogs.js';
import { maskedPhone } from '../../../src/domain/phone-mask.js';

// A Tuesday, 10:00 in Paris: the team is open, the person's welcome hours have begun.
const clock = new TestClock(new Date('2037-03-10T09:00:00Z'));

describe('dialogs: first contact and the privacy notice', () => {
  const bridge = useBridge({}, { now: clock.now, acknowledgeDaily: true });
  const noticeVars = (language: string) => ({ team: bridge.team.name, months: bridge.retentionMonths, url: `${bridge.lien.url}/notice?lang=${language}` });

  it('sends the notice before anything else, relays the first message all the same, and records the consent once', async () => {
    const { lien } = bridge;
    const lea = await addPerson(bridge, { displayName: 'Léa Garnier', informed: false });
    const first = "Bonjour, j'ai reçu un courrier de la CAF, je ne comprends pas.";

    const { sid, replies } = await text(bridge, lea.phone, first, 1);
    expect(replies).toEqual([botSms('fr', 'firstContact', noticeVars('fr'))]);
    expect(replies[0]).toContain(`${bridge.lien.url}/notice?lang=fr`);
    // Never held hostage: the message reaches the room, as text, at once.
    const roomId = await joinPortal(bridge, lea._id);
    await relayed(bridge, roomId, 'Léa Garnier', first);
    expect(await fate(bridge, sid)).toMatch(/pending|sending|sent/);

    const stored = await lien.db.models.Person.findById(lea._id).lean();
    expect(stored?.consent).toEqual({ noticeVersion: NOTICE_VERSION, givenAt: clock.at, channel: 'sms' });
    const audited = await lien.db.models.AuditEvent.find({ action: 'person.consent_recorded', 'subject.id': String(lea._id) }).lean();
    expect(audited).toHaveLength(1);
    expect(audited[0]?.details).toEqual({ noticeVersion: NOTICE_VERSION, channel: 'sms' });

    // The next message: relayed, and no second automatic SMS the same day (no notice, no acknowledgement).
    const second = 'Je peux passer demain ?';
    await text(bridge, lea.phone, second);
    await relayed(bridge, roomId, 'Léa Garnier', second);
    await noMoreSms(bridge, lea.phone, 1);
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'person.consent_recorded', 'subject.id': String(lea._id) })).toBe(1);
  });

  it('writes the notice in plain French (FALC) and in English, with the link to the page in that language', async () => {
    const malik = await addPerson(bridge, { displayName: 'Malik Benali', informed: false, language: 'fr-falc' });
    const { replies: falc } = await text(bridge, malik.phone, 'bonjour', 1);
    expect(falc).toEqual([botSms('fr-falc', 'firstContact', noticeVars('fr-falc'))]);
    expect(falc[0]).toContain('Une personne lit vos messages.');

    const grace = await addPerson(bridge, { displayName: 'Grace Okafor', informed: false, language: 'en' });
    const { replies: en } = await text(bridge, grace.phone, 'Hello, I need help with my housing file', 1);
    expect(en).toEqual([botSms('en', 'firstContact', noticeVars('en'))]);
    expect(en[0]).toMatch(/^Hello, this is Service social de Bellevue\. A person from the team reads your messages/);
    const roomId = await joinPortal(bridge, grace._id);
    await relayed(bridge, roomId, 'Grace Okafor', 'Hello, I need help with my housing file');
  });

  it('gives an unknown number the notice as its one automatic answer, not the notice and the "unknown number" reply', async () => {
    const stranger = mobileNumber();
    const { replies } = await text(bridge, stranger, "Bonjour, on m'a donné ce numéro à l'accueil.", 1);
    expect(replies).toEqual([botSms('fr', 'firstContact', noticeVars('fr'))]);
    const triageId = await triageRoomOf(bridge);
    await bridge.worker.joinWhenInvited(triageId);
    await relayed(bridge, triageId, translator.t('fr', 'room.unknownLabel', { phone: maskedPhone(stranger) }), "Bonjour, on m'a donné ce numéro à l'accueil.");
    await text(bridge, stranger, 'Vous êtes là ?');
    await noMoreSms(bridge, stranger, 1);
    expect(smsTo(bridge, stranger)).not.toContain(translator.t('fr', 'sms.unknownNumber'));
  });

  it('serves the full notice as an accessible page in each language, from the locales', async () => {
    for (const language of ['fr', 'fr-falc', 'en'] as const) {
      const res = await fetch(`${bridge.lien.url}/notice?lang=${language}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain(`<html lang="${language === 'en' ? 'en' : 'fr'}">`);
      expect(html).toContain(`<h1>${translator.t(language, 'bot.notice.title').replace(/'/g, '&#39;')}</h1>`);
      expect(html).toContain(translator.t(language, 'bot.notice.keep', { months: bridge.retentionMonths }).replace(/'/g, '&#39;'));
      expect(html).toContain('Service social de Bellevue');
      expect(html).toContain(NOTICE_VERSION);
      expect(html).not.toContain('<script');
    }
    // An unknown language falls back to French rather than failing.
    const fallback = await (await fetch(`${bridge.lien.url}/notice?lang=xx`)).text();
    expect(fallback).toContain(`<h1>${translator.t('fr', 'bot.notice.title').replace(/'/g, '&#39;')}</h1>`);
  });
});
