/**
 * A phone number as workers may see it where it is stored in clear (a triage person's label): the
 * country code, the first digit and the last two, the rest hidden — "+33 6 •• •• •• 78". Enough to tell
 * two unknown numbers apart at a glance; the whole number stays sealed (and in the encrypted room).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

const HIDDEN = '•';

export function maskedPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return maskLoose(e164);
  // "+33 6 12 34 56 78": keep "+33", the first national digit and the last two digits.
  const shown = parsed.formatInternational();
  const cc = `+${parsed.countryCallingCode}`;
  const rest = shown.slice(cc.length);
  const digits = [...rest].filter((c) => /\d/u.test(c)).length;
  let seen = 0;
  const masked = [...rest]
    .map((c) => {
      if (!/\d/u.test(c)) return c;
      seen++;
      return seen === 1 || seen > digits - 2 ? c : HIDDEN;
    })
    .join('');
  return `${cc}${masked}`;
}

/** A sender that is not a phone number (a short code, a carrier's name): its last two characters. */
function maskLoose(s: string): string {
  const t = s.trim();
  if (t.length <= 4) return HIDDEN.repeat(Math.max(t.length, 1));
  return `${HIDDEN.repeat(t.length - 2)}${t.slice(-2)}`;
}
