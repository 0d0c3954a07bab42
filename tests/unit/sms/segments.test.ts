import { describe, expect, it } from 'vitest';
import { gsmFriendly, isGsm7, smsSegments, splitForSms } from '../../../src/channels/sms/segments.js';

const words = (s: string): string[] => s.split(/\s+/u).filter((w) => w !== '');

describe('smsSegments: encoding', () => {
  it('keeps French letters of the GSM basic set in GSM-7', () => {
    for (const text of ['é è à ù ì ò É Ç', 'Ä Ö Ñ Ü ä ö ñ ü ß Æ æ Å å Ø ø', '@£$¥¤§¡¿_ΔΦΓΛΩΠΨΣΘΞ', 'Rendez-vous à 14h, salle 3']) {
      expect(smsSegments(text).encoding, text).toBe('GSM-7');
    }
    expect(smsSegments("Bonjour, votre rendez-vous est confirmé pour demain à 9h. L'équipe").encoding).toBe('GSM-7');
  });

  it.each(['ê', 'â', 'î', 'ô', 'û', 'ç', 'ë', 'ï', 'œ', '’', '«', '»', '`', '…', '\u00A0'])('switches to UCS-2 for %j', (ch) => {
    expect(smsSegments(`abc ${ch} def`).encoding).toBe('UCS-2');
    expect(isGsm7(ch)).toBe(false);
  });

  it('counts the extension table as two septets', () => {
    for (const ch of ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f']) {
      expect(smsSegments(ch), JSON.stringify(ch)).toEqual({ encoding: 'GSM-7', units: 2, segments: 1 });
    }
    expect(smsSegments('10€ [ok]').units).toBe(11);
  });

  it('counts an empty text as no segment', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 0 });
  });
});

describe('smsSegments: boundaries', () => {
  it('fits 160 septets in one GSM-7 SMS, 161 in two', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
  });

  it('counts extension characters against the 160 limit', () => {
    expect(smsSegments(`${'a'.repeat(158)}€`)).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments(`${'a'.repeat(159)}€`)).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
  });

  it('never splits an extension character across segments', () => {
    // 152 septets then € (2): the escape would be septet 153 and the character 154, so € opens segment 2.
    const text = `${'a'.repeat(152)}€${'a'.repeat(152)}`;
    expect(smsSegments(text).units).toBe(306);
    expect(smsSegments(text).segments).toBe(3); // 152 | € + 151 | 1
    expect(smsSegments(`${'a'.repeat(151)}€${'a'.repeat(153)}`).segments).toBe(2);
  });

  it('fits 70 UCS-2 units in one SMS, 71 in two, 67 per concatenated segment', () => {
    expect(smsSegments('ê'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsSegments('ê'.repeat(71))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
    expect(smsSegments('ê'.repeat(134)).segments).toBe(2);
    expect(smsSegments('ê'.repeat(135)).segments).toBe(3);
  });

  it('counts an emoji as two UTF-16 units and never splits it', () => {
    expect(smsSegments('😀')).toEqual({ encoding: 'UCS-2', units: 2, segments: 1 });
    expect(smsSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsSegments('😀'.repeat(36))).toEqual({ encoding: 'UCS-2', units: 72, segments: 2 });
    // 66 units then an emoji: it cannot start at unit 67 of 67, so it opens segment 2.
    expect(smsSegments(`${'x'.repeat(66)}😀${'x'.repeat(66)}`)).toEqual({ encoding: 'UCS-2', units: 134, segments: 3 });
    expect(smsSegments(`${'x'.repeat(65)}😀${'x'.repeat(67)}`).segments).toBe(2);
  });

  it('makes the whole text UCS-2 for one character outside GSM', () => {
    const text = `${'a'.repeat(100)}ç`;
    expect(smsSegments(text)).toEqual({ encoding: 'UCS-2', units: 101, segments: 2 });
  });
});

describe('splitForSms', () => {
  const long = Array.from({ length: 400 }, (_, i) => `mot${i}${i % 7 === 0 ? ',' : ''}`).join(' ');

  it('leaves a short text whole, trimmed', () => {
    expect(splitForSms('  Bonjour Madame  ')).toEqual(['Bonjour Madame']);
    expect(splitForSms('')).toEqual([]);
    expect(splitForSms('   \n ')).toEqual([]);
  });

  it('splits into parts within the segment limit, at word boundaries, in order', () => {
    const parts = splitForSms(long, 1);
    expect(parts.length).toBeGreaterThan(10);
    for (const p of parts) {
      expect(smsSegments(p).segments).toBeLessThanOrEqual(1);
      expect(p).toBe(p.trim());
    }
    expect(words(parts.join(' '))).toEqual(words(long));
    // Each part ends at a word boundary: every part's words are whole words of the text.
    const all = new Set(words(long));
    for (const p of parts) for (const w of words(p)) expect(all.has(w)).toBe(true);
  });

  it('uses as few parts as the limit allows', () => {
    const parts = splitForSms(long, 3);
    for (const p of parts) expect(smsSegments(p).segments).toBeLessThanOrEqual(3);
    // Greedy filling: a part plus the next word would not fit.
    for (let i = 0; i < parts.length - 1; i++) {
      const next = words(parts[i + 1] ?? '')[0] ?? '';
      expect(smsSegments(`${parts[i]} ${next}`).segments).toBeGreaterThan(3);
    }
    expect(words(parts.join(' '))).toEqual(words(long));
  });

  it('counts UCS-2 parts in code units', () => {
    const text = Array.from({ length: 100 }, () => 'fenêtre').join(' ');
    const parts = splitForSms(text, 1);
    for (const p of parts) {
      expect(smsSegments(p).encoding).toBe('UCS-2');
      expect(p.length).toBeLessThanOrEqual(70);
    }
    expect(words(parts.join(' '))).toEqual(words(text));
  });

  it('cuts a single over-long word only when it must, never inside an emoji', () => {
    const url = `https://example.org/${'a'.repeat(400)}`;
    const parts = splitForSms(`voir ${url} merci`, 1);
    for (const p of parts) expect(smsSegments(p).segments).toBe(1);
    expect(parts.join('').replace(/\s+/gu, '')).toBe(`voir${url}merci`);
    const emojis = '😀'.repeat(100);
    const cut = splitForSms(emojis, 1);
    for (const p of cut) {
      expect(p.length).toBeLessThanOrEqual(70);
      expect(Array.from(p).every((ch) => ch === '😀')).toBe(true);
    }
    expect(cut.join('')).toBe(emojis);
  });

  it('keeps line breaks inside a part', () => {
    expect(splitForSms('Bonjour,\n\nVotre RDV est demain.')).toEqual(['Bonjour,\n\nVotre RDV est demain.']);
  });

  it('refuses a limit below one segment', () => {
    expect(() => splitForSms('x', 0)).toThrow(RangeError);
  });
});

describe('gsmFriendly', () => {
  it('replaces typographic characters with GSM equivalents', () => {
    expect(gsmFriendly('l’équipe vous répond « bientôt »… à 9h – merci — Lien\u00A0!')).toBe(
      'l\'équipe vous répond "bientôt"... à 9h - merci - Lien !',
    );
    expect(gsmFriendly('cœur “ok” ‘a’')).toBe('coeur "ok" \'a\'');
  });

  it('makes a typographic French text GSM-7 when its letters allow it', () => {
    const text = 'Votre rendez-vous d’aujourd’hui\u202F: « confirmé ».';
    expect(smsSegments(text).encoding).toBe('UCS-2');
    expect(smsSegments(gsmFriendly(text)).encoding).toBe('GSM-7');
  });

  it('leaves letters alone even when they force UCS-2', () => {
    expect(gsmFriendly('fenêtre, garçon')).toBe('fenêtre, garçon');
  });
});
