import { describe, expect, it } from 'vitest';
import { escapeHtml, noticeContent, parseRoomMessage, personMessage, reactionContent, textContent } from '../../../src/channels/matrix/messages.js';
import { SyncLoop } from '../../../src/channels/matrix/sync-loop.js';
import type { RoomEvent } from '../../../src/channels/matrix/types.js';
import { testLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';
import { MemoryTokenStore, newUser, RecordingHandler } from './helpers.js';
import { RoomProvisioner } from '../../../src/channels/matrix/rooms.js';

function event(content: Record<string, unknown>, type = 'm.room.message'): RoomEvent {
  return { roomId: '!r', eventId: '$e', sender: '@a:x', type, content, originServerTs: 1 };
}

describe('message contents', () => {
  it('builds texts, notices and reactions', () => {
    expect(textContent({ body: 'salut' })).toEqual({ msgtype: 'm.text', body: 'salut' });
    expect(textContent({ body: 'salut', html: '<i>salut</i>' })).toEqual({
      msgtype: 'm.text',
      body: 'salut',
      format: 'org.matrix.custom.html',
      formatted_body: '<i>salut</i>',
    });
    expect(noticeContent({ body: 'SMS envoyé' })).toEqual({ msgtype: 'm.notice', body: 'SMS envoyé' });
    expect(reactionContent('$x', '✅')).toEqual({ 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '✅' } });
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it("labels a person's message with their name, escaped", () => {
    expect(personMessage({ label: 'M. <Dupont>', text: 'Bonjour,\nà demain & merci' })).toEqual({
      body: 'M. <Dupont>: Bonjour,\nà demain & merci',
      html: '<b>M. &lt;Dupont&gt;</b><br>Bonjour,<br>à demain &amp; merci',
    });
  });

  it('reads texts, notices, emotes, media and edits', () => {
    expect(parseRoomMessage(event({ msgtype: 'm.text', body: 'a' }))).toEqual({ kind: 'text', body: 'a', msgtype: 'm.text' });
    expect(parseRoomMessage(event({ msgtype: 'm.text', body: 'a', format: 'org.matrix.custom.html', formatted_body: '<b>a</b>' }))).toMatchObject({
      kind: 'text',
      html: '<b>a</b>',
    });
    expect(parseRoomMessage(event({ msgtype: 'm.notice', body: 'n' }))).toMatchObject({ kind: 'notice', body: 'n' });
    expect(parseRoomMessage(event({ msgtype: 'm.emote', body: 'rit' }))).toMatchObject({ kind: 'emote', body: 'rit' });
    expect(
      parseRoomMessage(event({ msgtype: 'm.image', body: 'photo.jpg', url: 'mxc://s/m', info: { mimetype: 'image/jpeg', size: 1234 } })),
    ).toMatchObject({ kind: 'media', msgtype: 'm.image', media: { url: 'mxc://s/m', mimetype: 'image/jpeg', size: 1234 } });
    expect(parseRoomMessage(event({ msgtype: 'm.file', body: 'cerfa.pdf', url: 'mxc://s/f', info: { mimetype: 'application/pdf' } })).media).toMatchObject({
      filename: 'cerfa.pdf',
    });
    expect(
      parseRoomMessage(event({ msgtype: 'm.audio', body: 'message vocal', filename: 'voix.ogg', file: { url: 'mxc://s/enc', key: {}, iv: 'x' } })).media,
    ).toMatchObject({ url: 'mxc://s/enc', filename: 'voix.ogg', file: { iv: 'x' } });
    expect(
      parseRoomMessage(
        event({
          msgtype: 'm.text',
          body: '* nouveau',
          'm.new_content': { msgtype: 'm.text', body: 'nouveau' },
          'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
        }),
      ),
    ).toEqual({ kind: 'edit', body: 'nouveau', msgtype: 'm.text', replacesEventId: '$orig' });
    expect(parseRoomMessage(event({ msgtype: 'm.text', body: 'oui', 'm.relates_to': { 'm.in_reply_to': { event_id: '$q' } } }))).toMatchObject({
      kind: 'text',
      inReplyTo: '$q',
    });
    expect(parseRoomMessage(event({}))).toEqual({ kind: 'other' });
    expect(parseRoomMessage(event({ msgtype: 'm.location', body: 'ici', geo_uri: 'geo:1,2' }))).toMatchObject({ kind: 'other', msgtype: 'm.location' });
    expect(parseRoomMessage(event({ algorithm: 'm.megolm.v1.aes-sha2' }, 'm.room.encrypted'))).toEqual({ kind: 'other' });
  });

  it('a labelled message sent to a room reads back the same through the sync loop', async () => {
    const [bot, worker] = await Promise.all([newUser('bot'), newUser('worker')]);
    const roomId = await new RoomProvisioner(bot.client, bot.userId).createPortalRoom({ name: 'Suivi', invite: [worker.userId], encrypted: false });
    const handler = new RecordingHandler();
    const loop = new SyncLoop({ client: bot.client, userId: bot.userId, tokens: new MemoryTokenStore(), handler, logger: testLogger, timeoutMs: 5000 });
    loop.start();
    try {
      await loop.synced();
      const text = personMessage({ label: 'Mme Martin', text: 'Je serai <en retard>\nDésolée' });
      const eventId = await bot.client.sendEvent(roomId, 'm.room.message', textContent(text), 'sms-1');
      const got = await waitFor('the echo', async () => handler.events.find((e) => e.eventId === eventId));
      expect(parseRoomMessage(got)).toEqual({ kind: 'text', msgtype: 'm.text', body: text.body, html: text.html });
      expect(got.unsigned?.transaction_id).toBe('sms-1');
    } finally {
      await loop.stop();
    }
  });
});
