/**
 * Lien is stopped (a clean stop, as on SIGTERM) while its request to Twilio for a worker's reply is still
 * on its way (Twilio's answer delayed). The stop waits for that delivery and records it as sent before
 * the database closes, so that a Lien started again on the same database does not send it a second time:
 * one Twilio request in all.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { startLien, type Lien } from '../../../src/lien.js';
import { addPerson, joinPortal, sendSms, sleep, startBridge, TWILIO_API, twilioSid } from '../../support/bridge.js';
import { testLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

describe('outbox: a stop with a delivery under way', () => {
  it('finishes the SMS being sent before the database closes: after a restart, one Twilio request in all', { timeout: 300_000 }, async () => {
    const bridge = await startBridge();
    let second: Lien | undefined;
    try {
      const { worker, lien, twilio } = bridge;
      const person = await addPerson(bridge, { displayName: 'Inès Arrêt' });
      expect((await sendSms(bridge, { from: person.phone, body: 'bonjour' })).status).toBe(200);
      // The room first (a loaded machine can take a while to create it), then the worker joins it.
      await waitFor('the portal room', async () => (await lien.db.models.Conversation.findOne({ person: person._id }).lean())?.matrixRoomId, 90_000, 250);
      const roomId = await joinPortal(bridge, person._id);

      // From now on Twilio takes 3 s to answer; every request is counted.
      nock.cleanAll();
      const requests: Array<{ to: string; body: string; sid: string }> = [];
      nock(TWILIO_API)
        .persist()
        .post(twilio.path)
        .delay(3000)
        .reply((_uri, body) => {
          const form = Object.fromEntries(new URLSearchParams(String(body)));
          const sid = twilioSid();
          requests.push({ to: form.To ?? '', body: form.Body ?? '', sid });
          return [201, { sid, account_sid: bridge.accountSid, to: form.To, from: form.From, body: form.Body, status: 'queued', num_segments: '1' }];
        });

      const reply = 'Je vous rappelle demain matin.';
      const replyId = await worker.say(roomId, reply);
      await waitFor('the request to Twilio under way', async () => requests.some((r) => r.to === person.phone), 90_000, 50);
      const message = await waitFor('the reply stored', async () => lien.db.models.Message.findOne({ matrixEventId: replyId, direction: 'outbound' }).lean(), 30_000);
      expect(message.delivery.status).toBe('sending');

      // Stopped while Twilio has not answered yet.
      await lien.stop();

      // Started again on the same database: the reply was recorded as sent, and is not sent again.
      second = await startLien(loadConfig(lien.env), testLogger);
      await second.synced();
      const after = await second.db.models.Message.findById(message._id).lean();
      expect(after?.delivery.status).toBe('sent');
      expect(after?.twilioSid).toBe(requests.find((r) => r.to === person.phone)?.sid);
      await sleep(3000); // several sweeps (every 300 ms): none may send it again
      expect(requests.filter((r) => r.to === person.phone).map((r) => r.body)).toEqual([reply]);
    } finally {
      await second?.stop();
      bridge.twilio.uninstall();
      await bridge.lien.stop();
    }
  });
});
