/**
 * The full privacy notice (need 9), the page the first-contact SMS links to: GET /notice?lang=fr|fr-falc|en|es|pt|ro|uk|ar|prs.
 * A plain, accessible HTML page in the person's language, every sentence from `locales/` (bot.notice.*):
 * who runs the service, what is kept and why, who reads it, for how long, the person's rights, how to
 * stop. No script, no tracker, nothing to load from elsewhere; readable on a small phone.
 */
import { Router } from 'express';
import { htmlLang, NOTICE_VERSION } from '../domain/notice.js';
import { LANGUAGES, RTL_LANGUAGES, type Language } from '../domain/types.js';
import type { Translator } from '../i18n/translator.js';

export interface NoticeOptions {
  i18n: Translator;
  retentionMonths: number;
  /** The name of the team that runs the service (the default team), when one is set up. */
  teamName: () => Promise<string | undefined>;
}

const SECTIONS = ['who', 'what', 'why', 'readers', 'keep', 'rights', 'stop'] as const;

export { htmlLang };

/** ` dir="rtl"` for Arabic and Dari, nothing for the others. */
function dirAttr(language: Language): string {
  return RTL_LANGUAGES.has(language) ? ' dir="rtl"' : '';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/gu, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The page, in one language. */
export function renderNotice(i18n: Translator, language: Language, vars: { team: string; months: number }): string {
  const t = (key: string) => escapeHtml(i18n.t(language, `bot.notice.${key}`, vars));
  const others = LANGUAGES.filter((l) => l !== language)
    .map((l) => `<a href="?lang=${l}" hreflang="${htmlLang(l)}" lang="${htmlLang(l)}"${dirAttr(l)}>${escapeHtml(i18n.t(l, 'bot.notice.languageLink'))}</a>`)
    .join(' · ');
  const sections = SECTIONS.map((s) => `<section aria-labelledby="${s}"><h2 id="${s}">${t(`${s}Title`)}</h2><p>${t(s)}</p></section>`).join('\n');
  return `<!doctype html>
<html lang="${htmlLang(language)}"${dirAttr(language)}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t('title')}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1.15rem;line-height:1.6;max-width:40rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:1.6rem}a{color:#0b4f9c}nav{margin-bottom:1rem}footer{margin-top:2rem;font-size:.95rem;color:#444}
</style>
</head>
<body>
<nav aria-label="${t('languageNav')}">${others}</nav>
<main>
<h1>${t('title')}</h1>
<p>${t('intro')}</p>
${sections}
</main>
<footer><p>${t('version')} ${escapeHtml(NOTICE_VERSION)}</p></footer>
</body>
</html>`;
}

export function noticeRouter(opts: NoticeOptions): Router {
  const router = Router();
  router.get('/notice', async (req, res) => {
    const asked = typeof req.query.lang === 'string' ? req.query.lang : '';
    const language: Language = (LANGUAGES as readonly string[]).includes(asked) ? (asked as Language) : 'fr';
    const team = (await opts.teamName().catch(() => undefined)) ?? opts.i18n.t(language, 'bot.notice.defaultTeam');
    res
      .status(200)
      .type('html')
      .set('Cache-Control', 'public, max-age=300')
      .set('Content-Language', htmlLang(language))
      .send(renderNotice(opts.i18n, language, { team, months: opts.retentionMonths }));
  });
  return router;
}
