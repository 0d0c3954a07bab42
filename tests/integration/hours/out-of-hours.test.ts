/**
 * Office hours and the right to disconnect, end to end: signed SMS webhooks into a whole Lien whose clock
 * the test sets, Twilio stood in for by nock, the room read with the worker's own Matrix account. The team
 * keeps the default hours (Monday to Friday, 9:00–12:30 and 13:30–17:00, Paris) and French holidays.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { smsSegments } from '../../../src/channels/sms/segments.js';
import { addPerson, frText, joinPortal, sendSms, sleep, useBridge, type TestWorker } from '../../support/bridge.js';
import type { MatrixEvent } from '../../support/matrix.js';
import { waitFor } from '../../support/wait.js';

/** The time Lien reads; each test puts it where it needs it. */
let clock = new Date('2026-11-28T09:00:00Z');

function mentionsOf(e: MatrixEvent): unknown {
  return e.content['m.mentions'];
}

/** Events the worker's homeserver highlighted for them (a mention: their client notifies them). */
async function highlighted(worker: TestWorker): Promise<string[]> {
  const res = await worker.client.request<{ notifications: Array<{ event: { event_id: string } }> }>('GET', '/_matrix/client/v3/notifications', { query: { only: 'highlight', limit: 100 } });
  return res.notifications.map((n) => n.event.event_id);
}

describe('office hours: the right to disconnect', () => {
  // The bridge's team keeps the default hours (and French holidays); Lien reads the time from `clock`.
  const bridge = useBridge({}, { now: () => clock });
  let camille: Awaited<ReturnType<typeof addPerson>>;
  let roomId: string;
  const botText = async (body: string) => (await bridge.worker.messagesFrom(roomId, bridge.botUserId)).filter((e) => e.content.body === body);
  /** Lien's digests in the room ("… Pendant la fermeture, …"). */
  const digests = async () => (await bridge.worker.messagesFrom(roomId, bridge.botUserId)).filter((e) => String(e.content.body).includes('Pendant la fermeture'));

  beforeAll(async () => {
    camille = await addPerson(bridge, { displayName: 'Camille Martin' });
  });

  it('on a Saturday: the messages reach the room at once, without mention, and one automatic answer goes back', async () => {
    clock = new Date('2026-11-28T09:00:00Z'); // Saturday 10:00 in Paris
    expect((await sendSms(bridge, { from: camille.phone, body: "Bonjour, j'ai perdu mon logement." })).status).toBe(200);
    roomId = await joinPortal(bridge, camille._id);
    const first = await bridge.worker.waitForEvent(roomId, 'the first SMS', (e) => e.sender === bridge.botUserId && e.content.body === "Camille Martin: Bonjour, j'ai perdu mon logement.");

    clock = new Date('2026-11-28T13:02:00Z'); // Saturday 14:02
    expect((await sendSms(bridge, { from: camille.phone, body: 'Je dors chez une amie ce soir.' })).status).toBe(200);
    const second = await bridge.worker.waitForEvent(roomId, 'the second SMS', (e) => e.sender === bridge.botUserId && e.content.body === 'Camille Martin: Je dors chez une amie ce soir.');

    // Nobody is mentioned: the events say so explicitly, and carry no pill.
    for (const e of [first, second]) {
      expect(mentionsOf(e)).toEqual({});
      expect(String(e.content.formatted_body)).not.toContain('matrix.to');
    }

    // One automatic answer for the two messages: when the team is back, and the emergency numbers.
    const [reply] = await bridge.twilio.waitForSent(camille.phone, 1);
    await sleep(2_500);
    expect(bridge.twilio.to(camille.phone)).toHaveLength(1);
    const body = reply?.form.Body ?? '';
    expect(body).toBe(frText('hours.closedReply', { reopening: 'lundi 30 novembre à 09:00', emergency: frText('hours.emergency') }));
    for (const number of ['15 SAMU', '112', '114 par SMS', '115', '119', '3919']) expect(body).toContain(number);
    expect(smsSegments(body)).toMatchObject({ encoding: 'GSM-7', segments: 2 });

    // Not highlighted for the worker, and no digest before the opening.
    expect(await highlighted(bridge.worker)).not.toEqual(expect.arrayContaining([first.event_id]));
    expect(await highlighted(bridge.worker)).not.toEqual(expect.arrayContaining([second.event_id]));
    expect(await digests()).toHaveLength(0);
  });

  it('at the opening on Monday 9:00, the room gets one digest that mentions the referent', async () => {
    clock = new Date('2026-11-30T07:59:00Z'); // Monday 8:59: still closed
    await sleep(2_500);
    expect(await digests()).toHaveLength(0);

    clock = new Date('2026-11-30T08:00:00Z'); // Monday 9:00
    const text = `${frText('hours.digest', { name: 'Camille Martin', count: '2', from: 'samedi 28/11 10:00', until: 'samedi 28/11 14:02' })} ${frText('hours.digestReplied')}`;
    const digest = await bridge.worker.waitForEvent(roomId, 'the digest', (e) => e.sender === bridge.botUserId && e.content.body === `Sophie Bernard: ${text}`, 20_000);
    // A text, not a notice: homeservers silence notices, and the referent is to be notified.
    expect(digest.content.msgtype).toBe('m.text');
    expect(mentionsOf(digest)).toEqual({ user_ids: [bridge.worker.userId] });
    expect(String(digest.content.formatted_body)).toContain(`<a href="https://matrix.to/#/${bridge.worker.userId}">Sophie Bernard</a>`);
    await waitFor('the digest highlighted for the worker', async () => (await highlighted(bridge.worker)).includes(digest.event_id));

    // Exactly one, however many sweeps run.
    await sleep(3_000);
    expect(await botText(`Sophie Bernard: ${text}`)).toHaveLength(1);
    expect(await digests()).toHaveLength(1);
  });

  it('inside hours (a Tuesday at 10:00): the message mentions the referent, and nothing else happens', async () => {
    clock = new Date('2026-12-01T09:00:00Z'); // Tuesday 10:00
    const smsBefore = bridge.twilio.to(camille.phone).length;
    expect((await sendSms(bridge, { from: camille.phone, body: "J'ai trouvé le papier." })).status).toBe(200);
    const message = await bridge.worker.waitForEvent(roomId, 'the SMS', (e) => e.sender === bridge.botUserId && e.content.body === "Camille Martin: J'ai trouvé le papier.");
    expect(mentionsOf(message)).toEqual({ user_ids: [bridge.worker.userId] });
    expect(String(message.content.formatted_body)).toContain(`<a href="https://matrix.to/#/${bridge.worker.userId}">Sophie Bernard</a>`);
    await waitFor('the SMS highlighted for the worker', async () => (await highlighted(bridge.worker)).includes(message.event_id));

    // No automatic answer, and no digest, even once the team has closed and opened again.
    clock = new Date('2026-12-01T12:30:00Z'); // Tuesday 13:30, after lunch
    await sleep(3_000);
    expect(bridge.twilio.to(camille.phone)).toHaveLength(smsBefore);
    expect(await digests()).toHaveLength(1);
  });

  it('on 14 July (a Wednesday, a public holiday): one automatic answer, no mention, a digest on Thursday at 9:00', async () => {
    clock = new Date('2027-07-14T08:00:00Z'); // Wednesday 14 July 2027, 10:00 in Paris
    const smsBefore = bridge.twilio.to(camille.phone).length;
    expect((await sendSms(bridge, { from: camille.phone, body: "J'ai reçu une lettre de la CAF." })).status).toBe(200);
    clock = new Date('2027-07-14T14:00:00Z'); // 16:00
    expect((await sendSms(bridge, { from: camille.phone, body: 'Elle parle de ma dette.' })).status).toBe(200);
    const posted = await Promise.all(
      ["Camille Martin: J'ai reçu une lettre de la CAF.", 'Camille Martin: Elle parle de ma dette.'].map((body) => bridge.worker.waitForEvent(roomId, body, (e) => e.sender === bridge.botUserId && e.content.body === body)),
    );
    for (const e of posted) expect(mentionsOf(e)).toEqual({});

    const sent = await bridge.twilio.waitForSent(camille.phone, smsBefore + 1);
    await sleep(2_500);
    expect(bridge.twilio.to(camille.phone)).toHaveLength(smsBefore + 1);
    expect(sent.at(-1)?.form.Body).toBe(frText('hours.closedReply', { reopening: 'jeudi 15 juillet à 09:00', emergency: frText('hours.emergency') }));
    expect(await digests()).toHaveLength(1);

    clock = new Date('2027-07-15T07:00:00Z'); // Thursday 9:00
    const text = `${frText('hours.digest', { name: 'Camille Martin', count: '2', from: 'mercredi 14/07 10:00', until: 'mercredi 14/07 16:00' })} ${frText('hours.digestReplied')}`;
    const digest = await bridge.worker.waitForEvent(roomId, 'the digest', (e) => e.sender === bridge.botUserId && e.content.body === `Sophie Bernard: ${text}`, 20_000);
    expect(mentionsOf(digest)).toEqual({ user_ids: [bridge.worker.userId] });
    await sleep(3_000);
    expect(await digests()).toHaveLength(2);
    for (const e of posted) expect(await highlighted(bridge.worker)).not.toContain(e.event_id);
  });
});
