import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signTwilioRequest } from '../../../src/channels/sms/signature.js';
import type { InboundSms, SmsStatusUpdate } from '../../../src/channels/sms/types.js';
import { smsWebhookRouter } from '../../../src/channels/sms/webhooks.js';
import { createLogger } from '../../../src/logger.js';

const AUTH_TOKEN = '12345678901234567890123456789012';
/** As configured on the Twilio number: Lien sits behind a reverse proxy. */
const PUBLIC_URL = 'https://lien.example.org';
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
const PHONE = '+33612345678';
const TEXT = 'Bonjour, je ne pourrai pas venir jeudi';

describe('Twilio webhooks', () => {
  let server: Server;
  let localUrl: string;
  const logLines: string[] = [];
  const inbound: InboundSms[] = [];
  const statuses: SmsStatusUpdate[] = [];
  let failNext = false;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(
      smsWebhookRouter({
        authToken: AUTH_TOKEN,
        publicUrl: () => `${PUBLIC_URL}/`,
        logger: createLogger('debug', sink),
        handlers: {
          async onInbound(sms) {
            if (failNext) {
              failNext = false;
              throw new Error(`E11000 duplicate key error dup key: { phone: "${PHONE}" }`);
            }
            inbound.push(sms);
          },
          async onStatus(update) {
            if (failNext) {
              failNext = false;
              throw new Error('database down');
            }
            statuses.push(update);
          },
        },
      }),
    );
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    localUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.close();
    if (server) await once(server, 'close');
  });

  beforeEach(() => {
    inbound.length = 0;
    statuses.length = 0;
    failNext = false;
  });

  /** POSTs a form to the local server as Twilio does, signed over the public URL unless told otherwise. */
  async function post(path: string, params: Record<string, string>, signature: string | null = signTwilioRequest(AUTH_TOKEN, PUBLIC_URL + path, params)) {
    return fetch(localUrl + path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        ...(signature !== null ? { 'X-Twilio-Signature': signature } : {}),
      },
      body: new URLSearchParams(params).toString(),
    });
  }

  const sms = {
    ToCountry: 'FR',
    SmsMessageSid: 'SM00000000000000000000000000000001',
    NumMedia: '2',
    MessageSid: 'SM00000000000000000000000000000001',
    AccountSid: 'AC00000000000000000000000000000000',
    From: PHONE,
    To: '+33700000000',
    Body: TEXT,
    NumSegments: '1',
    MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1',
    MediaContentType0: 'image/jpeg',
    MediaUrl1: 'https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME2',
    MediaContentType1: 'application/pdf',
    ApiVersion: '2010-04-01',
  };

  it('stores a signed inbound SMS, then answers empty TwiML', async () => {
    const res = await post('/twilio/sms', sms);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await res.text()).toBe(EMPTY_TWIML);
    expect(inbound).toHaveLength(1);
    expect(inbound[0]).toEqual({
      messageSid: sms.MessageSid,
      from: PHONE,
      to: '+33700000000',
      body: TEXT,
      media: [
        { url: sms.MediaUrl0, contentType: 'image/jpeg' },
        { url: sms.MediaUrl1, contentType: 'application/pdf' },
      ],
      receivedAt: expect.any(Date),
    });
  });

  it('parses a message without media, with accents and a query string in the webhook URL', async () => {
    const params = { MessageSid: 'SM2', From: PHONE, To: '+33700000000', Body: 'Ça marche, à demain ! 😀', NumMedia: '0' };
    const res = await post('/twilio/sms?tenant=ccas', params);
    expect(res.status).toBe(200);
    expect(inbound[0]).toMatchObject({ messageSid: 'SM2', body: 'Ça marche, à demain ! 😀', media: [] });
  });

  it('refuses a wrong signature with 403, without calling the handler', async () => {
    const res = await post('/twilio/sms', sms, signTwilioRequest('another-token', `${PUBLIC_URL}/twilio/sms`, sms));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { status: 403, code: 'bad_signature', message: expect.any(String) } });
    expect(inbound).toHaveLength(0);
  });

  it('refuses a signature over other parameters (a tampered body)', async () => {
    const signature = signTwilioRequest(AUTH_TOKEN, `${PUBLIC_URL}/twilio/sms`, sms);
    const res = await post('/twilio/sms', { ...sms, Body: 'autre chose' }, signature);
    expect(res.status).toBe(403);
    expect(inbound).toHaveLength(0);
  });

  it('refuses a signature over the internal URL rather than the public one', async () => {
    const res = await post('/twilio/sms', sms, signTwilioRequest(AUTH_TOKEN, `${localUrl}/twilio/sms`, sms));
    expect(res.status).toBe(403);
    expect(inbound).toHaveLength(0);
  });

  it('refuses an unsigned request with 403', async () => {
    const res = await post('/twilio/sms', sms, null);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_signature');
    expect(inbound).toHaveLength(0);
    const empty = await fetch(`${localUrl}/twilio/sms`, { method: 'POST' });
    expect(empty.status).toBe(403);
  });

  it('answers 400 to a signed webhook without MessageSid or From', async () => {
    const { MessageSid: _sid, SmsMessageSid: _smsSid, ...noSid } = sms;
    const res = await post('/twilio/sms', noSid);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_webhook');
    const { From: _from, ...noFrom } = sms;
    expect((await post('/twilio/sms', noFrom)).status).toBe(400);
    expect(inbound).toHaveLength(0);
  });

  it('answers 500 when the message could not be stored, so that Twilio retries', async () => {
    failNext = true;
    const res = await post('/twilio/sms', sms);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('store_failed');
    // Twilio's retry of the same MessageSid is then stored.
    expect((await post('/twilio/sms', sms)).status).toBe(200);
    expect(inbound.map((m) => m.messageSid)).toEqual([sms.MessageSid]);
  });

  it('passes a signed status callback on, then answers 204', async () => {
    const params = { MessageSid: 'SM3', MessageStatus: 'undelivered', ErrorCode: '30003', SmsSid: 'SM3', SmsStatus: 'undelivered', AccountSid: 'AC0' };
    const res = await post('/twilio/status', params);
    expect(res.status).toBe(204);
    expect(statuses).toEqual([{ messageSid: 'SM3', status: 'undelivered', errorCode: '30003' }]);
    expect((await post('/twilio/status', { MessageSid: 'SM4', MessageStatus: 'delivered' })).status).toBe(204);
    expect(statuses[1]).toEqual({ messageSid: 'SM4', status: 'delivered', errorCode: null });
  });

  it('checks the signature of status callbacks too', async () => {
    const params = { MessageSid: 'SM3', MessageStatus: 'delivered' };
    expect((await post('/twilio/status', params, null)).status).toBe(403);
    expect((await post('/twilio/status', params, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
    expect(statuses).toHaveLength(0);
  });

  it('answers 400 to a status callback without a status, and ignores an unknown one', async () => {
    expect((await post('/twilio/status', { MessageSid: 'SM5' })).status).toBe(400);
    expect((await post('/twilio/status', { MessageSid: 'SM5', MessageStatus: 'teleported' })).status).toBe(204);
    expect(statuses).toHaveLength(0);
  });

  it('answers 500 when a status update could not be recorded', async () => {
    failNext = true;
    const res = await post('/twilio/status', { MessageSid: 'SM6', MessageStatus: 'sent' });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('store_failed');
  });

  it('never logs a phone number or a message text', async () => {
    failNext = true;
    await post('/twilio/sms', sms);
    await post('/twilio/sms', sms);
    await post('/twilio/sms', sms, null);
    const log = logLines.join('');
    expect(log).toContain(sms.MessageSid);
    expect(log).not.toContain(PHONE);
    expect(log).not.toContain('612345678');
    expect(log).not.toContain(TEXT);
  });
});
