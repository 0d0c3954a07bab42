/**
 * Opt-out and opt-in keywords, as carriers and Twilio know them plus their French forms: the one list,
 * which README ("How a conversation flows") gives word for word (a test compares them). Only a message
 * that is the keyword alone counts ("Stop !" does, "stop appeler moi" does not), so ordinary words in a
 * sentence never silence a person by mistake. CANCEL is also an answer to an appointment question
 * (domain/bot-keywords.ts answersReminderFirst).
 */
export const OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'ARRET', 'ARRETER', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'STOP SMS', 'DESABONNER'] as const;
export const OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'DEMARRER'] as const;
const OPT_OUT: ReadonlySet<string> = new Set(OPT_OUT_KEYWORDS);
const OPT_IN: ReadonlySet<string> = new Set(OPT_IN_KEYWORDS);

/** Upper case, accents removed, punctuation and extra spaces dropped. */
export function normaliseKeyword(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N} ]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export type ConsentKeyword = { kind: 'opt-out' | 'opt-in'; keyword: string };

export function consentKeyword(text: string): ConsentKeyword | null {
  const k = normaliseKeyword(text);
  if (OPT_OUT.has(k)) return { kind: 'opt-out', keyword: k };
  if (OPT_IN.has(k)) return { kind: 'opt-in', keyword: k };
  return null;
}
