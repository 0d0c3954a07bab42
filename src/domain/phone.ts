/** Phone numbers in E.164 (+33612345678), the only form Lien stores and compares. */

export class InvalidPhoneNumberError extends Error {
  constructor(readonly input: string) {
    super('not a phone number Lien can read: write it as +33 6 12 34 56 78 or 06 12 34 56 78');
    this.name = 'InvalidPhoneNumberError';
  }
}

const COUNTRY_CODES: Record<string, string> = { FR: '33', BE: '32', CH: '41', LU: '352' };

/**
 * Normalises what people type ("06 12 34 56 78", "+33 (0)6.12.34.56.78", "0033612345678") to E.164.
 * A national number (leading 0) is read in `defaultCountry`.
 */
export function toE164(input: string, defaultCountry: keyof typeof COUNTRY_CODES | string = 'FR'): string {
  let s = input.trim().replace(/\(0\)/g, '').replace(/[\s.\-()/]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (!s.startsWith('+')) {
    const cc = COUNTRY_CODES[defaultCountry];
    if (!cc || !/^0\d{8,10}$/.test(s)) throw new InvalidPhoneNumberError(input);
    s = `+${cc}${s.slice(1)}`;
  }
  if (!/^\+[1-9]\d{6,14}$/.test(s)) throw new InvalidPhoneNumberError(input);
  return s;
}

export function isE164(s: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(s);
}
