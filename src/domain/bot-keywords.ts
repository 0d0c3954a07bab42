/**
 * What a person may type to the bot, read the way people type on a basic phone: case, accents and
 * punctuation ignored ("aide !", "Menu", "LANGUE en", "rappelez-moi svp"). A keyword counts only when it
 * is the whole message (with a polite word or two at most): a sentence that merely contains "aide" or
 * "rappeler" is free text, and free text always goes to a human.
 */
import { consentKeyword, normaliseKeyword } from './keywords.js';
import { LANGUAGES, type Language } from './types.js';

/** Polite words that may come with a keyword without making it a sentence (in Lien's languages too). */
const POLITE = new Set(
  [
    'SVP', 'STP', 'MERCI', 'PLEASE', 'S IL VOUS PLAIT', 'S IL TE PLAIT', 'PLZ', 'PLS', 'BONJOUR', 'HELLO', 'HI',
    'POR FAVOR', 'GRACIAS', 'HOLA', 'OBRIGADO', 'OBRIGADA', 'OLÁ', 'VĂ ROG', 'MULȚUMESC', 'BUNĂ',
    'БУДЬ ЛАСКА', 'ДЯКУЮ', 'ПРИВІТ', 'من فضلك', 'شكرا', 'مرحبا', 'السلام عليكم', 'لطفاً', 'تشکر', 'سلام',
  ].map(normaliseKeyword),
);

/** The keyword alone: the message normalised, polite words before or after it dropped. */
function bare(text: string): string {
  let k = latinDigits(normaliseKeyword(text));
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of POLITE) {
      if (k.startsWith(`${p} `)) {
        k = k.slice(p.length + 1);
        changed = true;
      }
      if (k.endsWith(` ${p}`)) {
        k = k.slice(0, -p.length - 1);
        changed = true;
      }
    }
  }
  return k;
}

const MENU = new Set(['AIDE', 'MENU', 'HELP', '0', 'AIDEZ MOI', 'HELP ME', 'INFO', 'INFOS']);

/** AIDE, MENU, HELP, 0, "?": the person asks for the menu. */
export function isMenuRequest(text: string): boolean {
  if (text.trim() === '?') return true;
  return MENU.has(bare(text));
}

const CALLBACK = new Set([
  'RAPPEL', 'RAPPELS', 'RAPPELER', 'RAPPELEZ MOI', 'RAPPELLEZ MOI', 'RAPPELER MOI', 'RAPPELLE MOI', 'RAPPEL MOI', 'ME RAPPELER',
  'APPELEZ MOI', 'APPELLEZ MOI', 'APPELER MOI', 'APPELLE MOI', 'ETRE RAPPELE', 'ETRE RAPPELEE', 'POUVEZ VOUS ME RAPPELER',
  'CALL ME', 'CALL ME BACK', 'CALLBACK', 'CALL BACK', 'PLEASE CALL ME',
]);

/**
 * "rappel", "rappelez-moi", "appelez-moi", "call me back": the person asks to be called back. ("appel"
 * alone is not one: it answers "SMS or call?" in the preferences.)
 */
export function isCallbackRequest(text: string): boolean {
  return CALLBACK.has(bare(text));
}

/** "Language" as people may type it in Lien's languages: LANGUE, IDIOMA, LIMBA, МОВА, اللغة, زبان… */
const LANGUAGE_WORDS = new Set(
  ['LANGUE', 'LANGUES', 'LANGUAGE', 'LANGUAGES', 'LANG', 'LANGAGE', 'IDIOMA', 'IDIOME', 'LENGUA', 'LINGUA', 'LÍNGUA', 'LIMBA', 'LIMBĂ', 'МОВА', 'ЯЗЫК', 'اللغة', 'لغة', 'زبان'].map(
    normaliseKeyword,
  ),
);

/**
 * Each language by its code, its own name and its name in French and English (and a few neighbours: the
 * Spanish and Portuguese names, Russian for Ukrainian, Farsi for Dari), written as people type them;
 * the keys are normalised like the message ("Română" → "ROMANA", "Українська" → "УКРАІНСЬКА").
 */
const LANGUAGE_NAMES: Record<string, Language> = Object.fromEntries(
  Object.entries({
    fr: ['FR', 'FRANCAIS', 'FRANCAISE', 'FRENCH', 'FRANCES', 'FRANCESE', 'FRANCÊS', 'FRANCEZA', 'ФРАНЦУЗЬКА', 'الفرنسية', 'فرانسوی'],
    'fr-falc': ['FALC', 'FR FALC', 'FACILE', 'FRANCAIS FACILE', 'FACILE A LIRE', 'SIMPLE', 'FRANCAIS SIMPLE', 'EASY FRENCH', 'PLAIN FRENCH'],
    en: ['EN', 'ENGLISH', 'ANGLAIS', 'INGLES', 'INGLESE', 'ENGLISCH', 'ENGLEZA', 'АНГЛІЙСЬКА', 'الإنجليزية', 'انگلیسی'],
    es: ['ES', 'ESPAÑOL', 'ESPANOL', 'ESPAGNOL', 'SPANISH', 'CASTELLANO', 'ESPANHOL', 'SPANIOLA', 'ІСПАНСЬКА', 'الإسبانية'],
    pt: ['PT', 'PORTUGUÊS', 'PORTUGUES', 'PORTUGAIS', 'PORTUGUESE', 'PORTUGUESA', 'BRASILEIRO', 'PORTUGHEZA', 'ПОРТУГАЛЬСЬКА', 'البرتغالية'],
    ro: ['RO', 'ROMÂNĂ', 'ROMANA', 'LIMBA ROMANA', 'ROUMAIN', 'ROMANIAN', 'RUMANO', 'ROMENO', 'MOLDOVENEASCA', 'РУМУНСЬКА'],
    uk: ['UK', 'UA', 'УКРАЇНСЬКА', 'УКРАЇНСЬКОЮ', 'УКР', 'УКРАИНСКИЙ', 'УКРАИНСКИЙ ЯЗЫК', 'UKRAINIEN', 'UKRAINIENNE', 'UKRAINIAN', 'UKRAINSKA', 'UCRANIANO', 'UCRAINEANA'],
    ar: ['AR', 'العربية', 'العربيه', 'عربي', 'عربية', 'عربيه', 'ARABE', 'ARABIC', 'ARABI', 'ÁRABE', 'ARABA'],
    prs: ['PRS', 'دری', 'دري', 'فارسی', 'فارسي', 'پارسی', 'فارسی دری', 'DARI', 'PERSAN', 'PERSIAN', 'FARSI', 'PERSA', 'FA', 'AFGHAN'],
  } satisfies Record<Language, string[]>).flatMap(([language, names]) => names.map((name) => [normaliseKeyword(name), language as Language])),
);

/** Arabic-Indic (٠–٩) and Persian (۰–۹) digits, as Arabic and Dari keyboards type them, become 0–9. */
function latinDigits(text: string): string {
  return text.replace(/[\u0660-\u0669\u06F0-\u06F9]/gu, (d) => String((d.codePointAt(0) ?? 0) & 0xf));
}

/** A language named by its code or its name, in its own language, French or English ("english", "anglais", "español", "العربية"). */
export function parseLanguage(text: string): Language | undefined {
  const k = bare(text);
  if ((LANGUAGES as readonly string[]).includes(k.toLowerCase().replace(' ', '-'))) return k.toLowerCase().replace(' ', '-') as Language;
  return LANGUAGE_NAMES[k];
}

/**
 * LANGUE, LANGUAGE, "LANGUE EN", "language français": the person wants to choose their language,
 * maybe naming it at once. Undefined when the message is not such a request.
 */
export function languageRequest(text: string): { language: Language | undefined } | undefined {
  const k = bare(text);
  const [first = '', ...rest] = k.split(' ');
  if (!LANGUAGE_WORDS.has(first)) return undefined;
  if (rest.length === 0) return { language: undefined };
  const language = parseLanguage(rest.join(' '));
  // "LANGUE klingon": a request all the same; the list of languages will be offered.
  return { language };
}

/** A numbered choice ("3", "3.", " 3 ", "n°3") between 1 and `count`; undefined otherwise. */
export function recognizeChoice(text: string, count: number): number | undefined {
  const k = bare(text).replace(/^(N|NO|NUMERO|CHOIX|LE)\s*/u, '');
  if (!/^\d{1,2}$/u.test(k)) return undefined;
  const n = Number(k);
  return n >= 1 && n <= count ? n : undefined;
}

/** "HH:MM" from hours and minutes, or undefined when out of range. */
function clock(h: number, m: number): string | undefined {
  if (h === 24 && m === 0) h = 0;
  if (h > 23 || m > 59) return undefined;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/**
 * The hours of the day someone may be written to, as people type them: "9h-18h", "de 9h à 18h30",
 * "entre 8h et 20h", "09:00 - 17:00", "8 20". Two different times of day, or undefined.
 */
export function parseHoursRange(text: string): { from: string; until: string } | undefined {
  const times = [...text.toLowerCase().matchAll(/(\d{1,2})\s*(?:(?:h|:)(\d{2})?|heures?)?/gu)]
    .map((m) => clock(Number(m[1]), m[2] ? Number(m[2]) : 0));
  if (times.length !== 2 || times.some((t) => t === undefined)) return undefined;
  const [from, until] = times as [string, string];
  return from === until ? undefined : { from, until };
}

export type ContactChannel = 'sms' | 'call';

/** 1 / SMS, 2 / APPEL, 3 / LES DEUX: how the person prefers to be contacted. */
export function parseChannels(text: string): ContactChannel[] | undefined {
  const k = bare(text);
  if (k === '1' || k === 'SMS' || k === 'TEXTO' || k === 'TEXT' || k === 'MESSAGE' || k === 'MESSAGES') return ['sms'];
  if (k === '2' || k === 'APPEL' || k === 'APPELS' || k === 'CALL' || k === 'CALLS' || k === 'TELEPHONE' || k === 'PHONE') return ['call'];
  if (k === '3' || k === 'LES DEUX' || k === 'DEUX' || k === 'BOTH' || k === 'SMS ET APPEL' || k === 'SMS AND CALL' || k === 'TOUS LES DEUX') return ['sms', 'call'];
  return undefined;
}

/**
 * "Cancel" as people may write it in Lien's languages, to an appointment: ANNULER, CANCEL, CANCELAR,
 * ANULAR, ANULEAZĂ, СКАСУВАТИ, إلغاء, لغو… (normalised like the message).
 */
const CANCEL_WORDS = new Set(
  [
    'ANNULER', 'ANNULE', 'ANNULEZ', 'ANNULATION', 'J ANNULE', 'JE ANNULE', 'A ANNULER', 'ANNULER LE RDV', 'ANNULER RDV', 'ANNULER LE RENDEZ VOUS',
    'CANCEL', 'CANCELLED', 'CANCELED', 'CANCEL IT', 'CANCEL APPOINTMENT', 'CANCEL THE APPOINTMENT',
    'CANCELAR', 'ANULAR', 'CANCELAR LA CITA', 'ANULAR LA CITA', 'CANCELA', 'CANCELAR A CONSULTA',
    'ANULEAZA', 'ANULEZ', 'ANULARE', 'ANULAT',
    'СКАСУВАТИ', 'СКАСУЙТЕ', 'СКАСУВАННЯ', 'ВІДМІНИТИ', 'ОТМЕНА', 'ОТМЕНИТЬ',
    'الغاء', 'إلغاء', 'الغي', 'ألغي', 'لغو', 'لغو کنید', 'لغو شود',
  ].map(normaliseKeyword),
);

/** The person asks to cancel (an appointment): ANNULER, CANCEL and their equivalents, alone. */
export function isCancelWord(text: string): boolean {
  return CANCEL_WORDS.has(bare(text));
}

/**
 * An opt-out keyword that is also a word for "cancel" (CANCEL): in answer to a reminder (or an appointment
 * question) still waiting for its answer it cancels the appointment; otherwise it opts out, as carriers
 * read it. Every other opt-out keyword (STOP, ARRÊT…) opts out whatever is pending.
 */
export function answersReminderFirst(text: string): boolean {
  return consentKeyword(text)?.kind === 'opt-out' && isCancelWord(text);
}
