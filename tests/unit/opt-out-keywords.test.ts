/**
 * The opt-out keywords: README lists exactly the ones the code reads, and no sentence of Lien's suggests
 * one of them as an answer (the English reminder once said "NO to cancel" while CANCEL unsubscribes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { answersReminderFirst, isCancelWord } from '../../src/domain/bot-keywords.js';
import { consentKeyword, normaliseKeyword, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS } from '../../src/domain/keywords.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The backquoted words after "**<label>**:" up to the end of that sentence. */
function listed(label: string): string[] {
  const at = readme.indexOf(`**${label}**:`);
  expect(at, label).toBeGreaterThanOrEqual(0);
  const rest = readme.slice(at + label.length + 5);
  const list = rest.slice(0, rest.search(/\n\s*\(|[.:](\s|$)/u));
  return [...list.matchAll(/`([^`]+)`/gu)].map((m) => m[1] ?? '');
}

function strings(node: unknown, path = ''): Array<[string, string]> {
  if (typeof node === 'string') return [[path, node]];
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
}

const locales = readdirSync(new URL('../../locales/', import.meta.url)).filter((f) => f.endsWith('.json'));

describe('opt-out keywords', () => {
  it('are listed in README exactly as the code reads them', () => {
    expect(listed('Opt-out keywords')).toEqual([...OPT_OUT_KEYWORDS]);
    expect(listed('Opt-in keywords')).toEqual([...OPT_IN_KEYWORDS]);
  });

  it('are never suggested by what Lien texts to people but where it says how to stop', () => {
    const others = OPT_OUT_KEYWORDS.filter((k) => k !== 'STOP');
    for (const file of locales) {
      const texts = JSON.parse(readFileSync(new URL(`../../locales/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
      const toPeople = [...strings(texts.sms, 'sms'), ...strings(texts.bot && (texts.bot as Record<string, unknown>).sms, 'bot.sms'), ...strings(texts.hours, 'hours')];
      expect(toPeople.length, file).toBeGreaterThan(10);
      for (const [key, text] of toPeople) {
        const words = ` ${normaliseKeyword(text)} `;
        // Naming one is fine only where the text says how to stop ("Pour arrêter : écrivez STOP").
        if (!words.includes(' STOP ')) for (const k of others) expect(words.includes(` ${k} `), `${file} ${key} suggests ${k}`).toBe(false);
        // A question about an appointment never mentions an opt-out keyword at all.
        if (/reminder|appointment/iu.test(key)) expect(words.includes(' STOP '), `${file} ${key}`).toBe(false);
      }
    }
  });

  it('CANCEL is the one opt-out keyword that also cancels an appointment', () => {
    expect(OPT_OUT_KEYWORDS.filter((k) => answersReminderFirst(k))).toEqual(['CANCEL']);
    for (const t of ['CANCEL', 'cancel', 'Cancel !']) {
      expect(answersReminderFirst(t), t).toBe(true);
      expect(consentKeyword(t)?.kind, t).toBe('opt-out');
    }
    for (const t of ['STOP', 'ARRÊT', 'END', 'annuler', 'cancel please', 'Cancel my appointment please']) expect(answersReminderFirst(t), t).toBe(false);
  });

  it('knows "cancel" in each language, alone, with a polite word at most', () => {
    for (const t of ['ANNULER', 'annulé', 'Annulez svp', 'cancel', 'CANCEL PLEASE', 'cancelar', 'Anular', 'anulează', 'скасувати', 'إلغاء', 'الغاء', 'لغو']) expect(isCancelWord(t), t).toBe(true);
    for (const t of ['je veux annuler mon inscription au cours', 'STOP', 'non', 'annuler ?? pourquoi', 'cancel culture']) expect(isCancelWord(t), t).toBe(false);
  });
});
