/**
 * How many SMS a text costs, and how to cut a long text into messages a phone will reassemble.
 *
 * A text that holds only characters of the GSM 03.38 alphabet travels in GSM-7: 160 septets in a single
 * SMS, 153 per segment once concatenated (the user-data header takes the rest); the extension table's
 * characters take two septets (an escape and the character) and are never split across segments.
 * A single character outside that alphabet turns the whole text into UCS-2: 70 UTF-16 code units in a
 * single SMS, 67 per segment concatenated, a surrogate pair (an emoji…) never split.
 *
 * French matters here: é è à ù É Ç are in GSM-7, but ê â î ô û ç ë ï œ ’ « » are not, and one of them
 * is enough to more than double the cost of a message. `gsmFriendly` removes the typographic ones.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegmentInfo {
  encoding: SmsEncoding;
  /** Septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2. */
  units: number;
  /** How many SMS Twilio will bill; 0 for an empty text. */
  segments: number;
}

/** GSM 03.38 default alphabet (the escape 0x1B excluded), in table order. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  '\u0394_\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039EÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** GSM 03.38 extension table: each costs an escape plus the character. */
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set<string>(GSM_BASIC);
const EXTENSION = new Set<string>(GSM_EXTENSION);

const GSM_SINGLE = 160;
const GSM_CONCAT = 153;
const UCS2_SINGLE = 70;
const UCS2_CONCAT = 67;

/** True when every character of the text can travel in GSM-7. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!BASIC.has(ch) && !EXTENSION.has(ch)) return false;
  return true;
}

/** Septets of one character in GSM-7 (undefined when it is not in the alphabet). */
function septets(ch: string): number | undefined {
  if (BASIC.has(ch)) return 1;
  if (EXTENSION.has(ch)) return 2;
  return undefined;
}

/** Segments needed when characters of the given costs are packed greedily, never splitting one. */
function pack(costs: Iterable<number>, single: number, concat: number, total: number): number {
  if (total === 0) return 0;
  if (total <= single) return 1;
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > concat) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return segments;
}

export function smsSegments(text: string): SmsSegmentInfo {
  const chars = Array.from(text); // code points: a surrogate pair stays whole
  if (isGsm7(text)) {
    const costs = chars.map((ch) => septets(ch) ?? 1);
    const units = costs.reduce((a, b) => a + b, 0);
    return { encoding: 'GSM-7', units, segments: pack(costs, GSM_SINGLE, GSM_CONCAT, units) };
  }
  const costs = chars.map((ch) => ch.length);
  const units = text.length;
  return { encoding: 'UCS-2', units, segments: pack(costs, UCS2_SINGLE, UCS2_CONCAT, units) };
}

/**
 * Cuts a text into parts of at most `maxSegmentsPerPart` segments each, in order, breaking between words
 * (a word alone too long for a part is cut between characters, never inside a surrogate pair). Whitespace
 * inside a part is kept as written (line breaks matter to the reader); each part is trimmed, and an empty
 * or blank text gives no part. Each part is counted on its own, so a part holding only GSM characters
 * may travel in GSM-7 while the next needs UCS-2.
 */
export function splitForSms(text: string, maxSegmentsPerPart = 10): string[] {
  if (!Number.isInteger(maxSegmentsPerPart) || maxSegmentsPerPart < 1) {
    throw new RangeError(`maxSegmentsPerPart must be a positive integer, got ${maxSegmentsPerPart}`);
  }
  const fits = (s: string): boolean => smsSegments(s).segments <= maxSegmentsPerPart;
  const parts: string[] = [];
  let current = '';
  let separator = '';
  for (const token of text.match(/\s+|\S+/gu) ?? []) {
    if (/^\s/u.test(token)) {
      separator = token;
      continue;
    }
    const candidate = current === '' ? token : current + separator + token;
    separator = '';
    if (fits(candidate)) {
      current = candidate;
      continue;
    }
    if (current !== '') parts.push(current);
    if (fits(token)) {
      current = token;
      continue;
    }
    const pieces = cutWord(token, fits);
    current = pieces.pop() ?? '';
    parts.push(...pieces);
  }
  if (current !== '') parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Cuts one over-long word into the fewest pieces that fit, between code points. */
function cutWord(word: string, fits: (s: string) => boolean): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const ch of word) {
    if (piece !== '' && !fits(piece + ch)) {
      pieces.push(piece);
      piece = '';
    }
    piece += ch;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/** Typographic characters and their GSM-7 equivalents: the meaning is kept, the cost often halved. */
const GSM_FRIENDLY: ReadonlyArray<readonly [RegExp, string]> = [
  // Guillemets swallow the (often non-breaking) spaces French puts inside them: « oui » → "oui".
  [/«[ \u00A0\u202F\u2009]*/gu, '"'],
  [/[ \u00A0\u202F\u2009]*»/gu, '"'],
  [/[\u2018\u2019\u201A\u201B\u2032\u02BC]/gu, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033]/gu, '"'],
  [/\u2026/gu, '...'],
  [/[\u00A0\u202F\u2007\u2009\u2002\u2003\u2008\u200A]/gu, ' '],
  [/[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]/gu, '-'],
  [/œ/gu, 'oe'],
  [/Œ/gu, 'OE'],
  // Invisible characters: zero-width space, soft hyphen, byte-order mark.
  [/[\u200B\u00AD\uFEFF]/gu, ''],
];

/**
 * Replaces typographic characters by their GSM-7 equivalents (’ → ', « » → ", … → ..., non-breaking
 * spaces → space, – — → -, œ → oe), for texts Lien writes itself. Letters such as ê or ç are left alone:
 * changing them would change the spelling, so such a text stays UCS-2.
 */
export function gsmFriendly(text: string): string {
  let out = text;
  for (const [pattern, replacement] of GSM_FRIENDLY) out = out.replace(pattern, replacement);
  return out;
}
