import { describe, expect, it } from 'vitest';
import { InvalidPhoneNumberError, isE164, toE164 } from '../../../src/domain/phone.js';

describe('phone numbers', () => {
  it.each([
    ['06 12 34 56 78', '+33612345678'],
    ['06.12.34.56.78', '+33612345678'],
    ['06-12-34-56-78', '+33612345678'],
    ['06/12/34/56/78', '+33612345678'],
    [' 0612345678 ', '+33612345678'],
    ['+33 (0)6 12 34 56 78', '+33612345678'],
    ['0033612345678', '+33612345678'],
    ['+33612345678', '+33612345678'],
    ['+330612345678', '+33612345678'],
    ['0033 0612345678', '+33612345678'],
    ['07 57 00 00 00', '+33757000000'],
    ['01 42 76 40 40', '+33142764040'],
    ['0800 12 34 56', '+33800123456'],
  ])('reads the metropolitan number %s as %s', (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it.each([
    // Réunion and Mayotte, +262
    ['0692 12 34 56', '+262692123456'],
    ['0693 11 22 33', '+262693112233'],
    ['0262 12 34 56', '+262262123456'],
    ['0269 61 23 45', '+262269612345'],
    ['0639 01 23 45', '+262639012345'],
    // Guadeloupe, Saint-Martin, Saint-Barthélemy, +590
    ['0590 27 12 34', '+590590271234'],
    ['0690 12 34 56', '+590690123456'],
    ['0691 22 34 56', '+590691223456'],
    // Guyane, +594
    ['0594 20 12 34', '+594594201234'],
    ['0694 20 12 34', '+594694201234'],
    // Martinique, +596
    ['0596 30 12 34', '+596596301234'],
    ['0696 20 12 34', '+596696201234'],
    ['0697 12 34 56', '+596697123456'],
    // Saint-Pierre-et-Miquelon, +508 and six digits
    ['0508 41 23 45', '+508412345'],
    ['0508 55 12 34', '+508551234'],
    // The newer overseas mobile ranges (07 09 0…), which France's own metadata does not hold
    ['0709 01 23 45', '+590709012345'],
  ])('reads the overseas national number %s as %s under FR', (input, expected) => {
    expect(toE164(input, 'FR')).toBe(expected);
  });

  it.each([
    '0692123456',
    '0692 12 34 56',
    '+262692123456',
    '+262 692 12 34 56',
    '00262692123456',
    '0033692123456',
    '+33692123456',
    '+33 6 92 12 34 56',
    '+330692123456',
  ])('reads %s as the one Réunion number +262692123456', (input) => {
    expect(toE164(input, 'FR')).toBe('+262692123456');
  });

  it.each([
    ['+33596301234', '+596596301234'],
    ['+33269612345', '+262269612345'],
    ['+33508412345', '+508412345'],
    ['+33 6 90 12 34 56', '+590690123456'],
  ])('gives a +33 overseas number (%s) its own country code %s', (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it.each([
    ['+32 470 12 34 56', '+32470123456'],
    ['0032 2 555 12 12', '+3225551212'],
    ['+352 621 123 456', '+352621123456'],
    ['00352 621 123 456', '+352621123456'],
    ['+41 79 123 45 67', '+41791234567'],
    ['+262 692 12 34 56', '+262692123456'],
    ['+590 690 12 34 56', '+590690123456'],
    ['+508 41 23 45', '+508412345'],
    ['+1 202 555 0123', '+12025550123'],
  ])('reads the international number %s as %s under FR', (input, expected) => {
    expect(toE164(input, 'FR')).toBe(expected);
  });

  it.each([
    ['0470 12 34 56', 'BE', '+32470123456'],
    ['621 123 456', 'LU', '+352621123456'],
    ['0692 12 34 56', 'RE', '+262692123456'],
    ['0690 12 34 56', 'GP', '+590690123456'],
    ['06 12 34 56 78', 'fr', '+33612345678'],
  ])('reads the national number %s in %s', (input, country, expected) => {
    expect(toE164(input, country)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'bonjour',
    '12',
    '+0612345678',
    '06 12 34',
    '0612',
    '06 12 34 56 789',
    '0012345',
    '++33612345678',
    '+33 6 12 34 56',
    '+336123456789',
    '06 12 34 56 78 Jean',
    '0612345678 ext 2',
    '06１２３４５６７８',
    // Valid lengths in ranges no operator has
    '+33 7 00 00 00 00',
    '0596 12 34 56',
    '0692 00 00 00 00',
    '+262 692 12 34',
    '+32 470 12 34',
    '+352 1',
  ])('refuses %j with a clear error', (input) => {
    expect(() => toE164(input)).toThrow(InvalidPhoneNumberError);
    expect(() => toE164(input)).toThrow(/\+33 6 12 34 56 78/);
  });

  it('refuses a national number under an unknown default country, and one from another country', () => {
    expect(() => toE164('06 12 34 56 78', 'XX')).toThrow(InvalidPhoneNumberError);
    expect(() => toE164('06 12 34 56 78', 'BE')).toThrow(InvalidPhoneNumberError);
    // The same number in international form is read whatever the default country.
    expect(toE164('+33 6 12 34 56 78', 'BE')).toBe('+33612345678');
    expect(toE164('0033 6 92 12 34 56', 'LU')).toBe('+262692123456');
  });

  it('keeps the input on the error, and gives only E.164', () => {
    try {
      toE164('06 12');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidPhoneNumberError);
      expect((err as InvalidPhoneNumberError).input).toBe('06 12');
    }
    for (const n of ['06 12 34 56 78', '0692 12 34 56', '0508 41 23 45', '+352 621 123 456']) expect(isE164(toE164(n))).toBe(true);
    expect(isE164('0612345678')).toBe(false);
  });
});
