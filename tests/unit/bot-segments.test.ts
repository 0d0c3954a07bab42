/**
 * What every SMS the bot writes costs, in every language, with realistic values in its placeholders
 * (a long team name, a full notice link, a worker's name, a place). The table is printed for whoever
 * writes sentences; the test fails when one goes over its budget:
 *
 * - every bot SMS fits in 2 segments (GSM-7: 306 characters; UCS-2: 134);
 * - every bot SMS travels in GSM-7, except the few that name a language ("Français" has a ç, which
 *   GSM-7 lacks): those must fit in 2 UCS-2 segments.
 */
import { describe, expect, it } from 'vitest';
import { gsmFriendly, smsSegments } from '../../src/channels/sms/segments.js';
import { LANGUAGES } from '../../src/domain/types.js';
import { formatWhen } from '../../src/domain/when.js';
import { Translator } from '../../src/i18n/translator.js';

const MAX_SEGMENTS = 2;
/** The sentences allowed out of GSM-7, and why. */
const UCS2_ALLOWED: Record<string, string> = {
  'bot.sms.languageAsk': 'names "Français"',
  'bot.sms.languageSet': 'says "français" (fr, fr-falc)',
};

function placeholders(language: string, t: Translator): Record<string, string | number> {
  const en = language === 'en';
  const window = { start: new Date('2026-11-25T13:00:00Z'), end: new Date('2026-11-25T13:30:00Z'), kind: 'datetime' };
  return {
    team: 'Service social de Bellevue',
    months: 12,
    url: `https://lien.example.org/notice?lang=${language}`,
    weekday: en ? 'Wednesday' : 'mercredi',
    date: '25/11',
    time: '14:30',
    worker: 'Sophie Bernard',
    place: ', Mairie annexe, 2 rue des Lilas',
    when: formatWhen(window, 'Europe/Paris', language),
    channels: t.t(language, 'bot.word.channel.both'),
    from: '08:00',
    until: '20:00',
    reminders: t.t(language, 'bot.word.yes'),
  };
}

describe('what the bot SMS cost', () => {
  const t = new Translator();
  const keys = t.keys('fr').filter((k) => k.startsWith('bot.sms.'));
  const rows = LANGUAGES.flatMap((language) =>
    keys.map((key) => {
      const text = gsmFriendly(t.t(language, key, placeholders(language, t)));
      const info = smsSegments(text);
      return { key, language, encoding: info.encoding, units: info.units, segments: info.segments, text };
    }),
  );

  it('prints the table', () => {
    // eslint-disable-next-line no-console -- the table is what this test is for, beside its budget
    console.log(
      ['key'.padEnd(34), 'lang'.padEnd(8), 'encoding', 'units', 'segments'].join(' | ') +
        '\n' +
        rows.map((r) => [r.key.padEnd(34), r.language.padEnd(8), r.encoding.padEnd(8), String(r.units).padStart(5), String(r.segments).padStart(8)].join(' | ')).join('\n'),
    );
    expect(rows.length).toBe(keys.length * LANGUAGES.length);
    expect(keys.length).toBeGreaterThan(20);
  });

  it.each(LANGUAGES)(`keeps every %s bot SMS within ${MAX_SEGMENTS} segments`, (language) => {
    const over = rows.filter((r) => r.language === language && r.segments > MAX_SEGMENTS).map((r) => `${r.key}: ${r.segments} segments (${r.encoding}, ${r.units})`);
    expect(over).toEqual([]);
  });

  it.each(LANGUAGES)('writes every %s bot SMS in GSM-7, but for the sentences that name a language', (language) => {
    const ucs2 = rows.filter((r) => r.language === language && r.encoding === 'UCS-2' && !(r.key in UCS2_ALLOWED));
    expect(ucs2.map((r) => `${r.key}: ${[...r.text].filter((c) => !smsSegments(c).encoding.startsWith('GSM')).join('')}`)).toEqual([]);
  });

  it('leaves no placeholder unfilled', () => {
    expect(rows.filter((r) => /\{\w+\}/.test(r.text)).map((r) => `${r.language} ${r.key}`)).toEqual([]);
  });
});
