/**
 * A person's export as a readable page in their language (every heading from `locales/`, export.*):
 * plain, self-contained HTML — no script, nothing loaded from elsewhere — with every value escaped,
 * since messages are whatever people and workers typed.
 */
import { htmlLang } from '../domain/notice.js';
import { LANGUAGES, RTL_LANGUAGES, type Language } from '../domain/types.js';
import type { Translator } from '../i18n/translator.js';
import type { PersonExport } from './export.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/gu, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function renderExportPage(i18n: Translator, data: PersonExport, opts: { retentionMonths: number; timeZone?: string }): string {
  const language: Language = (LANGUAGES as readonly string[]).includes(data.person.language) ? (data.person.language as Language) : 'fr';
  const team = data.person.team ?? i18n.t(language, 'bot.notice.defaultTeam');
  const dates = new Intl.DateTimeFormat(htmlLang(language), { dateStyle: 'medium', timeStyle: 'short', timeZone: opts.timeZone ?? 'Europe/Paris' });
  const when = (iso: string | null | undefined) => (iso ? dates.format(new Date(iso)) : '');
  const t = (key: string, vars: Record<string, string | number> = {}) => escapeHtml(i18n.t(language, `export.${key}`, vars));
  const e = (v: string | number | boolean | null | undefined) => escapeHtml(v === null || v === undefined ? '' : String(v));
  const table = (head: string[], rows: string[][]) =>
    rows.length === 0
      ? `<p>${t('none')}</p>`
      : `<table><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
  const yesNo = (b: boolean) => escapeHtml(i18n.t(language, b ? 'bot.word.yes' : 'bot.word.no'));
  const channels = data.preferences.channels.includes('sms') && data.preferences.channels.includes('call') ? 'both' : (data.preferences.channels[0] ?? 'sms');
  const sender = (m: PersonExport['messages'][number]) => (m.kind === 'notice' ? t('note') : m.direction === 'inbound' ? t('fromYou') : `${t('toYou')}${m.author ? ` (${e(m.author)})` : ''}`);
  const messageText = (m: PersonExport['messages'][number]) => [e(m.text), ...m.media.map((x) => `<br><a href="${e(x.url)}">${e(x.contentType)}</a>`)].join('');

  const dir = RTL_LANGUAGES.has(language) ? ' dir="rtl"' : '';
  return `<!doctype html>
<html lang="${htmlLang(language)}"${dir}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${t('title', { team })}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1.05rem;line-height:1.5;max-width:60rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:start;vertical-align:top}td{white-space:pre-wrap}h2{margin-top:1.8rem}
</style>
</head>
<body>
<main>
<h1>${t('title', { team })}</h1>
<p>${t('intro', { team, date: when(data.exportedAt) })}</p>
<p>${t('kept', { months: opts.retentionMonths })}</p>
<h2>${t('you')}</h2>
<dl>
<dt>${t('name')}</dt><dd>${e(data.person.displayName)}</dd>
<dt>${t('phone')}</dt><dd>${e(data.person.phone)}</dd>
<dt>${t('language')}</dt><dd>${escapeHtml(i18n.t(language, `bot.languageName.${language}`))}</dd>
<dt>${t('referent')}</dt><dd>${e(data.person.referent)}</dd>
<dt>${t('since')}</dt><dd>${e(when(data.person.createdAt))}</dd>
</dl>
<h2>${t('consent')}</h2>
<p>${data.consent ? t('consentGiven', { version: data.consent.noticeVersion, date: when(data.consent.givenAt) }) : t('consentNone')}</p>
<h2>${t('preferences')}</h2>
<dl>
<dt>${t('channels')}</dt><dd>${escapeHtml(i18n.t(language, `bot.word.channel.${channels}`))}</dd>
<dt>${t('hours')}</dt><dd>${e(data.preferences.welcomeFrom)} – ${e(data.preferences.welcomeUntil)}</dd>
<dt>${t('reminders')}</dt><dd>${yesNo(data.preferences.reminders)}</dd>
</dl>
<h2>${t('messages')}</h2>
${table([t('date'), t('who'), t('text'), t('status')], data.messages.map((m) => [e(when(m.at)), sender(m), messageText(m), e(m.status)]))}
<h2>${t('appointments')}</h2>
${table([t('date'), t('who'), t('what'), t('status')], data.appointments.map((a) => [e(when(a.startsAt)), e(a.worker), e(a.place), e(a.status)]))}
<h2>${t('callbacks')}</h2>
${table([t('date'), t('what'), t('status')], data.callbacks.map((c) => [e(when(c.requestedAt)), `${e(when(c.windowStart))} – ${e(when(c.windowEnd))}`, e(c.status)]))}
<h2>${t('audit')}</h2>
${table([t('date'), t('who'), t('what')], data.audit.map((a) => [e(when(a.at)), e(a.actor), e(a.action)]))}
</main>
</body>
</html>
`;
}
