import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../src/domain/types.js';
import { Translator } from '../../src/i18n/translator.js';

describe('locales', () => {
  const translator = new Translator();
  const reference = translator.keys('fr');

  it.each(LANGUAGES)('%s has every sentence French has, and no other', (lang) => {
    const keys = translator.keys(lang);
    expect(reference.filter((k) => !keys.includes(k)), `missing in ${lang}`).toEqual([]);
    expect(keys.filter((k) => !reference.includes(k)), `only in ${lang}`).toEqual([]);
  });

  it.each(LANGUAGES)('%s uses the same placeholders as French in every sentence', (lang) => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of reference) expect(placeholders(translator.t(lang, key)), `${lang} ${key}`).toEqual(placeholders(translator.t('fr', key)));
  });

  it('has a file for every language of LANGUAGES, and none for another', () => {
    expect(translator.languages().sort()).toEqual([...LANGUAGES].sort());
  });

  it.each(LANGUAGES)('%s keeps the line breaks of every French sentence (numbered lists, the room help)', (lang) => {
    const lines = (s: string) => s.split('\n').length;
    for (const key of reference) expect(lines(translator.t(lang, key)), `${lang} ${key}`).toBe(lines(translator.t('fr', key)));
  });

  it.each(LANGUAGES)('%s tells the person to type STOP wherever French does', (lang) => {
    for (const key of reference.filter((k) => /^(sms|bot\.sms|bot\.notice)\./.test(k) && translator.t('fr', k).includes('STOP'))) {
      expect(translator.t(lang, key), `${lang} ${key}`).toContain('STOP');
    }
  });

  it('fills placeholders', () => {
    expect(translator.t('en', 'room.unknownLabel', { phone: '+33612345678' })).toBe('Unknown number +33612345678');
  });
});
