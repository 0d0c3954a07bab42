import { describe, expect, it } from 'vitest';
import { InvalidPhoneNumberError, toE164 } from '../../../src/domain/phone.js';

describe('phone numbers', () => {
  it.each([
    ['06 12 34 56 78', '+33612345678'],
    ['06.12.34.56.78', '+33612345678'],
    ['+33 (0)6 12 34 56 78', '+33612345678'],
    ['0033612345678', '+33612345678'],
    ['+33612345678', '+33612345678'],
    ['+32 470 12 34 56', '+32470123456'],
  ])('reads %s as %s', (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it.each(['', 'bonjour', '12', '+0612345678', '06 12 34'])('refuses %j with a clear error', (input) => {
    expect(() => toE164(input)).toThrow(InvalidPhoneNumberError);
    expect(() => toE164(input)).toThrow(/\+33 6 12 34 56 78/);
  });
});
