/**
 * Conversations with the bot as SMS exchanges: a person texts (a signed webhook), the bot's answers are
 * read where they come out (Twilio's API, as nock records it), and the room is read as the worker reads it.
 */
import { expect } from 'vitest';
import { gsmFriendly } from '../../src/channels/sms/segments.js';
import { Translator, type Vars } from '../../src/i18n/translator.js';
import { sendSms, twilioSid, type Bridge } from './bridge.js';
import { waitFor } from './wait.js';

export const translator = new Translator();

/** A bot sentence exactly as the person's phone receives it. */
export function botSms(language: string, key: string, vars: Vars = {}): string {
  return gsmFriendly(translator.t(language, `bot.sms.${key}`, vars));
}

/** A room notice exactly as the workers read it. */
export function roomNotice(key: string, vars: Vars = {}): string {
  return translator.t('fr', key, vars);
}

/** A fixed clock the test moves by hand. */
export class TestClock {
  constructor(public at: Date) {}

  readonly now = (): Date => new Date(this.at);

  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}

/** The SMS Twilio accepted for a number, their texts in order. */
export function smsTo(bridge: Bridge, phone: string): string[] {
  return bridge.twilio.sentTo(phone).map((r) => r.form.Body ?? '');
}

/**
 * The person texts `body`; resolves with its MessageSid once Lien has answered the webhook 200. With
 * `expectReplies`, also waits until that many more SMS have reached the person, and returns them.
 */
export async function text(bridge: Bridge, phone: string, body: string, expectReplies = 0): Promise<{ sid: string; replies: string[] }> {
  const before = smsTo(bridge, phone).length;
  const sid = twilioSid();
  const answer = await sendSms(bridge, { from: phone, body, sid });
  expect(answer.status).toBe(200);
  if (expectReplies === 0) return { sid, replies: [] };
  const sent = await bridge.twilio.waitForSent(phone, before + expectReplies);
  return { sid, replies: sent.slice(before).map((r) => r.form.Body ?? '') };
}

/** What became of a person's message: `pending`/`sent` (relayed to the room), `consumed` (an answer the bot took)… */
export async function fate(bridge: Bridge, sid: string): Promise<string> {
  return waitFor(`the turn of ${sid}`, async () => {
    const m = await bridge.lien.db.models.Message.findOne({ twilioSid: sid }, { delivery: 1 }).lean();
    return m && m.delivery.status !== 'held' ? m.delivery.status : undefined;
  });
}

/** The person's message, as posted in the room. */
export function relayed(bridge: Bridge, roomId: string, label: string, body: string): Promise<unknown> {
  return bridge.worker.waitForEvent(roomId, `"${body}" relayed`, (e) => e.sender === bridge.botUserId && e.content.body === `${label}: ${body}`);
}

/** Lien's messages in the room (texts and notices), their bodies in order. */
export async function roomBodies(bridge: Bridge, roomId: string): Promise<string[]> {
  return (await bridge.worker.messagesFrom(roomId, bridge.botUserId)).map((e) => String(e.content.body ?? ''));
}

/**
 * A notice of Lien's whose body ends with this text. One that mentions someone starts with their name,
 * and is a text (m.text, so that their client notifies them) rather than an m.notice.
 */
export function waitForNoticeEnding(bridge: Bridge, roomId: string, body: string, timeoutMs = 15_000): Promise<unknown> {
  return bridge.worker.waitForEvent(
    roomId,
    `the notice "…${body.slice(-50)}"`,
    (e) => e.sender === bridge.botUserId && typeof e.content.body === 'string' && e.content.body.endsWith(body),
    timeoutMs,
  );
}

/** Nothing more reached the phone for a while (the outbox sweeps every 300 ms in these tests). */
export async function noMoreSms(bridge: Bridge, phone: string, count: number, ms = 1_500): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  expect(smsTo(bridge, phone)).toHaveLength(count);
}
