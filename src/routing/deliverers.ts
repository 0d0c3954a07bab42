/**
 * The two deliverers the outbox drives: into a room (a person's message, a notice for the workers) and
 * onto a phone (a worker's reply, an automatic answer). Both are safe to retry: a room message carries
 * Lien's own message id as its transaction id, so the homeserver never posts a retried one twice; an SMS
 * counts as sent only once Twilio's SID is stored.
 */
import { HomeserverUnreachableError, MatrixError } from '../channels/matrix/client.js';
import { addressedText, mentionsContent, noticeContent, personMessage, textContent } from '../channels/matrix/messages.js';
import type { SmsSender } from '../channels/sms/types.js';
import { DeliveryError, type Deliverer, type OutboxMessage } from '../outbox/outbox.js';
import type { RoutingContext } from './context.js';
import type { Directory } from './directory.js';
import type { Portals } from './portals.js';
import type { ConversationDocument } from '../store/models/index.js';
import { OfficeHours } from './office-hours.js';

/** Fetches media a carrier attached to an inbound message (Twilio's media URLs need the account's credentials). */
export type MediaFetcher = (url: string) => Promise<{ data: Uint8Array; contentType: string }>;

/** How a failed homeserver call should be handled by the outbox. */
export function matrixDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof HomeserverUnreachableError) return new DeliveryError(err.message, { permanent: false, code: 'homeserver_unreachable', outage: true });
  if (err instanceof MatrixError) {
    const transient = err.status === 429 || err.status >= 500;
    // 502, 503, 504: the reverse proxy in front of the homeserver answers for it while it is down.
    const outage = err.status === 502 || err.status === 503 || err.status === 504;
    return new DeliveryError(err.message, {
      permanent: !transient,
      code: err.errcode ?? String(err.status),
      ...(outage ? { outage } : {}),
      ...(err.retryAfterMs ? { retryAfterMs: err.retryAfterMs } : {}),
    });
  }
  return new DeliveryError((err as Error).message, { permanent: false });
}

/** The code a message too large for the homeserver fails with. */
export const TOO_LARGE = 'M_TOO_LARGE';

function isTooLarge(err: unknown): err is MatrixError {
  return err instanceof MatrixError && (err.status === 413 || err.errcode === 'M_TOO_LARGE');
}

/** Not (or no longer) allowed in the room, or no such room: what a removed Lien, or a deleted room, answers. */
function isRoomLost(err: unknown): err is MatrixError {
  return err instanceof MatrixError && (err.status === 403 || err.status === 404);
}

export class RoomDeliverer implements Deliverer {
  constructor(
    private readonly ctx: RoutingContext,
    private readonly directory: Directory,
    private readonly portals: Portals,
    private readonly fetchMedia: MediaFetcher | undefined,
  ) {}

  async deliver(message: OutboxMessage): Promise<{ matrixEventId: string }> {
    try {
      const conversation = await this.ctx.models.Conversation.findById(message.conversation);
      if (!conversation) throw new DeliveryError('the conversation of this message no longer exists', { permanent: true, code: 'orphan' });
      let roomId = await this.portals.roomFor(conversation);
      const client = await this.ctx.matrix();
      const text = message.bodySealed ? this.ctx.cipher.decrypt(message.bodySealed) : '';
      const txn = `lien-${String(message._id)}`;
      let content;
      if (message.kind === 'notice') {
        // A notice addressed to workers (the opening digest…) names them with pills and mentions them. It
        // goes as m.text: homeservers' default push rules silence every m.notice, mention or not.
        const to = await Promise.all((message.mentions ?? []).map(async (userId) => ({ userId, name: (await this.directory.workerByMatrixId(userId))?.displayName ?? userId })));
        content = to.length > 0 ? { ...textContent(addressedText(text, to)), ...mentionsContent(to.map((m) => m.userId)) } : noticeContent({ body: text });
      } else {
        const person = await this.ctx.models.Person.findById(message.person);
        const label = person ? await this.directory.labelOf(person) : '?';
        // Right to disconnect: the worker who answers is mentioned (notified) inside office hours only.
        const mention = person ? await new OfficeHours(this.ctx).mentionFor(message, person, conversation) : undefined;
        content = { ...textContent(personMessage({ label, text, ...(mention ? { mention } : {}) })), ...mentionsContent(mention ? [mention.userId] : []) };
      }
      let eventId: string;
      try {
        eventId = await client.sendEvent(roomId, 'm.room.message', content as unknown as Record<string, unknown>, txn);
      } catch (err) {
        if (isTooLarge(err)) return await this.tooLarge(message, roomId, err);
        // Lien was removed from the person's room, or the room is gone: back in, or into a new room.
        if (!isRoomLost(err) || conversation.matrixRoomId !== roomId) throw err;
        const regained = await this.regainRoom(conversation, roomId, err);
        eventId = await client.sendEvent(regained.roomId, 'm.room.message', content as unknown as Record<string, unknown>, txn);
        // Recorded once the message is in: a join after which the room still refuses it is no rejoining.
        if (regained.rejoined) await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'room.portal_rejoined', subject: { kind: 'room', id: roomId }, conversation: conversation._id, details: { reason: err.errcode ?? String(err.status) } });
        roomId = regained.roomId;
      }
      for (const [i, media] of (message.media ?? []).entries()) await this.postMedia(roomId, `${txn}-media-${i}`, media, message.person);
      return { matrixEventId: eventId };
    } catch (err) {
      throw matrixDeliveryError(err);
    }
  }

  /**
   * The room refused Lien's message as if Lien were not in it. Lien rejoins when the room lets it (a
   * worker invited it back, or the room is open to it); otherwise the conversation gets a new room.
   */
  private async regainRoom(conversation: ConversationDocument, roomId: string, lost: MatrixError): Promise<{ roomId: string; rejoined: boolean }> {
    const client = await this.ctx.matrix();
    try {
      await client.join(roomId);
    } catch (err) {
      if (!(err instanceof MatrixError) || !isRoomLost(err)) throw err;
      this.ctx.logger.warn({ roomId, reason: lost.message, rejoin: err.message }, 'portal room lost: making a new one');
      return { roomId: await this.portals.replacePortalRoom(conversation, roomId, lost.errcode ?? String(lost.status)), rejoined: false };
    }
    return { roomId, rejoined: true };
  }

  /**
   * The homeserver refuses the message as too large (retrying will not change that): the room is told,
   * and the message fails with that reason.
   */
  private async tooLarge(message: OutboxMessage, roomId: string, err: MatrixError): Promise<never> {
    const client = await this.ctx.matrix();
    const person = await this.ctx.models.Person.findById(message.person);
    const name = person ? await this.directory.labelOf(person) : '?';
    const body = this.ctx.i18n.t(this.ctx.staffLanguage, 'room.messageTooLarge', { name });
    await client.sendEvent(roomId, 'm.room.message', noticeContent({ body }) as unknown as Record<string, unknown>, `lien-too-large-${String(message._id)}`);
    throw new DeliveryError(err.message, { permanent: true, code: TOO_LARGE });
  }

  /** An MMS attachment: fetched from the carrier, uploaded, posted; a notice when it cannot be fetched. */
  private async postMedia(roomId: string, txn: string, media: { url: string; contentType: string }, personId: unknown): Promise<void> {
    const client = await this.ctx.matrix();
    const person = await this.ctx.models.Person.findById(personId);
    const name = person ? await this.directory.labelOf(person) : '?';
    try {
      if (!this.fetchMedia) throw new Error('no media fetcher');
      const file = await this.fetchMedia(media.url);
      // In an encrypted room the file is encrypted too, and the event carries its key (`file`).
      const where = await client.attachmentContent(roomId, file.data, file.contentType, 'piece-jointe');
      const msgtype = file.contentType.startsWith('image/') ? 'm.image' : file.contentType.startsWith('audio/') ? 'm.audio' : file.contentType.startsWith('video/') ? 'm.video' : 'm.file';
      await client.sendEvent(roomId, 'm.room.message', { msgtype, body: this.ctx.i18n.t(this.ctx.staffLanguage, 'room.inboundMedia', { name }), ...where, info: { mimetype: file.contentType, size: file.data.byteLength } }, txn);
    } catch (err) {
      if (err instanceof MatrixError || err instanceof HomeserverUnreachableError) throw err;
      this.ctx.logger.warn({ reason: (err as Error).message }, 'could not fetch inbound media');
      await client.sendEvent(roomId, 'm.room.message', noticeContent({ body: this.ctx.i18n.t(this.ctx.staffLanguage, 'room.inboundMediaFailed', { name }) }) as unknown as Record<string, unknown>, txn);
    }
  }
}

export class PhoneDeliverer implements Deliverer {
  constructor(
    private readonly ctx: RoutingContext,
    private readonly directory: Directory,
    private readonly sender: SmsSender,
  ) {}

  async deliver(message: OutboxMessage): Promise<{ twilioSid: string }> {
    const person = await this.ctx.models.Person.findById(message.person);
    if (!person) throw new DeliveryError('the person of this message no longer exists', { permanent: true, code: 'orphan' });
    // Nothing but the confirmation of their STOP reaches a person who said STOP: not a worker's reply, a
    // reminder, an acknowledgement or any other notice queued before they did. Withheld, not failed.
    if (person.optedOut && !message.confirmsOptOut) throw new DeliveryError('opted_out', { permanent: true, code: '21610', withheld: true });
    const body = message.bodySealed ? this.ctx.cipher.decrypt(message.bodySealed) : '';
    const { sid } = await this.sender.send({ to: this.directory.phoneOf(person), body, statusCallback: this.ctx.statusCallbackUrl() });
    return { twilioSid: sid };
  }
}
