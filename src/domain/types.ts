/** The plain vocabulary of Lien: what the stored documents mean, with no I/O. */

/**
 * The languages Lien writes to people in, in the order the language list shows them: French, plain French
 * (FALC), English, then languages allophone people met in French social services speak: Spanish,
 * Portuguese, Romanian, Ukrainian, Arabic and Dari (prs: the Persian of Afghanistan, Arabic script).
 */
export const LANGUAGES = ['fr', 'fr-falc', 'en', 'es', 'pt', 'ro', 'uk', 'ar', 'prs'] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * The Intl locale dates are written with for each language. Always the Gregorian calendar and Latin
 * digits: an appointment on 25/11 must read 25/11 on the person's phone as on the worker's screen
 * (fa-AF alone would give the Afghan solar calendar, and Arabic locales may give Arabic-Indic digits).
 */
export const DATE_LOCALES: Record<Language, string> = {
  fr: 'fr-FR',
  'fr-falc': 'fr-FR',
  en: 'en-GB',
  es: 'es-ES',
  pt: 'pt-PT',
  ro: 'ro-RO',
  uk: 'uk-UA',
  ar: 'ar-u-ca-gregory-nu-latn',
  prs: 'fa-AF-u-ca-gregory-nu-latn',
};

/** The Intl locale for a language code, French for an unknown one. */
export function dateLocale(language: string): string {
  return DATE_LOCALES[language as Language] ?? 'fr-FR';
}

/** Languages written right to left. */
export const RTL_LANGUAGES: ReadonlySet<Language> = new Set<Language>(['ar', 'prs']);

export const WORKER_ROLES = ['worker', 'manager', 'admin'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export const CHANNELS = ['sms', 'voice', 'matrix'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CONVERSATION_STATUSES = ['open', 'done'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const MESSAGE_DIRECTIONS = ['inbound', 'outbound'] as const;
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number];

/**
 * Where a message is in its journey. `pending` waits in the outbox for its (next) attempt, `sending` is
 * claimed by one process, `sent` has a provider id, `delivered` is confirmed by the provider, `failed`
 * is reported to a human. A person's SMS is first `held` while the bot's turn reads it (the outbox does
 * not see it yet), then either `pending` (relayed to the room) or `consumed` (an answer the bot took: a
 * menu choice, OUI to a reminder…, never posted as text). An SMS the person no longer wants (they said
 * STOP before it went) is `withheld`: never sent, kept as it was, not sent again after START. Which status
 * may follow which is written once, in delivery-status.ts.
 */
export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'delivered', 'failed', 'held', 'consumed', 'withheld'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Which side a stored message must still reach: the person's phone or the conversation's room. */
export const DELIVERY_TARGETS = ['sms', 'matrix'] as const;
export type DeliveryTarget = (typeof DELIVERY_TARGETS)[number];

export const APPOINTMENT_STATUSES = ['scheduled', 'confirmed', 'cancelled', 'done', 'missed'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

export const CALLBACK_STATUSES = ['open', 'done', 'cancelled'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

export const ACTOR_KINDS = ['system', 'worker', 'person'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** A weekly opening slot in the team's own timezone; weekday 1 = Monday … 7 = Sunday (ISO). */
export interface OpeningSlot {
  weekday: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  /** "HH:MM", 24-hour clock */
  opens: string;
  closes: string;
}

export interface Closure {
  from: Date;
  until: Date;
  reason?: string;
}

export interface Absence {
  from: Date;
  until?: Date | null;
  /** Worker id of the colleague who takes the caseload meanwhile. */
  backup?: string | null;
}
