import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwilioSmsSender, parseRetryAfter } from '../../../src/channels/sms/twilio-sender.js';
import { DeliveryError } from '../../../src/outbox/outbox.js';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token';
const API = 'https://api.twilio.com';
const MESSAGES = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
const FROM = '+33700000000';
const TO = '+33612345678';
const STATUS_CALLBACK = 'https://lien.example.org/twilio/status';

const outbound = { to: TO, body: 'Votre rendez-vous est confirmé.', statusCallback: STATUS_CALLBACK };

function messageResource(sid: string) {
  return {
    sid,
    account_sid: ACCOUNT_SID,
    to: TO,
    from: FROM,
    body: outbound.body,
    status: 'queued',
    num_segments: '1',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    date_created: 'Thu, 02 Oct 2025 10:00:00 +0000',
    uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}.json`,
  };
}

function twilioError(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** The DeliveryError a failed send rejects with. */
async function failure(sender: TwilioSmsSender): Promise<DeliveryError> {
  const err = await sender.send(outbound).then(
    () => {
      throw new Error('send should have failed');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

// keepAlive: false everywhere: nock 14 never answers a request carrying `Connection: keep-alive` (nock/nock#2918).
describe('TwilioSmsSender', () => {
  const sender = new TwilioSmsSender({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, timeoutMs: 2_000, keepAlive: false });

  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });

  it('sends through the Messages resource and returns the SID', async () => {
    let form: Record<string, string> = {};
    let auth: string | undefined;
    nock(API)
      .post(MESSAGES, (body: Record<string, string>) => {
        form = body;
        return true;
      })
      .reply(function () {
        auth = this.req.headers.authorization;
        return [201, messageResource('SM0123456789abcdef0123456789abcdef')];
      });
    await expect(sender.send(outbound)).resolves.toEqual({ sid: 'SM0123456789abcdef0123456789abcdef' });
    expect(form).toEqual({ To: TO, Body: outbound.body, From: FROM, StatusCallback: STATUS_CALLBACK });
    expect(auth).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
  });

  it('sends through a messaging service when given one', async () => {
    let form: Record<string, string> = {};
    nock(API)
      .post(MESSAGES, (body: Record<string, string>) => {
        form = body;
        return true;
      })
      .reply(201, messageResource('SM1'));
    const viaService = new TwilioSmsSender({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, messagingServiceSid: 'MG0123456789abcdef0123456789abcdef', timeoutMs: 2_000, keepAlive: false });
    await expect(viaService.send(outbound)).resolves.toEqual({ sid: 'SM1' });
    expect(form).toEqual({ To: TO, Body: outbound.body, MessagingServiceSid: 'MG0123456789abcdef0123456789abcdef', StatusCallback: STATUS_CALLBACK });
  });

  it('refuses to be built without a sender', () => {
    expect(() => new TwilioSmsSender({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '', timeoutMs: 1_000 })).toThrow(/From number or a messaging service/);
  });

  it('reads a 500 as a transient failure', async () => {
    nock(API).post(MESSAGES).reply(500, twilioError(500, 20500, 'Internal Server Error'));
    const err = await failure(sender);
    expect(err.options.permanent).toBe(false);
    expect(err.message).toBe('twilio_http_500');
  });

  it('reads a 503 with Retry-After as transient, after the delay Twilio asks', async () => {
    nock(API).post(MESSAGES).reply(503, 'Service Unavailable', { 'Retry-After': '30' });
    const err = await failure(sender);
    expect(err.options).toMatchObject({ permanent: false, retryAfterMs: 30_000 });
  });

  it('reads a 400 with a Twilio code as permanent, keeping the code and never the number', async () => {
    nock(API).post(MESSAGES).reply(400, twilioError(400, 21614, `'To' number ${TO} is not a valid mobile number`));
    const err = await failure(sender);
    expect(err.options).toEqual({ permanent: true, code: '21614' });
    expect(err.message).toBe('landline');
    expect(err.message).not.toContain(TO);
  });

  it('reads an opt-out as permanent', async () => {
    nock(API).post(MESSAGES).reply(400, twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'));
    const err = await failure(sender);
    expect(err.options).toEqual({ permanent: true, code: '21610' });
    expect(err.message).toBe('opted_out');
  });

  it('reads refused credentials (401, 20003) as an account outage: transient, no attempt used up, shown by health() until a send succeeds', async () => {
    const own = new TwilioSmsSender({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, timeoutMs: 2_000, keepAlive: false });
    await expect(own.health()).resolves.toBe('no SMS sent yet');
    nock(API).post(MESSAGES).reply(401, twilioError(401, 20003, 'Authenticate'));
    const err = await failure(own);
    expect(err.options).toEqual({ permanent: false, code: '20003', outage: true });
    expect(err.message).toBe('twilio_credentials_refused');
    await expect(own.health()).rejects.toThrow(/^Twilio refused the credentials \(20003\) since .*: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN/);
    nock(API).post(MESSAGES).reply(201, messageResource('SM20003'));
    expect(await own.send(outbound)).toEqual({ sid: 'SM20003' });
    await expect(own.health()).resolves.toMatch(/^last SMS accepted at /);
  });

  it('reads a 429 as transient', async () => {
    nock(API).post(MESSAGES).reply(429, twilioError(429, 20429, 'Too Many Requests'));
    const err = await failure(sender);
    expect(err.options.permanent).toBe(false);
    expect(err.options.retryAfterMs).toBeUndefined();
    expect(err.options.code).toBe('20429');
  });

  it('keeps the Retry-After of a 429', async () => {
    nock(API).post(MESSAGES).reply(429, twilioError(429, 20429, 'Too Many Requests'), { 'Retry-After': '12' });
    const err = await failure(sender);
    expect(err.options).toEqual({ permanent: false, code: '20429', retryAfterMs: 12_000 });
  });

  it('reads a network error as transient', async () => {
    // An Error instance: nock 14 never delivers a plain-object error, and the request would only time out.
    nock(API).post(MESSAGES).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const err = await failure(sender);
    expect(err.options).toEqual({ permanent: false, code: null });
    expect(err.message).toBe('twilio_unreachable: ECONNRESET');
  });

  it('reads a timeout as transient', async () => {
    const impatient = new TwilioSmsSender({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, timeoutMs: 200, keepAlive: false });
    nock(API).post(MESSAGES).delay(1_000).reply(201, messageResource('SM2'));
    const err = await failure(impatient);
    expect(err.options.permanent).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('5')).toBe(5_000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    const now = Date.parse('2025-10-02T10:00:00Z');
    expect(parseRetryAfter('Thu, 02 Oct 2025 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Thu, 02 Oct 2025 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
