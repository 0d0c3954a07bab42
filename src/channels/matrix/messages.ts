/**
 * Contents of the room events Lien sends (texts, notices, reactions) and a reader for the messages it
 * receives. Plain functions over plain objects: nothing here talks to the homeserver.
 */
import type { RoomEvent, RoomText } from './types.js';

/** An `m.room.message` content. */
export interface MessageContent {
  msgtype: string;
  body: string;
  format?: 'org.matrix.custom.html';
  formatted_body?: string;
  [key: string]: unknown;
}

function messageContent(msgtype: string, text: RoomText): MessageContent {
  return text.html === undefined
    ? { msgtype, body: text.body }
    : { msgtype, body: text.body, format: 'org.matrix.custom.html', formatted_body: text.html };
}

/** An m.text message (with its HTML form when `text.html` is given). */
export function textContent(text: RoomText): MessageContent {
  return messageContent('m.text', text);
}

/** An m.notice message: what Lien says on its own account (clients show it apart, bots ignore it). */
export function noticeContent(text: RoomText): MessageContent {
  return messageContent('m.notice', text);
}

/** An `m.reaction` content: `key` (usually an emoji) on `eventId`. */
export function reactionContent(eventId: string, key: string): Record<string, unknown> {
  return { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key } };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Escaped HTML with line breaks kept. */
function htmlLines(s: string): string {
  return escapeHtml(s).replace(/\r\n|\r|\n/g, '<br>');
}

/** A Matrix user a message is meant for: their client notifies them (intentional mention). */
export interface Mention {
  userId: string;
  /** Their display name, shown in the pill. */
  name: string;
}

/** A "pill": the HTML link clients show as the user's name and avatar. */
export function userPill(m: Mention): string {
  return `<a href="https://matrix.to/#/${escapeHtml(m.userId)}">${escapeHtml(m.name)}</a>`;
}

/**
 * The `m.mentions` of an event (Matrix intentional mentions): the users listed are notified; an empty
 * object says the event mentions nobody, so no client pings anyone for a name in its text.
 */
export function mentionsContent(userIds: readonly string[]): { 'm.mentions': { user_ids?: string[] } } {
  return { 'm.mentions': userIds.length > 0 ? { user_ids: [...userIds] } : {} };
}

/**
 * What a person wrote (e.g. an SMS), labelled with who they are so that nobody in the room takes it
 * for the bot's own words: `Label: text`, and in HTML the label in bold on its own line. With `mention`,
 * the HTML names the worker it is for with a pill after the label (the text stays as it is).
 */
export function personMessage(opts: { label: string; text: string; mention?: Mention }): RoomText {
  const to = opts.mention ? ` → ${userPill(opts.mention)}` : '';
  return {
    body: `${opts.label}: ${opts.text}`,
    html: `<b>${escapeHtml(opts.label)}</b>${to}<br>${htmlLines(opts.text)}`,
  };
}

/** A text addressed to some users: their names first (pills in HTML), `Name: text`. */
export function addressedText(text: string, to: readonly Mention[]): RoomText {
  if (to.length === 0) return { body: text };
  return {
    body: `${to.map((m) => m.name).join(', ')}: ${text}`,
    html: `${to.map(userPill).join(', ')}: ${htmlLines(text)}`,
  };
}

export type ParsedMessageKind = 'text' | 'notice' | 'emote' | 'media' | 'edit' | 'other';

export interface ParsedMedia {
  /** mxc:// URI. For an encrypted attachment, that of the ciphertext (see `file`). */
  url: string;
  mimetype: string | undefined;
  filename: string | undefined;
  size: number | undefined;
  /** The EncryptedFile object (key, iv, hashes) of an attachment in an encrypted room. */
  file?: Record<string, unknown>;
}

export interface ParsedMessage {
  kind: ParsedMessageKind;
  /** For an edit: the new text (from `m.new_content`). */
  body?: string;
  /** The HTML form, when the sender gave one. */
  html?: string;
  msgtype?: string;
  /** For an edit: the event it replaces. */
  replacesEventId?: string;
  /** The event this one answers (rich reply), if any. */
  inReplyTo?: string;
  media?: ParsedMedia;
}

const MEDIA_MSGTYPES = new Set(['m.image', 'm.file', 'm.audio', 'm.video']);

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function parseMedia(content: Record<string, unknown>, msgtype: string): ParsedMedia | undefined {
  const file = obj(content.file);
  const url = str(content.url) ?? str(file?.url);
  if (!url) return undefined;
  const info = obj(content.info);
  const size = info?.size;
  // m.file carries the file name in `filename` (since v1.10) or, before that, in `body`.
  const filename = str(content.filename) ?? (msgtype === 'm.file' ? str(content.body) : undefined);
  return {
    url,
    mimetype: str(info?.mimetype),
    filename,
    size: typeof size === 'number' ? size : undefined,
    ...(file ? { file } : {}),
  };
}

/**
 * The text of a reply without its fallback: the quoted lines ("> …") some clients put first, and the
 * blank line after them. A text that is only a quote is left as it is.
 */
function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  let quoted = 0;
  while (quoted < lines.length && lines[quoted]?.startsWith('>')) quoted++;
  if (quoted === 0 || lines[quoted] !== '') return body;
  return lines.slice(quoted + 1).join('\n');
}

/**
 * Reads an `m.room.message` event: its kind, text, and attachment. Edits (`m.replace`) are recognised
 * and carry the new text; anything that is not a readable message (redacted, encrypted, other event
 * types, unknown msgtypes) is 'other'.
 */
export function parseRoomMessage(event: RoomEvent): ParsedMessage {
  if (event.type !== 'm.room.message') return { kind: 'other' };
  const content = event.content;
  const relatesTo = obj(content['m.relates_to']);
  const inReplyTo = str(obj(relatesTo?.['m.in_reply_to'])?.event_id);
  const reply = inReplyTo ? { inReplyTo } : {};

  if (str(relatesTo?.rel_type) === 'm.replace') {
    const replaced = str(relatesTo?.event_id);
    const newContent = obj(content['m.new_content']);
    const source = newContent ?? content;
    const msgtype = str(source.msgtype);
    let body = str(source.body);
    if (!newContent && body?.startsWith('* ')) body = body.slice(2);
    const html = str(source.format) === 'org.matrix.custom.html' ? str(source.formatted_body) : undefined;
    const media = msgtype && MEDIA_MSGTYPES.has(msgtype) ? parseMedia(source, msgtype) : undefined;
    return {
      kind: 'edit',
      ...(body !== undefined ? { body } : {}),
      ...(html !== undefined ? { html } : {}),
      ...(msgtype ? { msgtype } : {}),
      ...(replaced ? { replacesEventId: replaced } : {}),
      ...(media ? { media } : {}),
    };
  }

  const msgtype = str(content.msgtype);
  const rawBody = str(content.body);
  if (!msgtype || rawBody === undefined) return { kind: 'other', ...(msgtype ? { msgtype } : {}) };
  const rawHtml = str(content.format) === 'org.matrix.custom.html' ? str(content.formatted_body) : undefined;
  // A reply may start with a quote of the message it answers (the "fallback"): not part of what was written.
  const body = inReplyTo ? stripReplyFallback(rawBody) : rawBody;
  const html = inReplyTo && rawHtml !== undefined ? rawHtml.replace(/^\s*<mx-reply>[\s\S]*?<\/mx-reply>/u, '') : rawHtml;
  const common = { body, msgtype, ...(html !== undefined ? { html } : {}), ...reply };
  switch (msgtype) {
    case 'm.text':
      return { kind: 'text', ...common };
    case 'm.notice':
      return { kind: 'notice', ...common };
    case 'm.emote':
      return { kind: 'emote', ...common };
    default: {
      if (MEDIA_MSGTYPES.has(msgtype)) {
        const media = parseMedia(content, msgtype);
        if (media) return { kind: 'media', ...common, media };
      }
      return { kind: 'other', ...common };
    }
  }
}
