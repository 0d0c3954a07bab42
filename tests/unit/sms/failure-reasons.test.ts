import { describe, expect, it } from 'vitest';
import {
  isFailureStatus,
  isPermanentFailureCode,
  isTerminalStatus,
  isTwilioMessageStatus,
  smsFailureReason,
} from '../../../src/channels/sms/failure-reasons.js';
import type { SmsFailureReason } from '../../../src/channels/sms/types.js';

describe('smsFailureReason', () => {
  it.each<[number, SmsFailureReason]>([
    [21610, 'opted_out'],
    [30003, 'unreachable'],
    [30005, 'invalid_number'],
    [30006, 'landline'],
    [21614, 'landline'],
    [21211, 'invalid_number'],
    [30004, 'blocked'],
    [30007, 'blocked'],
    [30008, 'unknown'],
    [30001, 'queue_overflow'],
    [30002, 'account'],
    [21408, 'blocked'],
    [21612, 'blocked'],
    [30034, 'carrier'],
    [30032, 'carrier'],
    [21617, 'too_long'],
    [30019, 'too_long'],
  ])('maps %i to %s, as a number or a string', (code, reason) => {
    expect(smsFailureReason(code)).toBe(reason);
    expect(smsFailureReason(String(code))).toBe(reason);
  });

  it('answers unknown for anything else', () => {
    for (const code of [null, '', ' ', 'abc', 0, -1, 12345, '99999']) expect(smsFailureReason(code)).toBe('unknown');
    // Wrong credentials: the service's account, not the person's phone, is what needs fixing.
    expect(smsFailureReason(20003)).toBe('account');
  });
});

describe('isPermanentFailureCode', () => {
  it('is true for what will not pass by itself', () => {
    for (const code of [21610, '21614', 30005, 30006, 21211, 30004, 30007, 21408, 21612, 30034, 21617, 30002]) {
      expect(isPermanentFailureCode(code), String(code)).toBe(true);
    }
  });
  it('is false for what may pass, and for unknown codes', () => {
    for (const code of [30003, 30001, 30008, '12345', null]) expect(isPermanentFailureCode(code), String(code)).toBe(false);
  });
});

describe('status helpers', () => {
  it('knows which statuses are final', () => {
    for (const s of ['delivered', 'undelivered', 'failed', 'canceled', 'read', 'received'] as const) expect(isTerminalStatus(s)).toBe(true);
    for (const s of ['accepted', 'scheduled', 'queued', 'sending', 'sent', 'receiving'] as const) expect(isTerminalStatus(s)).toBe(false);
  });
  it('knows which statuses are failures', () => {
    expect(isFailureStatus('failed')).toBe(true);
    expect(isFailureStatus('undelivered')).toBe(true);
    for (const s of ['delivered', 'sent', 'canceled', 'queued', 'read'] as const) expect(isFailureStatus(s)).toBe(false);
  });
  it('recognises Twilio statuses', () => {
    expect(isTwilioMessageStatus('delivered')).toBe(true);
    expect(isTwilioMessageStatus('partially_delivered')).toBe(false);
    expect(isTwilioMessageStatus(3)).toBe(false);
  });
});
