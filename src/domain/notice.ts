/**
 * The privacy notice a person gets at first contact (a short SMS, and the full text served at
 * /notice). Its version is recorded with the person's consent: change it whenever the text's substance
 * changes, so that who was told what stays known.
 */
export const NOTICE_VERSION = '2026-12';

/** Where the full notice is read, in the person's language. */
export function noticeUrl(publicUrl: string, language: string): string {
  return `${publicUrl.replace(/\/+$/u, '')}/notice?lang=${encodeURIComponent(language)}`;
}

/**
 * The HTML language tag of a Lien language: plain French is French; Dari is tagged fa-AF (Persian as written
 * in Afghanistan), which screen readers and fonts know, where the rarer "prs" would fall back to French.
 */
export function htmlLang(language: string): string {
  if (language === 'fr-falc') return 'fr';
  if (language === 'prs') return 'fa-AF';
  return language;
}
