/**
 * Phone numbers in E.164 (+33612345678), the only form Lien stores and compares, read with libphonenumber-js
 * (Google's libphonenumber metadata, the "max" set: every number is checked against the ranges actually
 * allocated, not only its length).
 *
 * France's overseas departments share the French ten-digit plan (0692 12 34 56 is dialled like 06 12 34 56 78)
 * but have their own country codes, which is how Twilio gives their senders: +262 692 12 34 56. Read as FR, the
 * metadata says these numbers are invalid (0692…, 0693…, 0639…, 0262…, 0590…, 0690…, 0691…, 0594…, 0694…,
 * 0696…, 0697…), or worse says some are valid metropolitan fixed lines (0269… Mayotte, 0596… Martinique,
 * 0508… Saint-Pierre-et-Miquelon all pass as +33 numbers). So a French number is first matched against the
 * overseas prefixes of the national plan (ARCEP), and read in its own country code; a number that is still not
 * valid in France is then tried in each overseas region (the newer 0709 0x… mobile ranges are only there).
 * This holds for "+33 6 92 …" and "0033 6 92 …" too: +33 followed by an overseas prefix is the same number.
 */
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';

export class InvalidPhoneNumberError extends Error {
  constructor(readonly input: string) {
    super('not a phone number Lien can read: write it as +33 6 12 34 56 78 or 06 12 34 56 78');
    this.name = 'InvalidPhoneNumberError';
  }
}

/**
 * The overseas prefixes of the French national plan (the national number's first three digits, after the 0),
 * and the country code their numbers really have.
 */
const OVERSEAS_PREFIXES: Readonly<Record<string, string>> = {
  // Réunion (0262, 0263 fixed; 0692, 0693 mobile) and Mayotte (0269 fixed, 0639 mobile)
  '262': '262', '263': '262', '269': '262', '639': '262', '692': '262', '693': '262',
  // Guadeloupe, Saint-Martin, Saint-Barthélemy
  '590': '590', '690': '590', '691': '590',
  // Guyane
  '594': '594', '694': '594',
  // Martinique
  '596': '596', '696': '596', '697': '596',
};
/** Saint-Pierre-et-Miquelon: 0508 then its own six-digit number (+508 41 23 45). */
const SAINT_PIERRE_PREFIX = '508';
/** Regions tried, in this order, for a French number that France's own ranges do not hold. */
const OVERSEAS_REGIONS: readonly CountryCode[] = ['RE', 'YT', 'GP', 'MF', 'BL', 'GF', 'MQ', 'PM'];

/** What people type around the digits: spaces, dots, dashes, slashes, brackets; one leading "+". */
const TYPED = /^\+?[\d\s.\-/()]+$/u;

function valid(e164: string): string | undefined {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** A national significant number of the French plan (without its 0) in E.164, overseas included. */
function frenchPlan(nsn: string, parsed: PhoneNumber): string | undefined {
  if (nsn.startsWith(SAINT_PIERRE_PREFIX) && nsn.length === 9) return valid(`+508${nsn.slice(3)}`);
  const overseas = OVERSEAS_PREFIXES[nsn.slice(0, 3)];
  if (overseas) return valid(`+${overseas}${nsn}`);
  if (parsed.isValid()) return parsed.number;
  for (const region of OVERSEAS_REGIONS) {
    const there = parsePhoneNumberFromString(`0${nsn}`, region);
    if (there?.isValid()) return there.number;
  }
  return undefined;
}

/**
 * Normalises what people type ("06 12 34 56 78", "+33 (0)6.12.34.56.78", "0033612345678", "0692 12 34 56") to
 * E.164. A national number (leading 0) is read in `defaultCountry` (ISO 3166 code, "FR"); a number of the French
 * plan with an overseas prefix gets its overseas country code. Throws InvalidPhoneNumberError for anything that
 * is not a valid number: letters, a wrong length, a range no operator has.
 */
export function toE164(input: string, defaultCountry = 'FR'): string {
  let typed = input.trim();
  if (!TYPED.test(typed)) throw new InvalidPhoneNumberError(input);
  if (typed.startsWith('00')) typed = `+${typed.slice(2)}`;
  let parsed: PhoneNumber | undefined;
  try {
    parsed = parsePhoneNumberFromString(typed, { defaultCountry: defaultCountry.toUpperCase() as CountryCode, extract: false });
  } catch {
    // An unknown default country code: the number is unreadable as it stands.
    parsed = undefined;
  }
  if (!parsed) throw new InvalidPhoneNumberError(input);
  const e164 = parsed.countryCallingCode === '33' ? frenchPlan(parsed.nationalNumber, parsed) : parsed.isValid() ? parsed.number : undefined;
  if (!e164) throw new InvalidPhoneNumberError(input);
  return e164;
}

export function isE164(s: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(s);
}
