/**
 * Sends SMS through Twilio's REST API (Messages resource). What can pass (the network, a timeout, Twilio
 * answering 5xx or 429) is a transient DeliveryError, so the outbox tries again, after Retry-After when
 * Twilio gives one; what cannot (a 4xx with a Twilio error code: landline, opted out, invalid number…) is
 * permanent, its code kept so that a human is told why. Refused credentials (20003) are neither: the
 * account, not the message, is what is wrong, so deliveries wait without using up attempts (an outage),
 * the sender's health says so, and they go out once the credentials work. Twilio's own error messages
 * are never passed on: they may quote the phone number.
 */
import twilio from 'twilio';
// Type-only: the SDK's index does not re-export the RequestClient namespace's option types.
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { DeliveryError } from '../../outbox/outbox.js';
import { isCredentialsRefused, smsFailureReason, TWILIO_CREDENTIALS_REFUSED } from './failure-reasons.js';
import type { OutboundSms, SmsSender } from './types.js';

interface TwilioSenderBase {
  accountSid: string;
  authToken: string;
  /** Abort a call to Twilio after this long (socket and request timeout). */
  timeoutMs: number;
  /**
   * Reuse connections to Twilio (default true). Tests turn it off: the SDK then sends `Connection: close`,
   * since nock 14 never answers a request carrying `Connection: keep-alive` (nock/nock#2918).
   */
  keepAlive?: boolean;
}

export type TwilioSmsSenderOptions = TwilioSenderBase &
  ({ from: string; messagingServiceSid?: undefined } | { messagingServiceSid: string; from?: undefined });

/** An HTTP error answer from Twilio that carried a Retry-After header (which RestException drops). */
export class TwilioHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`[HTTP ${status}] Twilio refused the request`);
    this.name = 'TwilioHttpError';
  }
}

/**
 * Twilio's HTTP client, keeping the Retry-After header of error answers: the SDK's RestException carries
 * the status and Twilio code but not the headers.
 */
class RetryAfterAwareClient extends twilio.RequestClient {
  // The return type is inferred: the SDK's Response class cannot be named from an ESM module.
  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const response = await super.request<TData>(opts);
    if (response.statusCode >= 400) {
      const retryAfterMs = parseRetryAfter(header(response.headers, 'retry-after'));
      if (retryAfterMs !== undefined) throw new TwilioHttpError(response.statusCode, bodyCode(response.body), retryAfterMs);
    }
    return response;
  }
}

/** Twilio refuses the account's credentials: what /healthz shows until a send succeeds again. */
export class TwilioCredentialsRefusedError extends Error {
  constructor(readonly since: Date) {
    super(`Twilio refused the credentials (${TWILIO_CREDENTIALS_REFUSED}) since ${since.toISOString()}: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN; SMS wait and go out once they work`);
    this.name = 'TwilioCredentialsRefusedError';
  }
}

export class TwilioSmsSender implements SmsSender {
  private readonly client: twilio.Twilio;
  private readonly sender: { from: string } | { messagingServiceSid: string };
  /** Since when Twilio refuses the credentials (set by a 20003, cleared by the next SMS Twilio accepts). */
  private refusedSince: Date | undefined;
  private acceptedAt: Date | undefined;

  constructor(opts: TwilioSmsSenderOptions) {
    if (opts.messagingServiceSid) this.sender = { messagingServiceSid: opts.messagingServiceSid };
    else if (opts.from) this.sender = { from: opts.from };
    else throw new Error('TwilioSmsSender needs either a From number or a messaging service SID');
    const keepAlive = opts.keepAlive ?? true;
    this.client = twilio(opts.accountSid, opts.authToken, {
      timeout: opts.timeoutMs,
      keepAlive,
      httpClient: new RetryAfterAwareClient({ timeout: opts.timeoutMs, keepAlive }),
    });
  }

  async send(sms: OutboundSms): Promise<{ sid: string }> {
    try {
      const message = await this.client.messages.create({
        to: sms.to,
        body: sms.body,
        statusCallback: sms.statusCallback,
        ...this.sender,
      });
      this.refusedSince = undefined;
      this.acceptedAt = new Date();
      return { sid: message.sid };
    } catch (err) {
      const failure = toDeliveryError(err);
      if (isCredentialsRefused(failure.options.code ?? null)) this.refusedSince ??= new Date();
      throw failure;
    }
  }

  /**
   * The account as the last SMS found it, for /healthz: throws while Twilio refuses the credentials.
   * (Known from sending: with nothing to send, a wrong token shows at the next SMS.)
   */
  async health(): Promise<string> {
    if (this.refusedSince) throw new TwilioCredentialsRefusedError(this.refusedSince);
    return this.acceptedAt ? `last SMS accepted at ${this.acceptedAt.toISOString()}` : 'no SMS sent yet';
  }
}

/** Reads any failure of a call to Twilio as the outbox needs it. */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const http = httpFailure(err);
  if (!http) {
    // No HTTP answer: the network, DNS, a timeout. A timeout may come after Twilio accepted the message,
    // so a retry may send it twice; that is better than a message silently lost.
    const code = (err as { code?: unknown } | null)?.code;
    return new DeliveryError(`twilio_unreachable${typeof code === 'string' ? `: ${code}` : ''}`, { permanent: false, code: null });
  }
  const { status, code, retryAfterMs } = http;
  const codeText = code === undefined ? null : String(code);
  if (isCredentialsRefused(codeText) || (status === 401 && code === undefined)) {
    // The account, not the message: wait (no attempt used up), retried at least every minute.
    return new DeliveryError('twilio_credentials_refused', { permanent: false, code: String(TWILIO_CREDENTIALS_REFUSED), outage: true });
  }
  if (status === 429) {
    return new DeliveryError('twilio_rate_limited', { permanent: false, code: codeText, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (status >= 500 || status === 408) {
    return new DeliveryError(`twilio_http_${status}`, { permanent: false, code: codeText, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  // Any other 4xx: the request itself is refused, and sending it again will not change that.
  return new DeliveryError(smsFailureReason(codeText), { permanent: true, code: codeText });
}

/** Status, Twilio code and Retry-After of an HTTP error answer (RestException, TwilioServiceException or ours). */
function httpFailure(err: unknown): { status: number; code: number | undefined; retryAfterMs: number | undefined } | null {
  if (err instanceof TwilioHttpError) return { status: err.status, code: err.code, retryAfterMs: err.retryAfterMs };
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; code?: unknown; name?: unknown };
  // axios errors also have a `status` (undefined without an answer) and a string `code` (ECONNRESET…).
  if (typeof e.status !== 'number' || e.status < 400) return null;
  const code = typeof e.code === 'number' && e.code > 0 ? e.code : undefined;
  return { status: e.status, code, retryAfterMs: undefined };
}

function header(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const h = headers as { get?: unknown } & Record<string, unknown>;
  // axios gives an AxiosHeaders (case-insensitive get), or a plain object of lower-cased names.
  const value = typeof h.get === 'function' ? (h.get as (n: string) => unknown).call(h, name) : h[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/u.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function bodyCode(body: unknown): number | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const code = (parsed as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code > 0 ? code : undefined;
}
