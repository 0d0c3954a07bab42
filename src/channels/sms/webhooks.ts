/**
 * Twilio's webhooks: an SMS arriving on the service's number (POST /twilio/sms) and the status callbacks
 * of the messages Lien sends (POST /twilio/status). Every request must carry Twilio's signature over the
 * public URL; anything else is answered 403 and goes no further. An inbound SMS is acknowledged (200,
 * empty TwiML) only once the handler has stored it: on failure Lien answers 500 and Twilio retries, and
 * the MessageSid lets the handler recognise a retry.
 *
 * Expects form bodies already parsed by express.urlencoded({ extended: false }), mounted before.
 * Logs name messages by their SID only, never by number or text.
 */
import { Router, type Request, type Response } from 'express';
import { maskPhone, type Logger } from '../../logger.js';
import { sendError } from '../../web/errors.js';
import { isTwilioMessageStatus } from './failure-reasons.js';
import { twilioSignatureValid, type TwilioParams } from './signature.js';
import type { InboundSms, SmsStatusUpdate, SmsWebhookHandlers } from './types.js';

export interface SmsWebhookOptions {
  /** The Twilio account's auth token, the key of the signatures. */
  authToken: string;
  /**
   * Lien's public base URL as Twilio calls it ("https://lien.example.org", no trailing slash needed),
   * read at each request since the listening port may be known only after start.
   */
  publicUrl: () => string;
  handlers: SmsWebhookHandlers;
  logger: Logger;
}

export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** Twilio sends at most 10 media per message; more is not Twilio. */
const MAX_MEDIA = 10;

export function smsWebhookRouter(opts: SmsWebhookOptions): Router {
  const { authToken, publicUrl, handlers } = opts;
  const logger = opts.logger.child({ component: 'sms-webhooks' });
  const router = Router();

  /** The request's form parameters if Twilio signed them; otherwise answers 403 and gives null. */
  function signedParams(req: Request, res: Response): TwilioParams | null {
    const params = formParams(req.body);
    const url = publicUrl().replace(/\/+$/u, '') + req.originalUrl;
    const header = req.get('X-Twilio-Signature');
    if (!twilioSignatureValid(authToken, header, url, params)) {
      logger.warn({ path: req.path, signed: header !== undefined, ip: req.ip }, 'rejected a Twilio webhook whose signature does not match');
      sendError(res, 403, 'bad_signature', 'The X-Twilio-Signature header is missing or does not match this request.');
      return null;
    }
    return params;
  }

  router.post('/twilio/sms', async (req, res) => {
    const params = signedParams(req, res);
    if (!params) return;
    const sms = parseInbound(params);
    if (!sms) {
      logger.warn({ path: req.path }, 'rejected a signed SMS webhook without MessageSid or From');
      sendError(res, 400, 'invalid_webhook', 'An SMS webhook must carry MessageSid and From.');
      return;
    }
    try {
      await handlers.onInbound(sms);
    } catch (err) {
      logger.error({ messageSid: sms.messageSid, err: describeError(err) }, 'could not store an inbound SMS; Twilio will retry');
      sendError(res, 500, 'store_failed', 'The message could not be stored; please retry.');
      return;
    }
    logger.info({ messageSid: sms.messageSid, media: sms.media.length }, 'inbound SMS stored');
    res.status(200).type('text/xml').send(EMPTY_TWIML);
  });

  router.post('/twilio/status', async (req, res) => {
    const params = signedParams(req, res);
    if (!params) return;
    const messageSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
    const status = field(params, 'MessageStatus') ?? field(params, 'SmsStatus');
    if (!messageSid || !status) {
      logger.warn({ path: req.path }, 'rejected a signed status callback without MessageSid or MessageStatus');
      sendError(res, 400, 'invalid_webhook', 'A status callback must carry MessageSid and MessageStatus.');
      return;
    }
    if (!isTwilioMessageStatus(status)) {
      // A status Twilio added after this code was written: nothing Lien can act on, and no reason for Twilio to retry.
      logger.warn({ messageSid, status }, 'ignored a status callback with an unknown MessageStatus');
      res.status(204).end();
      return;
    }
    const update: SmsStatusUpdate = { messageSid, status, errorCode: field(params, 'ErrorCode') || null };
    try {
      await handlers.onStatus(update);
    } catch (err) {
      logger.error({ messageSid, status, err: describeError(err) }, 'could not record an SMS status update');
      sendError(res, 500, 'store_failed', 'The status update could not be recorded; please retry.');
      return;
    }
    logger.debug({ messageSid, status, errorCode: update.errorCode }, 'SMS status update recorded');
    res.status(204).end();
  });

  return router;
}

/** Parses Twilio's inbound-message parameters; null when MessageSid or From is missing. */
export function parseInbound(params: TwilioParams, receivedAt: Date = new Date()): InboundSms | null {
  const messageSid = field(params, 'MessageSid') ?? field(params, 'SmsMessageSid');
  const from = field(params, 'From');
  if (!messageSid || !from) return null;
  const declared = Number.parseInt(field(params, 'NumMedia') ?? '0', 10);
  const count = Number.isFinite(declared) ? Math.min(Math.max(declared, 0), MAX_MEDIA) : 0;
  const media: InboundSms['media'] = [];
  for (let i = 0; i < count; i++) {
    const url = field(params, `MediaUrl${i}`);
    if (!url) continue;
    media.push({ url, contentType: field(params, `MediaContentType${i}`) || 'application/octet-stream' });
  }
  return {
    messageSid,
    from,
    to: field(params, 'To') ?? '',
    body: field(params, 'Body') ?? '',
    media,
    receivedAt,
  };
}

/** The form body as string fields (express gives undefined when no body parser matched). */
function formParams(body: unknown): TwilioParams {
  const params: TwilioParams = {};
  if (typeof body !== 'object' || body === null) return params;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') params[key] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) params[key] = value as string[];
  }
  return params;
}

function field(params: TwilioParams, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A handler's error for the log, with anything that looks like a phone number masked (a duplicate-key message quotes the key). */
function describeError(err: unknown): { name: string; message: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message.replace(/\+?\d[\d .-]{6,}\d/gu, (m) => maskPhone(m)) };
}
