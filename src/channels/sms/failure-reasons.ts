/**
 * Twilio's error codes, read as reasons a social worker can act on ("this number is a landline: call it
 * instead"). Only the codes Lien meets in practice are named; anything else is `unknown`.
 * See https://www.twilio.com/docs/api/errors for the codes.
 */
import type { SmsFailureReason, TwilioMessageStatus } from './types.js';

const REASONS: ReadonlyMap<number, SmsFailureReason> = new Map<number, SmsFailureReason>([
  [21610, 'opted_out'], // the recipient replied STOP
  [30003, 'unreachable'], // handset off, out of coverage
  [30005, 'invalid_number'], // unknown or inactive destination
  [30006, 'landline'], // landline or unreachable carrier
  [21614, 'landline'], // 'To' is not a mobile number
  [21211, 'invalid_number'], // invalid 'To' number
  [30004, 'blocked'], // message blocked (by the recipient or carrier)
  [30007, 'blocked'], // carrier filtering
  [30008, 'unknown'], // unknown error
  [30001, 'queue_overflow'], // too many messages queued on the sender
  [30002, 'account'], // account suspended
  [20003, 'account'], // authentication failed: wrong Account SID or Auth Token
  [21408, 'blocked'], // permission to send to this region not enabled
  [21612, 'blocked'], // no route between the sender and this number
  [30034, 'carrier'], // US A2P 10DLC: message from an unregistered number
  [30032, 'carrier'], // toll-free number not verified
  [21617, 'too_long'], // concatenated body exceeds 1600 characters
  [30019, 'too_long'], // content size exceeds carrier limit
]);

/**
 * Twilio refused the account's credentials (wrong Account SID or Auth Token, a rotated token): no SMS
 * goes until the credentials are fixed, and then every one can. It says nothing about the message or the
 * number, so a delivery that meets it waits (like a homeserver outage) instead of failing for good.
 */
export const TWILIO_CREDENTIALS_REFUSED = 20003;

/** True for Twilio's authentication error (20003): an account problem that passes once the credentials work. */
export function isCredentialsRefused(code: string | number | null): boolean {
  return asCode(code) === TWILIO_CREDENTIALS_REFUSED;
}

/** Reasons for which sending the same text to the same number again cannot succeed without a human. */
const PERMANENT_REASONS: ReadonlySet<SmsFailureReason> = new Set<SmsFailureReason>([
  'opted_out', 'invalid_number', 'landline', 'blocked', 'carrier', 'too_long', 'account',
]);

function asCode(code: string | number | null | undefined): number | null {
  if (code === null || code === undefined) return null;
  const n = typeof code === 'number' ? code : Number(String(code).trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** The reason behind a Twilio error code (as Twilio sends it: a number in REST errors, a string in callbacks). */
export function smsFailureReason(code: string | number | null): SmsFailureReason {
  const n = asCode(code);
  if (n === null) return 'unknown';
  return REASONS.get(n) ?? 'unknown';
}

/**
 * True when a failure with this code will not go away by itself (opted out, landline, invalid number…);
 * false for what may pass (unreachable handset, full queue, refused credentials once fixed) and for
 * unknown codes.
 */
export function isPermanentFailureCode(code: string | number | null): boolean {
  if (isCredentialsRefused(code)) return false;
  return PERMANENT_REASONS.has(smsFailureReason(code));
}

const TERMINAL_STATUSES: ReadonlySet<TwilioMessageStatus> = new Set<TwilioMessageStatus>([
  'delivered', 'undelivered', 'failed', 'canceled', 'read', 'received',
]);

const FAILURE_STATUSES: ReadonlySet<TwilioMessageStatus> = new Set<TwilioMessageStatus>(['undelivered', 'failed']);

/** True when Twilio will send no further status for this message ('sent' is not: 'delivered' may follow). */
export function isTerminalStatus(status: TwilioMessageStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** True when the message did not reach the phone (a 'canceled' scheduled message is not a failure). */
export function isFailureStatus(status: TwilioMessageStatus): boolean {
  return FAILURE_STATUSES.has(status);
}

const ALL_STATUSES: ReadonlySet<string> = new Set<TwilioMessageStatus>([
  'accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed',
  'receiving', 'received', 'read', 'canceled',
]);

/** Narrows a MessageStatus field from a callback to the statuses Lien knows. */
export function isTwilioMessageStatus(value: unknown): value is TwilioMessageStatus {
  return typeof value === 'string' && ALL_STATUSES.has(value);
}
