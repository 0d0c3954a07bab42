/**
 * A person's turns one at a time: SMS from the same person arriving at the same instant are each read,
 * one after the other, against the state the previous one left. Then the same across two "processes":
 * a second handler stack (its own turn lock, outbox, audit head, dialog state in memory) on the same
 * database, taking half of the SMS while the running Lien takes the other half.
 */
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { createBot } from '../../../src/bot/index.js';
import { Translator } from '../../../src/i18n/translator.js';
import { DeliveryError, Outbox } from '../../../src/outbox/outbox.js';
import type { RoutingContext } from '../../../src/routing/context.js';
import { Directory } from '../../../src/routing/directory.js';
import { InboundSmsHandler } from '../../../src/routing/inbound-sms.js';
import { Claims } from '../../../src/store/claims.js';
import { addPerson, joinPortal, sendSms, SERVICE_NUMBER, twilioSid, useBridge, type Bridge } from '../../support/bridge.js';
import { botSms, noMoreSms, roomBodies, TestClock } from '../../support/dialogs.js';
import { testLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

const clock = new TestClock(new Date('2037-03-10T09:00:00Z'));

/** Every message of the person in the room, once each. */
async function expectRelayedOnce(bridge: Bridge, roomId: string, label: string, bodies: string[]): Promise<void> {
  await waitFor(`${bodies.length} messages in the room`, async () => {
    const seen = await roomBodies(bridge, roomId);
    return bodies.every((b) => seen.includes(`${label}: ${b}`));
  }, 20_000);
  await new Promise((r) => setTimeout(r, 1_500));
  const seen = await roomBodies(bridge, roomId);
  for (const b of bodies) expect(seen.filter((s) => s === `${label}: ${b}`), b).toHaveLength(1);
}

describe('dialogs: one turn at a time per person', () => {
  const bridge = useBridge({}, { now: clock.now });
  const noticeFor = (language: string) => botSms(language, 'firstContact', { team: bridge.team.name, months: bridge.retentionMonths, url: `${bridge.lien.url}/notice?lang=${language}` });

  it('reads five SMS posted at the same instant one after the other: all relayed, one first-contact notice, one consent', async () => {
    const { lien } = bridge;
    const rose = await addPerson(bridge, { displayName: 'Rose Millet', informed: false });
    const bodies = ['Bonjour', 'je vous écris pour mon dossier', 'de logement', 'vous pouvez me rappeler ?', 'merci'];
    const answers = await Promise.all(bodies.map((body) => sendSms(bridge, { from: rose.phone, body, sid: twilioSid() })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);

    const roomId = await joinPortal(bridge, rose._id);
    await expectRelayedOnce(bridge, roomId, 'Rose Millet', bodies);
    expect((await bridge.twilio.waitForSent(rose.phone, 1))[0]?.form.Body).toBe(noticeFor('fr'));
    await noMoreSms(bridge, rose.phone, 1);
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'person.consent_recorded', 'subject.id': String(rose._id) })).toBe(1);
    expect(await lien.db.models.Message.countDocuments({ person: rose._id, direction: 'inbound', 'delivery.status': 'held' })).toBe(0);
  });

  it('keeps a dialog consistent when its answer and the next message arrive together', async () => {
    const { lien } = bridge;
    const jules = await addPerson(bridge, { displayName: 'Jules Fabre' });
    await sendSms(bridge, { from: jules.phone, body: 'AIDE', sid: twilioSid() });
    await bridge.twilio.waitForSent(jules.phone, 1);
    // "6" answers the menu (the language list follows), and "2" then answers that list: French made easy.
    // Read in the other order, "2" would answer the menu and "6" would be free text. Either way: one
    // coherent story, never a lost answer or two dialogs at once.
    await Promise.all([sendSms(bridge, { from: jules.phone, body: '6', sid: twilioSid() }), sendSms(bridge, { from: jules.phone, body: '2', sid: twilioSid() })]);
    const sent = await bridge.twilio.waitForSent(jules.phone, 2);
    await new Promise((r) => setTimeout(r, 1_500));
    const after = bridge.twilio.sentTo(jules.phone).map((r) => r.form.Body);
    const language = (await lien.db.models.Person.findById(jules._id).lean())?.language;
    if (sent[1]?.form.Body === botSms('fr', 'languageAsk')) {
      expect(after.slice(1)).toEqual([botSms('fr', 'languageAsk'), botSms('fr-falc', 'languageSet')]);
      expect(language).toBe('fr-falc');
    } else {
      expect(after[1]).toBe(botSms('fr', 'noAppointment'));
      expect(language).toBe('fr');
    }
  });

  it('runs again the turn of a message a crash left held, and relays without the bot one held for minutes', async () => {
    const { lien } = bridge;
    const { Message, Conversation } = lien.db.models;
    const lou = await addPerson(bridge, { displayName: 'Lou Garcia' });
    const conversation = await Conversation.create({ person: lou._id, team: bridge.team._id, owner: bridge.worker.doc._id });
    // As a crash leaves them: stored and acknowledged to Twilio, the turn never run.
    const held = (body: string, ageMs: number) => {
      const sid = twilioSid();
      return Message.create({ dedupeKey: `twilio:${sid}`, conversation: conversation._id, person: lou._id, direction: 'inbound', channel: 'sms', bodySealed: lien.cipher.encrypt(body), twilioSid: sid, receivedAt: new Date(Date.now() - ageMs), delivery: { target: 'matrix', status: 'held' } });
    };
    const stale = await held('message resté bloqué', 10 * 60_000);
    const menu = await held('AIDE', 10_000);

    // The sweep: the recent one gets its turn (the menu), the stale one goes to the room as it is.
    expect((await bridge.twilio.waitForSent(lou.phone, 1))[0]?.form.Body).toBe(botSms('fr', 'menu'));
    await waitFor('both settled', async () => (await Message.countDocuments({ _id: { $in: [stale._id, menu._id] }, 'delivery.status': 'held' })) === 0);
    expect((await Message.findById(menu._id).lean())?.delivery.status).toBe('consumed');
    const roomId = await joinPortal(bridge, lou._id);
    await expectRelayedOnce(bridge, roomId, 'Lou Garcia', ['message resté bloqué']);
    await noMoreSms(bridge, lou.phone, 1);
  });

  it('serialises the turns of one person across two handler stacks on the same database', async () => {
    const { lien } = bridge;
    const models = lien.db.models;
    // A second "process": its own outbox (it delivers nothing: the running Lien's sweeper does), audit
    // head, claims, turn lock and dialog state in memory; the same database and key.
    const ctx: RoutingContext = {
      models,
      cipher: lien.cipher,
      audit: new AuditLog(models, Buffer.from(lien.env.LIEN_SECRET_KEY ?? '', 'base64')),
      outbox: new Outbox({ models, logger: testLogger, maxAttempts: 8 }),
      claims: new Claims(models),
      i18n: new Translator(),
      logger: testLogger,
      matrix: () => Promise.reject(new DeliveryError('no homeserver in this process', { permanent: false, outage: true })),
      botUserId: () => bridge.botUserId,
      commandPrefix: '!',
      defaultCountry: 'FR',
      defaultTeam: undefined,
      statusCallbackUrl: () => `${lien.url}/twilio/status`,
      staffLanguage: 'fr',
      now: clock.now,
    };
    const directory = new Directory(ctx);
    const other = createBot({ ctx, directory, publicUrl: () => lien.url, retentionMonths: bridge.retentionMonths, logger: testLogger });
    const otherInbound = new InboundSmsHandler(ctx, other.turns);

    const eva = await addPerson(bridge, { displayName: 'Eva Colin', informed: false, language: 'en' });
    const here = ['one', 'two', 'three'];
    const there = ['four', 'five', 'six'];
    await Promise.all([
      ...here.map((body) => sendSms(bridge, { from: eva.phone, body, sid: twilioSid() })),
      ...there.map((body) => otherInbound.handle({ messageSid: twilioSid(), from: eva.phone, to: SERVICE_NUMBER, body, media: [], receivedAt: new Date() })),
    ]);
    await other.turns.drain();

    const roomId = await joinPortal(bridge, eva._id);
    await expectRelayedOnce(bridge, roomId, 'Eva Colin', [...here, ...there]);
    expect((await bridge.twilio.waitForSent(eva.phone, 1))[0]?.form.Body).toBe(noticeFor('en'));
    await noMoreSms(bridge, eva.phone, 1);
    expect(await models.AuditEvent.countDocuments({ action: 'person.consent_recorded', 'subject.id': String(eva._id) })).toBe(1);
    expect(await models.Message.countDocuments({ person: eva._id, direction: 'inbound', 'delivery.status': 'held' })).toBe(0);
    expect((await lien.audit.verify()).ok).toBe(true);
  });
});
