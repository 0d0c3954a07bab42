/**
 * Generated Twilio webhooks and room commands for the fuzz test (tests/integration/web/fuzz.test.ts) and
 * `npm run fuzz`: what an attacker, a broken proxy or a confused carrier could send. Each webhook case
 * says what Lien must answer: `rejected` (a 4xx, nothing stored) or `accepted` (signed by Twilio: 200 or
 * 204, stored once). Seeded, so that a failure can be replayed.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { signTwilioRequest } from '../../src/channels/sms/signature.js';

export type WebhookPath = '/twilio/sms' | '/twilio/status';

export interface WebhookCase {
  kind: string;
  path: WebhookPath;
  headers: Record<string, string>;
  body: Buffer;
  /** rejected: 4xx. accepted: 2xx (a signed, well-formed webhook). */
  expect: 'rejected' | 'accepted';
  /** For accepted inbound SMS: the MessageSid that must be stored once. */
  messageSid?: string;
}

export interface WebhookTarget {
  /** Lien's public base URL (what Twilio signs against). */
  url: string;
  authToken: string;
  accountSid: string;
  serviceNumber: string;
  /** Phone numbers of people the service follows; signed SMS come from them or from strangers. */
  knownPhones: readonly string[];
  /** Body limit in bytes (HTTP_BODY_LIMIT): bodies beyond get 413. */
  bodyLimitBytes: number;
}

const FORM = 'application/x-www-form-urlencoded';

function sid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/** No lone surrogate (encodeURIComponent refuses those). */
function wellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

function encodeForm(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function signed(target: WebhookTarget, path: WebhookPath, params: Record<string, string>): Record<string, string> {
  return { 'Content-Type': FORM, 'X-Twilio-Signature': signTwilioRequest(target.authToken, `${target.url}${path}`, params) };
}

/** Text as people type it, and worse: emoji, RTL, control characters, lone surrogates made into U+FFFD. */
const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('STOP', 'ARRÊT', 'START', 'OUI', 'NON', 'ANNULER', '100%', '%', '%%', '%zz', '%E0%A4%A', '&=&=', '\u0000', 'a'.repeat(1600)),
);

const garbageNumber = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '+', '+33', '0000', 'INFO', '+3361234567890123', '٠٦١٢٣٤٥٦٧٨', '+33 6 12 34 56 78'));

const statusWord = fc.constantFrom('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'accepted', 'canceled', 'receiving', 'bogus', '');

/** Raw bytes with form-data look: dangling %, invalid UTF-8, stray separators. */
const rawFormBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.array(fc.constantFrom('%', '%2', '%G1', '&', '=', 'Body=', 'From=', '+', '%00', '\xff', '\ud800', 'MessageSid=SM1', '%C3%28', '%F0%9F%98'), { maxLength: 40 }).map((a) => Buffer.from(a.join(''), 'latin1')),
  fc.constantFrom(Buffer.from('Body=%'), Buffer.from('MessageSid=SM1&From=%2B336%&Body=%E2%82'), Buffer.from([0x42, 0x6f, 0x64, 0x79, 0x3d, 0xc3, 0x28, 0xff, 0xfe]), Buffer.from('='.repeat(500)), Buffer.from('a&'.repeat(400))),
);

function unsignedCase(target: WebhookTarget): fc.Arbitrary<WebhookCase> {
  return fc.record({ path: fc.constantFrom<WebhookPath>('/twilio/sms', '/twilio/status'), from: garbageNumber, body: text }).map(({ path, from, body }) => ({
    kind: 'unsigned',
    path,
    headers: { 'Content-Type': FORM },
    body: Buffer.from(encodeForm({ MessageSid: sid('SM'), AccountSid: target.accountSid, From: from, To: target.serviceNumber, Body: body, MessageStatus: 'delivered' })),
    expect: 'rejected' as const,
  }));
}

function wronglySignedCase(target: WebhookTarget): fc.Arbitrary<WebhookCase> {
  return fc
    .record({
      path: fc.constantFrom<WebhookPath>('/twilio/sms', '/twilio/status'),
      body: text,
      how: fc.constantFrom('other-token', 'other-params', 'other-url', 'garbage', 'empty', 'huge'),
      garbage: fc.string({ maxLength: 60 }),
    })
    .map(({ path, body, how, garbage }) => {
      const params = { MessageSid: sid('SM'), AccountSid: target.accountSid, From: target.knownPhones[0] ?? '+33612345678', To: target.serviceNumber, Body: body, MessageStatus: 'delivered' };
      const url = `${target.url}${path}`;
      const signature =
        how === 'other-token' ? signTwilioRequest(`${target.authToken}x`, url, params)
        : how === 'other-params' ? signTwilioRequest(target.authToken, url, { ...params, Body: `${body}.` })
        : how === 'other-url' ? signTwilioRequest(target.authToken, `${url}?x=1`, params)
        : how === 'empty' ? ''
        : how === 'huge' ? 'A'.repeat(6000)
        : garbage.replace(/[\r\n]/gu, '');
      return { kind: `wrongly-signed:${how}`, path, headers: { 'Content-Type': FORM, 'X-Twilio-Signature': encodeURIComponent(signature).slice(0, 7000) }, body: Buffer.from(encodeForm(params)), expect: 'rejected' as const };
    });
}

function malformedCase(): fc.Arbitrary<WebhookCase> {
  return fc
    .record({
      path: fc.constantFrom<WebhookPath>('/twilio/sms', '/twilio/status'),
      body: rawFormBytes,
      contentType: fc.constantFrom(FORM, `${FORM}; charset=utf-8`, `${FORM}; charset=latin1`, `${FORM}; charset=utf-7`, 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', ''),
      encoding: fc.constantFrom(undefined, undefined, undefined, 'gzip', 'deflate', 'br', 'x-unknown'),
      signature: fc.option(fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x21-\x7e]/gu, '')), { nil: undefined }),
    })
    .map(({ path, body, contentType, encoding, signature }) => ({
      kind: `malformed:${contentType.split(';')[0] || 'none'}${encoding ? `:${encoding}` : ''}`,
      path,
      headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...(encoding ? { 'Content-Encoding': encoding } : {}), ...(signature !== undefined ? { 'X-Twilio-Signature': signature } : {}) },
      body,
      expect: 'rejected' as const,
    }));
}

function hugeCase(target: WebhookTarget): fc.Arbitrary<WebhookCase> {
  return fc.record({ path: fc.constantFrom<WebhookPath>('/twilio/sms', '/twilio/status'), extra: fc.integer({ min: 1, max: 3 * target.bodyLimitBytes }), sign: fc.boolean() }).map(({ path, extra, sign }) => {
    const params = { MessageSid: sid('SM'), From: target.knownPhones[0] ?? '+33612345678', To: target.serviceNumber, Body: 'x'.repeat(target.bodyLimitBytes + extra) };
    return { kind: 'huge', path, headers: sign ? signed(target, path, params) : { 'Content-Type': FORM }, body: Buffer.from(encodeForm(params)), expect: 'rejected' as const };
  });
}

/** Signed by Twilio, but without the fields Lien needs: 400. */
function missingFieldsCase(target: WebhookTarget): fc.Arbitrary<WebhookCase> {
  return fc
    .record({ path: fc.constantFrom<WebhookPath>('/twilio/sms', '/twilio/status'), body: text, keepSid: fc.boolean() })
    .map(({ path, body, keepSid }) => {
      const params: Record<string, string> =
        path === '/twilio/sms' ? (keepSid ? { MessageSid: sid('SM'), To: target.serviceNumber, Body: body } : { From: target.knownPhones[0] ?? '+33612345678', Body: body }) : keepSid ? { MessageSid: sid('SM'), ErrorCode: body.slice(0, 10) } : { MessageStatus: 'delivered' };
      return { kind: 'missing-fields', path, headers: signed(target, path, params), body: Buffer.from(encodeForm(params)), expect: 'rejected' as const };
    });
}

/** Signed and well-formed, with odd contents: accepted, stored once. */
function signedSmsCase(target: WebhookTarget): fc.Arbitrary<WebhookCase> {
  return fc
    .record({
      from: fc.oneof(fc.constantFrom(...(target.knownPhones.length ? target.knownPhones : ['+33612345678'])), fc.constantFrom('+33698000001', '+262692000001', 'INFO', '36180')),
      body: text,
      numMedia: fc.constantFrom('0', '0', '1', '-3', '999', 'abc', ''),
      mediaUrl: fc.constantFrom('https://attacker.example/x', 'http://169.254.169.254/', 'not a url', ''),
      dangling: fc.constantFrom(undefined, undefined, undefined, '%', '%z', '%C3%28', '%F0%9F%98', '%E2%82%'),
    })
    .map(({ from, body, numMedia, mediaUrl, dangling }): WebhookCase => {
      const messageSid = sid('SM');
      const params: Record<string, string> = { MessageSid: messageSid, SmsMessageSid: messageSid, AccountSid: target.accountSid, From: from, To: target.serviceNumber, Body: body, NumMedia: numMedia, ...(numMedia !== '0' ? { MediaUrl0: mediaUrl, MediaContentType0: 'image/jpeg' } : {}) };
      if (dangling) {
        // Percent-encoding that does not decode at the end of the body (a careless proxy), signed over the text as
        // it reads: not a form Lien can read, so 400, signature or not.
        const { Body: _body, ...rest } = params;
        const text = wellFormed(body) ? body : '';
        return { kind: 'signed-dangling-percent', path: '/twilio/sms', headers: signed(target, '/twilio/sms', { ...params, Body: `${text}${dangling}` }), body: Buffer.from(`${encodeForm(rest)}&Body=${encodeURIComponent(text)}${dangling}`), expect: 'rejected' };
      }
      return { kind: 'signed-sms', path: '/twilio/sms', headers: signed(target, '/twilio/sms', params), body: Buffer.from(encodeForm(params)), expect: 'accepted', messageSid };
    });
}

/** Signed status callbacks, in any order, for SIDs Lien sent (given) or never saw. */
export function statusCallback(target: WebhookTarget, messageSid: string, status: string, errorCode?: string): WebhookCase {
  const params: Record<string, string> = { MessageSid: messageSid, SmsSid: messageSid, MessageStatus: status, SmsStatus: status, AccountSid: target.accountSid, From: target.serviceNumber, ...(errorCode !== undefined ? { ErrorCode: errorCode } : {}) };
  return { kind: 'signed-status', path: '/twilio/status', headers: signed(target, '/twilio/status', params), body: Buffer.from(encodeForm(params)), expect: status ? 'accepted' : 'rejected' };
}

function signedStatusCase(target: WebhookTarget, sentSids: () => readonly string[]): fc.Arbitrary<WebhookCase> {
  return fc.record({ pick: fc.nat(), status: statusWord, errorCode: fc.option(fc.constantFrom('30003', '30005', '20003', 'x', ''), { nil: undefined }) }).map(({ pick, status, errorCode }) => {
    const sids = sentSids();
    const messageSid = sids.length > 0 && pick % 2 === 0 ? (sids[pick % sids.length] ?? sid('SM')) : sid('SM');
    return statusCallback(target, messageSid, status, errorCode);
  });
}

/**
 * The mix: mostly what must be refused (cheap to answer), a few percent signed webhooks that must be
 * stored (they reach the database and the rooms).
 */
export function webhookCase(target: WebhookTarget, sentSids: () => readonly string[] = () => []): fc.Arbitrary<WebhookCase> {
  return fc.oneof(
    { weight: 30, arbitrary: unsignedCase(target) },
    { weight: 20, arbitrary: wronglySignedCase(target) },
    { weight: 35, arbitrary: malformedCase() },
    { weight: 2, arbitrary: hugeCase(target) },
    { weight: 8, arbitrary: missingFieldsCase(target) },
    { weight: 2, arbitrary: signedSmsCase(target) },
    { weight: 3, arbitrary: signedStatusCase(target, sentSids) },
  );
}

/** `count` cases from `seed`, the same ones each time. */
export function sampleCases<T>(arb: fc.Arbitrary<T>, count: number, seed: number): T[] {
  return fc.sample(arb, { numRuns: count, seed });
}

export interface WebhookOutcome {
  status: number;
  body: string;
}

/** One webhook; an answer that does not come within `timeoutMs` is an outcome too (status 0). */
export async function postCase(baseUrl: string, c: WebhookCase, timeoutMs = 30_000): Promise<WebhookOutcome> {
  try {
    const res = await fetch(`${baseUrl}${c.path}`, { method: 'POST', headers: c.headers, body: c.body, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { status: 0, body: `no answer within ${timeoutMs} ms` };
    throw err;
  }
}

/** What a response body must never show: a stack trace, a source path. */
export function leaksInternals(body: string): boolean {
  return /\n\s+at |\bat [\w.<>]+ \(|\/(src|node_modules)\/|\.ts:\d+|file:\/\//u.test(body);
}

/** Runs cases `concurrency` at a time; calls `check` with each outcome. */
export async function runCases(baseUrl: string, cases: readonly WebhookCase[], concurrency: number, check: (c: WebhookCase, o: WebhookOutcome) => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const c = cases[next++];
        if (!c) break;
        check(c, await postCase(baseUrl, c));
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Room commands with garbage arguments

const COMMAND_WORDS = ['aide', 'help', '?', 'lier', 'link', 'absent', 'away', 'present', 'back', 'termine', 'done', 'rdv', 'appointment', 'langue', 'language', 'historique', 'history', 'LIER', 'Rdv', 'rendez-vous', 'inconnu', 'drop', '', '!!', 'ａｉｄｅ'];

const argument = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('@', '@x', '@nobody:nowhere', "jusqu'au", '31/02', '00/00', '99/99/9999', '10/12/2099', '25:61', '-1', '0', '999999999999', 'NaN', 'confirmer', '+33', '06', '+33 6 12', '+999999999999999', 'fr', 'xx', 'fr-falc', 'ar', '<b>x</b>', '%', '\u202e', '\u0000'),
  fc.integer().map(String),
);

export const roomCommand = fc
  .record({ word: fc.constantFrom(...COMMAND_WORDS), args: fc.array(argument, { maxLength: 6 }), long: fc.nat({ max: 50 }) })
  .map(({ word, args, long }) => {
    const line = `${word} ${args.join(' ')}`.replace(/\s+$/u, '');
    // Now and then a very long one.
    return long === 0 ? `${line} ${'x'.repeat(3000)}` : line;
  });
