/**
 * The dev phone (development only, never with a Twilio account): a web page that plays the demo
 * person's phone and the demo worker's Matrix client side by side, so the whole flow runs on a fresh
 * machine. The phone's SMS go through the same signed webhook Twilio would call; the worker's replies go
 * through the homeserver like any worker's.
 */
import { randomBytes } from 'node:crypto';
import express, { Router } from 'express';
import { MatrixClient } from '../channels/matrix/client.js';
import { signTwilioRequest } from '../channels/sms/signature.js';
import type { Demo } from '../demo/seed.js';
import type { RoutingContext } from '../routing/context.js';
import { HttpError } from './errors.js';
import { DEV_PHONE_PAGE } from './dev-phone-page.js';

export interface DevPhoneOptions {
  ctx: RoutingContext;
  demo: Demo;
  homeserverUrl: string;
  webhookAuthToken: string;
  publicUrl: () => string;
}

interface RoomTimelineEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: { body?: string; msgtype?: string; 'm.relates_to'?: { event_id?: string; key?: string; rel_type?: string } };
}

export function devPhoneRouter(opts: DevPhoneOptions): Router {
  const { ctx, demo } = opts;
  const worker = new MatrixClient(opts.homeserverUrl, demo.worker.accessToken);
  const router = Router();
  router.use('/dev/phone', express.json({ limit: '16kb' }));

  const person = async () => {
    const p = await ctx.models.Person.findOne({ phoneIndex: ctx.cipher.blindIndex(demo.personPhone) });
    if (!p) throw new HttpError(404, 'no_demo_person', 'The demo person is gone: restart Lien to create it again.');
    return p;
  };
  const text = (body: unknown): string => {
    const t = typeof body === 'object' && body !== null && 'body' in body ? String((body as { body: unknown }).body ?? '') : '';
    if (!t.trim()) throw new HttpError(400, 'empty_message', 'Write a message first.');
    return t;
  };

  router.get('/dev/phone', (_req, res) => {
    res.type('html').send(DEV_PHONE_PAGE);
  });

  router.get('/dev/phone/api/info', async (_req, res) => {
    const p = await person();
    res.json({ personName: p.displayName, personPhone: demo.personPhone, serviceNumber: demo.serviceNumber, worker: demo.worker.displayName, workerId: demo.worker.userId });
  });

  /** The person's phone: what they sent and what Lien sent them, oldest first. */
  router.get('/dev/phone/api/thread', async (_req, res) => {
    const p = await person();
    const messages = await ctx.models.Message.find({ person: p._id, channel: 'sms' }).sort({ receivedAt: 1, _id: 1 }).limit(200).lean();
    res.json({
      messages: messages.map((m) => ({
        id: String(m._id),
        direction: m.direction,
        body: m.bodySealed ? ctx.cipher.decrypt(m.bodySealed) : '',
        at: m.receivedAt,
        status: m.delivery.status,
      })),
    });
  });

  /** The person sends an SMS: posted to Lien's own webhook, signed as Twilio signs it. */
  router.post('/dev/phone/api/sms', async (req, res) => {
    const body = text(req.body);
    const url = `${opts.publicUrl()}/twilio/sms`;
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const params = { MessageSid: sid, SmsSid: sid, AccountSid: `AC${'0'.repeat(32)}`, From: demo.personPhone, To: demo.serviceNumber, Body: body, NumMedia: '0' };
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signTwilioRequest(opts.webhookAuthToken, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    res.status(answer.ok ? 201 : 502).json({ sid, webhookStatus: answer.status });
  });

  /** The worker's view of the person's room (the worker joins it on first look, as a Matrix client would). */
  router.get('/dev/phone/api/room', async (_req, res) => {
    const p = await person();
    const conversation = await ctx.models.Conversation.findOne({ person: p._id }).lean();
    if (!conversation?.matrixRoomId) {
      res.json({ roomId: null, events: [] });
      return;
    }
    await worker.join(conversation.matrixRoomId);
    const page = await worker.roomMessages(conversation.matrixRoomId, { dir: 'b', limit: 100 });
    const raw = (page.chunk as RoomTimelineEvent[]).reverse();
    const reactions = new Map<string, string[]>();
    for (const e of raw) {
      const rel = e.content['m.relates_to'];
      if (e.type === 'm.reaction' && rel?.event_id && rel.key) reactions.set(rel.event_id, [...(reactions.get(rel.event_id) ?? []), rel.key]);
    }
    res.json({
      roomId: conversation.matrixRoomId,
      events: raw
        .filter((e) => e.type === 'm.room.message')
        .map((e) => ({ id: e.event_id, sender: e.sender, mine: e.sender === demo.worker.userId, msgtype: e.content.msgtype, body: e.content.body ?? '', at: e.origin_server_ts, reactions: reactions.get(e.event_id) ?? [] })),
    });
  });

  /** The worker replies in the room, through the homeserver. */
  router.post('/dev/phone/api/reply', async (req, res) => {
    const body = text(req.body);
    const p = await person();
    const conversation = await ctx.models.Conversation.findOne({ person: p._id }).lean();
    if (!conversation?.matrixRoomId) throw new HttpError(409, 'no_room_yet', 'The room opens with the first SMS from the person.');
    await worker.join(conversation.matrixRoomId);
    const eventId = await worker.sendEvent(conversation.matrixRoomId, 'm.room.message', { msgtype: 'm.text', body }, `devphone-${randomBytes(8).toString('hex')}`);
    res.status(201).json({ eventId });
  });

  return router;
}
