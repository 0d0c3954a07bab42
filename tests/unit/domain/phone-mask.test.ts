import { describe, expect, it } from 'vitest';
import { maskedPhone } from '../../../src/domain/phone-mask.js';

describe('masked phone numbers', () => {
  it('keeps the country code, the first digit and the last two, in the national grouping', () => {
    expect(maskedPhone('+33612345678')).toBe('+33 6 •• •• •• 78');
    expect(maskedPhone('+262692123456')).toBe('+262 6•• •• •• 56');
    expect(maskedPhone('+32470123456')).toBe('+32 4•• •• •• 56');
  });

  it('never shows more than three of the national digits', () => {
    for (const phone of ['+33612345678', '+262692123456', '+447700900123', '+15005550006', '+352621123456']) {
      const shown = maskedPhone(phone).replace(/^\+\d+/u, '').replace(/\D/gu, '');
      expect(shown.length, phone).toBe(3);
    }
  });

  it('masks a sender that is not a phone number too', () => {
    expect(maskedPhone('36180')).toBe('•••80');
    expect(maskedPhone('INFO')).toBe('••••');
    expect(maskedPhone('')).toBe('•');
  });
});
