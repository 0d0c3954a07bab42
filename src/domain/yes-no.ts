/**
 * "Répondez OUI ou NON": the answer as people type it on a basic phone, late, tired, with typos.
 *
 * A message counts as an answer only when every word in it is a yes-word, a no-word or a polite word
 * ("oui merci", "non désolé", "ok merci 🙏", "Oui oui !"). Anything else — a longer sentence, a question,
 * a yes and a no together — is not an answer: `recognizeYesNo` returns undefined and the message goes to a
 * human, who reads it. Decisions:
 * - "oui mais je serai en retard…", "je sais pas", "oui non" → undefined (not clearly an answer).
 * - "non merci pour hier, à demain" → undefined: "pour hier" is not a polite word, and "non … à demain"
 *   may just as well mean "no, move it to tomorrow". For the same reason "à demain" is not a polite word,
 *   so "oui à demain" also goes to a human.
 * - 1 = yes and 2 = no, the usual numbered answers; "si", "sí", "da" are yes (people answer in their own
 *   language); "o", "y", "n" alone are answers.
 * - Botbuilder's French boolean recognizer is asked too, but only a match covering the whole message
 *   counts (its partial matches would read "pas de souci" as no), and if it disagrees with the word
 *   lists the answer is undefined.
 */
import { recognizeBoolean } from '@microsoft/recognizers-text-choice';

export type YesNo = 'yes' | 'no';

/**
 * Lower case, accents and emoji removed, apostrophes dropped ("d'accord" → "daccord"), every other
 * punctuation mark a space, spaces collapsed, a letter repeated three times or more kept once
 * ("ouiiii" → "oui"; "annuler" keeps its two n). Keycap digits ("1️⃣") and full-width digits become plain
 * digits. Compare it with `normalizeAnswer(keyword)`, not with a literal.
 */
export function normalizeAnswer(text: string): string {
  return text
    // Arabic-Indic and Persian digits (٠–٩, ۰–۹), as Arabic and Dari keyboards type them.
    .replace(/[\u0660-\u0669\u06F0-\u06F9]/gu, (d) => String((d.codePointAt(0) ?? 0) & 0xf))
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’`´ʼ]/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .replace(/(\p{L})\1{2,}/gu, '$1')
    .trim();
}

/** Every doubled letter kept once, so that "ouii", "okk", "nnon" and "dacord" match their word. */
function squeeze(normalized: string): string {
  return normalized.replace(/(\p{L})\1+/gu, '$1');
}

const YES = [
  'oui', 'ouai', 'ouais', 'oue', 'ouep', 'ouaip', 'wi', 'ui', 'o', 'oi', 'oiu', 'iou', 'uoi', 'ouo', 'pui',
  '1', 'yes', 'yep', 'yeah', 'ya', 'y', 'sure', 'si', 'da', 'ja',
  'ok', 'okay', 'oki', 'okey', 'okai', 'kk', 'k',
  'daccord', 'dac', 'dacc', 'dak', 'dacor', 'd accord', 'dacord', 'bien sur', 'biensur', 'bien sure', 'bien entendu', 'entendu',
  'evidemment', 'absolument', 'certainement', 'exactement', 'exact', 'parfait', 'super', 'tres bien', 'tb', 'top', 'nickel',
  'je confirme', 'confirme', 'confirmee', 'confirmer', 'confirmation', 'je valide', 'valide', 'cest confirme',
  'cest bon', 'c bon', 'cbon', 'ces bon', 'cest ok', 'cest parfait', 'ca marche', 'sa marche', 'ca me va', 'ok pour moi',
  'oui pour moi', 'cest bon pour moi', 'ca me convient', 'je peux', 'je pourrai', 'je serai la', 'jy serai', 'j y serai', 'je viendrai', 'je serai present', 'je serai presente',
  'pas de souci', 'pas de soucis', 'pas de probleme', 'aucun probleme', 'aucun souci', 'avec plaisir', 'volontiers',
  'approuver', 'accepter', 'jaccepte', 'accepte',
  // The other languages of locales/: es, pt, ro, uk, ar, prs.
  'claro', 'vale', 'de acuerdo', 'confirmo', 'sim', 'claro que sim', 'confirmado', 'desigur', 'confirm',
  'так', 'да', 'звісно', 'підтверджую', 'نعم', 'أجل', 'اجل', 'موافق', 'بلی', 'بله', 'آره', 'اره', 'تایید',
];

const NO = [
  'non', 'nn', 'n', 'nan', 'nom', 'nin', 'nop', 'nope', 'no', 'niet', '2', 'negatif',
  'annuler', 'annule', 'annulee', 'annulez', 'jannule', 'je annule', 'annulation', 'a annuler',
  'je ne peux pas', 'je peux pas', 'jpeux pas', 'j peux pas', 'peux pas', 'je ne pourrai pas', 'je pourrai pas',
  'je ne pourrais pas', 'je pourrais pas', 'pas possible', 'cest pas possible', 'ce nest pas possible', 'impossible',
  'je ne viendrai pas', 'je viendrai pas', 'je ne serai pas la', 'je serai pas la', 'pas dispo', 'pas disponible',
  'je ne suis pas disponible', 'je suis pas disponible', 'je suis pas dispo', 'indisponible',
  'pas daccord', 'surtout pas', 'absolument pas', 'certainement pas', 'pas du tout', 'jamais',
  'cancelar', 'anular', 'nao', 'nu', 'anulez', 'ні', 'нет', 'скасувати', 'لا', 'الغاء', 'نه', 'نخیر', 'لغو',
];

/** Words that do not change an answer: thanks, greetings, apologies, the person addressed, the appointment. */
const POLITE = [
  'merci', 'merci beaucoup', 'mercii', 'mrc', 'mci', 'msi', 'mrci', 'thx', 'thanks', 'thank you', 'beaucoup', 'bcp',
  'svp', 'stp', 'sil vous plait', 'sil te plait', 'please', 'pls', 'plz',
  'gracias', 'obrigado', 'obrigada', 'multumesc', 'mersi', 'дякую', 'спасибо', 'شكرا', 'تشکر', 'ممنون',
  'desole', 'desolee', 'dsl', 'pardon', 'sorry', 'excusez moi',
  'bonjour', 'bonsoir', 'bjr', 'bsr', 'salut', 'slt', 'coucou', 'hello', 'hi', 'allo',
  'madame', 'monsieur', 'mme', 'mr', 'm', 'mdme', 'mademoiselle',
  'bonne journee', 'bonne soiree', 'bonne fin de journee', 'bonne nuit', 'cordialement', 'bisous', 'bises',
  'rdv', 'le rdv', 'rendez vous', 'le rendez vous', 'mon rdv', 'mon rendez vous', 'alors', 'bien', 'cest gentil',
];

type Word = 'yes' | 'no' | 'polite';

const PHRASES = new Map<string, Word>();
for (const [list, word] of [[POLITE, 'polite'], [NO, 'no'], [YES, 'yes']] as const) {
  for (const phrase of list) PHRASES.set(squeeze(normalizeAnswer(phrase)), word);
}
const LONGEST = Math.max(...[...PHRASES.keys()].map((p) => p.split(' ').length));

/** Emoji that carry the answer; every other emoji is dropped with the punctuation. */
function emojiAsWords(text: string): string {
  return text
    .replace(/(\u{1F44D}|\u{1F44C}|\u2705|\u2714|\u2611|\u{1F197})/gu, ' oui ')
    .replace(/(\u{1F44E}|\u274C|\u274E|\u2716|\u{1F6AB}|\u26D4|\u{1F645})/gu, ' non ');
}

/**
 * Splits the message into known phrases, longest first. Returns undefined when a word is none of
 * them, so a sentence that merely starts with "oui" is not an answer.
 */
function phrases(normalized: string): Word[] | undefined {
  const words = squeeze(normalized).split(' ').filter(Boolean);
  const found: Word[] = [];
  let i = 0;
  while (i < words.length) {
    let matched = 0;
    for (let n = Math.min(LONGEST, words.length - i); n > 0 && !matched; n--) {
      const word = PHRASES.get(words.slice(i, i + n).join(' '));
      if (word) {
        found.push(word);
        matched = n;
      }
    }
    if (!matched) return undefined;
    i += matched;
  }
  return found;
}

function fromLists(text: string): YesNo | undefined {
  const found = phrases(normalizeAnswer(emojiAsWords(text)));
  if (!found) return undefined;
  const answers = new Set(found.filter((w) => w !== 'polite'));
  if (answers.size !== 1) return undefined;
  return answers.has('yes') ? 'yes' : 'no';
}

/**
 * Botbuilder's French boolean recognizer, trusted only when its one match covers the whole message,
 * and not for a lone "pas" (which it reads as no).
 */
function fromRecognizer(text: string): YesNo | undefined {
  const results = recognizeBoolean(text.trim(), 'fr-fr');
  if (results.length !== 1 || normalizeAnswer(results[0]?.text ?? '') === 'pas') return undefined;
  const { value, score } = (results[0]?.resolution ?? {}) as { value?: unknown; score?: unknown };
  if (score !== 1 || typeof value !== 'boolean') return undefined;
  return value ? 'yes' : 'no';
}

/** 'yes', 'no', or undefined when the message is not clearly one of them (a human then reads it). */
export function recognizeYesNo(text: string): YesNo | undefined {
  if (text.length > 200) return undefined;
  const listed = fromLists(text);
  const recognized = fromRecognizer(text);
  if (listed && recognized && listed !== recognized) return undefined;
  return listed ?? recognized;
}
