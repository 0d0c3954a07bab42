/**
 * What every SMS the bot writes costs, in every language, with realistic values in its placeholders
 * (a long team name, a full notice link, a worker's name, a place). The table is printed for whoever
 * writes sentences; the test fails when one goes over its budget:
 *
 * - every bot SMS fits in 2 segments (GSM-7: 306 characters; UCS-2: 134);
 * - every French and English bot SMS travels in GSM-7, except the few that name a language ("Français"
 *   has a ç, which GSM-7 lacks, and the list names each language in its own script): those must fit in
 *   2 UCS-2 segments;
 * - Spanish, Portuguese, Romanian, Ukrainian, Arabic and Dari cannot be written correctly in GSM-7 (see
 *   UCS2_LANGUAGES): their SMS travel in UCS-2, and may take 3 segments.
 */
import { describe, expect, it } from 'vitest';
import { gsmFriendly, smsSegments } from '../../src/channels/sms/segments.js';
import { describeAppointment } from '../../src/domain/appointments.js';
import { LANGUAGES } from '../../src/domain/types.js';
import { formatWhen } from '../../src/domain/when.js';
import { Translator } from '../../src/i18n/translator.js';

const MAX_SEGMENTS = 2;
/** The sentences allowed out of GSM-7, and why. */
const UCS2_ALLOWED: Record<string, string> = {
  'bot.sms.languageAsk': 'names "Français", "Українська", "العربية", "دری"',
  'bot.sms.languageSet': 'says "français" (fr, fr-falc)',
};

/**
 * Languages whose correct spelling needs characters GSM-7 lacks, so that their SMS travel in UCS-2 (70
 * characters, 67 a segment once concatenated, against 160 and 153), and the segment budget each gets. 3 UCS-2
 * segments are 201 characters: the longest messages (first contact with the team's name and the 40-character
 * notice link; the appointment reminder with a worker's name and a place; the numbered menu) do not fit in 134
 * without dropping something the person needs. Spanish is written in GSM-7 wherever its spelling allows, but
 * SÍ (the answer it asks for) and a few words ("cómo", "víspera") are UCS-2.
 */
const UCS2_LANGUAGES: Record<string, { segments: number; why: string }> = {
  es: { segments: 3, why: 'í ó ú á (SÍ / NO answers)' },
  pt: { segments: 3, why: 'ã õ ç ê á' },
  ro: { segments: 3, why: 'ă â î ș ț' },
  uk: { segments: 3, why: 'Cyrillic script' },
  ar: { segments: 3, why: 'Arabic script' },
  prs: { segments: 3, why: 'Arabic script (Dari)' },
};
const budget = (language: string): number => UCS2_LANGUAGES[language]?.segments ?? MAX_SEGMENTS;

function placeholders(language: string, t: Translator): Record<string, string | number> {
  const window = { start: new Date('2026-11-25T13:00:00Z'), end: new Date('2026-11-25T13:30:00Z'), kind: 'datetime' };
  return {
    team: 'Service social de Bellevue',
    months: 12,
    url: `https://lien.example.org/notice?lang=${language}`,
    weekday: describeAppointment(window.start, 'Europe/Paris', language).weekday,
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

  it.each(LANGUAGES.map((language) => [language, budget(language)] as const))('keeps every %s bot SMS within %i segments', (language, segments) => {
    const over = rows.filter((r) => r.language === language && r.segments > segments).map((r) => `${r.key}: ${r.segments} segments (${r.encoding}, ${r.units})`);
    expect(over).toEqual([]);
  });

  it.each(LANGUAGES.filter((language) => !(language in UCS2_LANGUAGES)))('writes every %s bot SMS in GSM-7, but for the sentences that name a language', (language) => {
    const ucs2 = rows.filter((r) => r.language === language && r.encoding === 'UCS-2' && !(r.key in UCS2_ALLOWED));
    expect(ucs2.map((r) => `${r.key}: ${[...r.text].filter((c) => !smsSegments(c).encoding.startsWith('GSM')).join('')}`)).toEqual([]);
  });

  it('leaves no placeholder unfilled', () => {
    expect(rows.filter((r) => /\{\w+\}/.test(r.text)).map((r) => `${r.language} ${r.key}`)).toEqual([]);
  });
});
