/**
 * What a worker writes in a portal room that is not a plain reply: an image, an edit, a redaction,
 * commands; and a reply too long for one SMS.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { smsSegments } from '../../../src/channels/sms/segments.js';
import { addPerson, frText, joinPortal, sendSms, sleep, useBridge, waitForNotice } from '../../support/bridge.js';

/** A 1×1 transparent PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

describe('bridge: what else workers write in a portal room', () => {
  const bridge = useBridge();
  let thomas: Awaited<ReturnType<typeof addPerson>>;
  let roomId: string;
  beforeAll(async () => {
    thomas = await addPerson(bridge, { displayName: 'Thomas Lefèvre' });
    expect((await sendSms(bridge, { from: thomas.phone, body: 'Bonjour !' })).status).toBe(200);
    roomId = await joinPortal(bridge, thomas._id);
    await bridge.worker.waitForEvent(roomId, "Thomas's SMS", (e) => e.sender === bridge.botUserId && e.content.body === 'Thomas Lefèvre: Bonjour !');
  });

  it('does not send an image, an edit or a redaction as SMS, and says so in the room', async () => {
    const { worker, twilio } = bridge;
    const before = twilio.to(thomas.phone).length;

    const mxc = await worker.client.uploadMedia(new Uint8Array(PNG), 'image/png', 'plan.png');
    expect(mxc).toMatch(/^mxc:\/\//);
    await worker.send(roomId, { msgtype: 'm.image', body: 'plan.png', url: mxc, info: { mimetype: 'image/png', size: PNG.byteLength, w: 1, h: 1 } });
    await waitForNotice(bridge, roomId, frText('room.mediaNotSent'));

    const reply = 'Le rendez-vous est lundi à 9h.';
    const replyId = await worker.say(roomId, reply);
    const sent = await twilio.waitForSent(thomas.phone, before + 1);
    expect(sent.at(-1)?.form.Body).toBe(reply);

    await worker.send(roomId, {
      msgtype: 'm.text',
      body: '* Le rendez-vous est mardi à 9h.',
      'm.new_content': { msgtype: 'm.text', body: 'Le rendez-vous est mardi à 9h.' },
      'm.relates_to': { rel_type: 'm.replace', event_id: replyId },
    });
    await waitForNotice(bridge, roomId, frText('room.editNotPossible'));

    await worker.client.redact(roomId, replyId, `redact-${replyId}`);
    await waitForNotice(bridge, roomId, frText('room.redactNotPossible'));

    await sleep(2_000);
    expect(twilio.to(thomas.phone).map((r) => r.form.Body)).toEqual([...twilio.to(thomas.phone).slice(0, before).map((r) => r.form.Body), reply]);
  });

  it("sends a rich reply (answering the person's message) without the quoted fallback", async () => {
    const { worker, twilio } = bridge;
    const before = twilio.to(thomas.phone).length;
    const question = await worker.waitForEvent(roomId, "Thomas's SMS", (e) => e.sender === bridge.botUserId && e.content.body === 'Thomas Lefèvre: Bonjour !');
    // As Matrix clients send a reply: the quoted message first (the "fallback"), then the answer.
    const answer = 'Bonjour Thomas,\nje vous rappelle cet après-midi.';
    await worker.send(roomId, {
      msgtype: 'm.text',
      body: `> <${bridge.botUserId}> Thomas Lefèvre: Bonjour !\n\n${answer}`,
      format: 'org.matrix.custom.html',
      formatted_body: `<mx-reply><blockquote><a href="https://matrix.to/#/${roomId}/${question.event_id}">In reply to</a> <a href="https://matrix.to/#/${bridge.botUserId}">${bridge.botUserId}</a><br><b>Thomas Lefèvre</b><br>Bonjour !</blockquote></mx-reply>Bonjour Thomas,<br>je vous rappelle cet après-midi.`,
      'm.relates_to': { 'm.in_reply_to': { event_id: question.event_id } },
    });
    const sent = await twilio.waitForSent(thomas.phone, before + 1);
    expect(sent.at(-1)?.form.Body).toBe(answer);
    // A reply without a fallback (as newer clients send it) goes as it is; so does a quote that is no reply.
    await worker.send(roomId, { msgtype: 'm.text', body: 'À lundi.', 'm.relates_to': { 'm.in_reply_to': { event_id: question.event_id } } });
    await worker.say(roomId, '> Apportez :\n\nvotre carte Vitale');
    const all = await twilio.waitForSent(thomas.phone, before + 3);
    expect(all.slice(before).map((r) => r.form.Body)).toEqual([answer, 'À lundi.', '> Apportez :\n\nvotre carte Vitale']);
  });

  it('answers an unknown command and !aide with notices, and sends neither as SMS', async () => {
    const { worker, twilio } = bridge;
    const before = twilio.to(thomas.phone).length;
    await worker.say(roomId, '!bidule truc');
    await waitForNotice(bridge, roomId, frText('command.unknown', { command: '!bidule', prefix: '!' }));
    await worker.say(roomId, '!aide');
    const help = await waitForNotice(bridge, roomId, frText('command.help', { prefix: '!' }));
    expect(help.content.body).toContain('!lier <numéro> <Prénom Nom>');
    await sleep(1_500);
    expect(twilio.to(thomas.phone)).toHaveLength(before);
  });

  it('sends a long reply as several SMS of at most 10 segments each, in order, never cutting a word', async () => {
    const { worker, twilio, lien } = bridge;
    const before = twilio.to(thomas.phone).length;
    const sentence = (n: number) =>
      `(${n}) Pour le dossier de logement, il faut la pièce d'identité, le dernier avis d'imposition et trois bulletins de salaire ; nous préparerons même la demande ensemble.`;
    const sentences: string[] = [];
    for (let n = 1; sentences.join(' ').length < 2_000; n++) sentences.push(sentence(n));
    const text = sentences.join(' ');
    const words = text.split(' ');
    expect(text.length).toBeGreaterThanOrEqual(2_000);

    const replyId = await worker.say(roomId, text);
    const parts = await waitForAllWords(() => twilio.sentTo(thomas.phone).slice(before).map((r) => r.form.Body ?? ''), words.length);
    await sleep(2_000); // and nothing more comes
    const bodies = twilio.to(thomas.phone).slice(before).map((r) => r.form.Body ?? '');
    expect(bodies).toEqual(parts);
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const body of bodies) expect(smsSegments(body).segments).toBeLessThanOrEqual(10);
    // In order, and every word whole: the parts put back together are the text.
    expect(bodies.join(' ')).toBe(text);
    expect(bodies.join(' ').split(' ')).toEqual(words);
    for (const body of bodies) expect(words).toEqual(expect.arrayContaining(body.split(' ')));

    const stored = await lien.db.models.Message.find({ matrixEventId: replyId, direction: 'outbound' }).sort({ 'delivery.part': 1 }).lean();
    expect(stored.map((m) => m.delivery.part)).toEqual(bodies.map((_, i) => i));
    expect(stored.every((m) => m.delivery.status === 'sent' && m.twilioSid)).toBe(true);
    // One "sent" reaction on the worker's message, however many SMS it took.
    await worker.waitForEvent(roomId, 'the "sent" reaction', (e) => e.type === 'm.reaction' && (e.content['m.relates_to'] as { event_id?: string }).event_id === replyId);
    await sleep(1_000);
    const reactions = (await worker.events(roomId, 'm.reaction')).filter((e) => (e.content['m.relates_to'] as { event_id?: string }).event_id === replyId);
    expect(reactions.map((e) => (e.content['m.relates_to'] as { key?: string }).key)).toEqual([frText('room.status.sent')]);
  });
});

/** Waits until the SMS sent so far hold as many words as the text. */
async function waitForAllWords(bodies: () => string[], wordCount: number, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = bodies();
    if (now.join(' ').split(' ').filter(Boolean).length >= wordCount) return now;
    if (Date.now() > deadline) throw new Error(`only ${now.length} SMS with ${now.join(' ').split(' ').length} of ${wordCount} words within ${timeoutMs} ms`);
    await sleep(200);
  }
}
