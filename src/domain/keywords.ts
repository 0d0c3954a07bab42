/**
 * Opt-out and opt-in keywords, as carriers and Twilio know them plus their French forms. Only a message
 * that is the keyword alone counts ("Stop !" does, "stop appeler moi" does not), so ordinary words in a
 * sentence never silence a person by mistake.
 */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'ARRET', 'ARRETER', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'STOP SMS', 'DESABONNER']);
const OPT_IN = new Set(['START', 'UNSTOP', 'DEMARRER']);

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
