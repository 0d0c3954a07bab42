/**
 * Every sentence Lien says comes from `locales/<language>.json`. Keys are dotted paths
 * ("room.optedOut"); `{name}` placeholders are filled from the variables given.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LANGUAGES, type Language } from '../domain/types.js';

export const LOCALES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../locales');

type Tree = { [key: string]: string | Tree };

export class MissingTranslationError extends Error {
  constructor(language: string, key: string) {
    super(`no sentence "${key}" in locales/${language}.json`);
    this.name = 'MissingTranslationError';
  }
}

function flatten(tree: Tree, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else flatten(v, key, out);
  }
  return out;
}

export function loadLocales(dir = LOCALES_DIR): Map<string, Map<string, string>> {
  const locales = new Map<string, Map<string, string>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    locales.set(path.basename(file, '.json'), flatten(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Tree));
  }
  return locales;
}

export type Vars = Record<string, string | number>;

export class Translator {
  constructor(private readonly locales = loadLocales()) {
    for (const lang of LANGUAGES) if (!locales.has(lang)) throw new Error(`locales/${lang}.json is missing`);
  }

  languages(): string[] {
    return [...this.locales.keys()];
  }

  keys(language: string): string[] {
    return [...(this.locales.get(language)?.keys() ?? [])];
  }

  t(language: Language | string, key: string, vars: Vars = {}): string {
    const sentence = this.locales.get(language)?.get(key) ?? this.locales.get('fr')?.get(key);
    if (sentence === undefined) throw new MissingTranslationError(language, key);
    return sentence.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  }
}
