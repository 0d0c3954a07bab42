/**
 * MMS media are fetched from Twilio's hosts only (redirects included), with the account's credentials
 * sent to Twilio's API alone, and refused past the size cap. Twilio's side is intercepted with nock.
 */
import { Readable } from 'node:stream';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MediaRefusedError, twilioMediaFetcher } from '../../../src/channels/sms/media.js';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token';
const AUTH = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
const API = 'https://api.twilio.com';
const MEDIA = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef`;
const CAP = 10_000;
const fetchMedia = twilioMediaFetcher(ACCOUNT_SID, AUTH_TOKEN, { timeoutMs: 5_000, maxBytes: CAP });

async function refusal(url: string): Promise<MediaRefusedError> {
  const err = await fetchMedia(url).then(
    () => {
      throw new Error('the fetch should have been refused');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaRefusedError);
  return err as MediaRefusedError;
}

describe('Twilio media fetcher', () => {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });

  it("follows Twilio's redirect to its CDN, with the credentials sent to the API only", async () => {
    const api = nock(API).get(MEDIA).matchHeader('authorization', AUTH).reply(307, '', { Location: 'https://mms.twiliocdn.com/AC0/abc/photo?Expires=1' });
    const cdn = nock('https://mms.twiliocdn.com', { badheaders: ['authorization'] }).get('/AC0/abc/photo').query(true).reply(200, Buffer.from('JPEGDATA'), { 'Content-Type': 'image/jpeg' });
    const file = await fetchMedia(`${API}${MEDIA}`);
    expect(Buffer.from(file.data).toString()).toBe('JPEGDATA');
    expect(file.contentType).toBe('image/jpeg');
    expect(api.isDone() && cdn.isDone()).toBe(true);
  });

  it('accepts the legacy public bucket of older media', async () => {
    nock(API).get(MEDIA).reply(302, '', { Location: 'https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC0/abc' });
    const s3 = nock('https://s3-external-1.amazonaws.com', { badheaders: ['authorization'] }).get('/media.twiliocdn.com/AC0/abc').reply(200, 'OGG', { 'Content-Type': 'audio/ogg' });
    expect((await fetchMedia(`${API}${MEDIA}`)).contentType).toBe('audio/ogg');
    expect(s3.isDone()).toBe(true);
  });

  it("refuses a media URL that is not Twilio's, without fetching it", async () => {
    const elsewhere = nock('https://attacker.example').get('/x').reply(200, 'x');
    const internal = nock('http://169.254.169.254').get('/latest/meta-data/').reply(200, 'secret');
    for (const url of ['https://attacker.example/x', 'http://169.254.169.254/latest/meta-data/', `http://api.twilio.com${MEDIA}`, 'https://api.twilio.com.attacker.example/x', 'https://mms.twiliocdn.com/x', 'not a url']) {
      expect((await refusal(url)).reason).toBe('host_not_allowed');
    }
    expect(elsewhere.isDone()).toBe(false);
    expect(internal.isDone()).toBe(false);
  });

  it('refuses a redirect off the allowed hosts, and never sends the credentials there', async () => {
    nock(API).get(MEDIA).reply(302, '', { Location: 'https://attacker.example/steal' });
    const elsewhere = nock('https://attacker.example').get('/steal').reply(200, 'x');
    const err = await refusal(`${API}${MEDIA}`);
    expect(err.reason).toBe('host_not_allowed');
    expect(err.message).toContain('https://attacker.example');
    expect(elsewhere.isDone()).toBe(false);
    // Another bucket on S3 is not Twilio's either.
    nock(API).get(MEDIA).reply(302, '', { Location: 'https://s3-external-1.amazonaws.com/someone-else/abc' });
    expect((await refusal(`${API}${MEDIA}`)).reason).toBe('host_not_allowed');
  });

  it('refuses a media larger than the cap, by its Content-Length or as it streams', async () => {
    nock(API).get(MEDIA).reply(200, Buffer.alloc(CAP + 1), { 'Content-Type': 'image/png' });
    const declared = await refusal(`${API}${MEDIA}`);
    expect(declared.reason).toBe('too_large');
    expect(declared.message).toContain('TWILIO_MEDIA_MAX_BYTES');
    // No Content-Length: a chunked body that grows past the cap.
    nock(API)
      .get(MEDIA)
      .reply(200, () => Readable.from([Buffer.alloc(6_000), Buffer.alloc(6_000)]), { 'Content-Type': 'image/png' });
    expect((await refusal(`${API}${MEDIA}`)).reason).toBe('too_large');
    // Exactly the cap is accepted.
    nock(API).get(MEDIA).reply(200, Buffer.alloc(CAP), { 'Content-Type': 'image/png' });
    expect((await fetchMedia(`${API}${MEDIA}`)).data.byteLength).toBe(CAP);
  });

  it('stops after a few redirects, and names an error status', async () => {
    nock(API).get(MEDIA).times(10).reply(302, '', { Location: `${API}${MEDIA}` });
    expect((await refusal(`${API}${MEDIA}`)).reason).toBe('too_many_redirects');
    nock.cleanAll();
    nock(API).get(MEDIA).reply(404, 'not found');
    const missing = await refusal(`${API}${MEDIA}`);
    expect(missing.reason).toBe('http_status');
    expect(missing.message).toBe('media fetch answered 404');
  });
});
