/**
 * What workers write in the rooms: a text in a portal room becomes an SMS to the person (once, even if
 * the homeserver replays it); commands are run; what cannot become an SMS (an image, an edit, a
 * redaction, a reply to someone who said STOP) gets a notice that says so.
 */
import { noticeContent, parseRoomMessage } from '../channels/matrix/messages.js';
import type { RoomEvent, RoomEventHandler } from '../channels/matrix/types.js';
import { formatClock, localTime } from '../domain/office-hours.js';
import { decide, standingOf } from '../domain/permissions.js';
import type { TeamDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';
import { RoomCommands } from './commands.js';
import { Directory } from './directory.js';
import { Membership } from './membership.js';
import { MessageStore } from './messages.js';
import type { Portals } from './portals.js';

export class RoomEventsHandler implements RoomEventHandler {
  private readonly directory: Directory;
  private readonly messages: MessageStore;
  private readonly commands: RoomCommands;
  private readonly membership: Membership;

  constructor(
    private readonly ctx: RoutingContext,
    portals: Portals,
  ) {
    this.membership = new Membership(ctx);
    this.directory = new Directory(ctx);
    this.messages = new MessageStore(ctx);
    this.commands = new RoomCommands(ctx, this.directory, portals);
  }

  private async notice(event: RoomEvent, key: string, vars: Record<string, string> = {}): Promise<void> {
    const client = await this.ctx.matrix();
    const body = this.ctx.i18n.t(this.ctx.staffLanguage, key, { prefix: this.ctx.commandPrefix, ...vars });
    await client.sendEvent(event.roomId, 'm.room.message', noticeContent({ body }) as unknown as Record<string, unknown>, `lien-notice-${event.eventId}`);
  }

  async onRoomEvent(event: RoomEvent): Promise<void> {
    if (event.sender === this.ctx.botUserId()) return; // our own echo
    if (event.type === 'm.room.redaction') return this.onRedaction(event);
    if (event.type === 'm.room.member') return this.onMember(event);
    if (event.type !== 'm.room.message') return;

    const conversation = await this.ctx.models.Conversation.findOne({ matrixRoomId: event.roomId });
    const team = conversation ? await this.ctx.models.Team.findById(conversation.team) : await this.ctx.models.Team.findOne({ triageRoomId: event.roomId });
    if (!team) return; // not a room of Lien's
    const triageTeam = conversation ? null : team;

    const parsed = parseRoomMessage(event);
    if (parsed.kind === 'notice' || parsed.kind === 'other') return; // bots talking, or nothing to relay
    const text = (parsed.body ?? '').trim();
    if (parsed.kind === 'text' && text.startsWith(this.ctx.commandPrefix)) {
      await this.commands.run({ event, text: text.slice(this.ctx.commandPrefix.length), conversation, team });
      return;
    }
    if (parsed.kind !== 'edit' && !(await this.mayReply(event, team, conversation?._id ?? null))) return;
    if (parsed.kind === 'edit') {
      if (parsed.replacesEventId && (await this.ctx.models.Message.exists({ matrixEventId: parsed.replacesEventId, direction: 'outbound' }))) {
        await this.notice(event, 'room.editNotPossible');
      }
      return;
    }
    if (!conversation || triageTeam) {
      await this.notice(event, 'room.replyInTriage');
      return;
    }
    const person = await this.ctx.models.Person.findById(conversation.person);
    if (!person) return;
    if (person.triage) {
      await this.notice(event, 'room.replyInTriage');
      return;
    }
    if (parsed.kind === 'media') {
      await this.notice(event, 'room.mediaNotSent');
      return;
    }
    if (!text) return;
    if (person.optedOut) {
      await this.ctx.audit.append({ actor: { kind: 'worker', id: event.sender }, action: 'sms.blocked_opted_out', subject: { kind: 'person', id: String(person._id) }, conversation: conversation._id, details: {} });
      await this.notice(event, 'room.replyBlockedOptedOut', { name: await this.directory.labelOf(person) });
      return;
    }
    const parts = await this.messages.queueSms({ keyPrefix: `matrix:${event.eventId}`, conversation: conversation._id, person: person._id, body: text, author: event.sender, matrixEventId: event.eventId });
    if (parts.every((p) => p.duplicate)) return; // a replayed event: already on its way
    await this.ctx.models.Conversation.updateOne({ _id: conversation._id }, { $set: { waitingSince: null, lastOutboundAt: new Date() } });
    await this.ctx.audit.append({ actor: { kind: 'worker', id: event.sender }, action: 'sms.reply_queued', subject: { kind: 'event', id: event.eventId }, conversation: conversation._id, details: { parts: parts.length } });
  }

  /**
   * Only the team's active workers (and its managers and admins) write to the people it follows
   * (domain/permissions.ts): anyone else's text gets a notice saying why, is audited, and goes nowhere.
   */
  private async mayReply(event: RoomEvent, team: TeamDocument, conversation: TeamDocument['_id'] | null): Promise<boolean> {
    const worker = await this.ctx.models.Worker.findOne({ matrixUserId: event.sender }, { team: 1, role: 1, active: 1, displayName: 1 }).lean();
    const standing = standingOf(worker, team._id);
    const decision = decide(standing, 'reply');
    if (decision.allowed) return true;
    await this.ctx.audit.append({ actor: { kind: 'worker', id: worker ? String(worker._id) : null }, action: 'sms.reply_refused', subject: { kind: 'event', id: event.eventId }, conversation, details: { standing } });
    await this.notice(event, `access.reply.${decision.reason}`, { sender: worker?.displayName ?? event.sender, team: team.name });
    return false;
  }

  /**
   * A worker's encrypted message Lien could not decrypt, even after waiting for its keys: nothing goes
   * out by SMS, and the room is told so that the worker sends it again.
   */
  async onUndecryptable(event: RoomEvent, code: string): Promise<void> {
    const conversation = await this.ctx.models.Conversation.findOne({ matrixRoomId: event.roomId }, { _id: 1, team: 1 }).lean();
    const team = conversation ? await this.ctx.models.Team.findById(conversation.team, { timezone: 1 }).lean() : null;
    const at = localTime(new Date(event.originServerTs), team?.timezone ?? 'Europe/Paris');
    const time = formatClock(at.minutes);
    const sender = (await this.directory.workerByMatrixId(event.sender))?.displayName ?? event.sender;
    await this.notice(event, 'crypto.undecryptable', { sender, time });
    await this.ctx.audit.append({ actor: { kind: 'worker', id: event.sender }, action: 'matrix.undecryptable', subject: { kind: 'event', id: event.eventId }, conversation: conversation?._id ?? null, details: { code } });
  }

  /**
   * Someone joined a portal room without Lien having invited them (a colleague added later): the
   * room keys of before were shared with the members of then, so they are told how to read back.
   */
  private async onMember(event: RoomEvent): Promise<void> {
    // Anyone arriving who may not be in the team's rooms (invited by someone else, or joining) is removed at once.
    if (event.stateKey && typeof event.content.membership === 'string' && (await this.membership.onMemberEvent(event.roomId, event.stateKey, event.content.membership))) return;
    if (event.content.membership !== 'join' || event.stateKey !== event.sender) return;
    const prev = event.unsigned?.prev_content as { membership?: string } | undefined;
    if (prev?.membership === 'join') return; // a profile change, not an arrival
    if (prev?.membership === 'invite' && event.unsigned?.prev_sender === this.ctx.botUserId()) return; // invited by Lien: had the keys all along
    const conversation = await this.ctx.models.Conversation.findOne({ matrixRoomId: event.roomId }, { _id: 1 }).lean();
    if (!conversation) return;
    const earlier = await this.ctx.models.Message.exists({ conversation: conversation._id, channel: 'sms', receivedAt: { $lt: new Date(event.originServerTs) } });
    if (!earlier) return;
    const client = await this.ctx.matrix();
    const name = (await this.directory.workerByMatrixId(event.sender))?.displayName ?? event.sender;
    const body = this.ctx.i18n.t(this.ctx.staffLanguage, 'crypto.newcomer', { name, prefix: this.ctx.commandPrefix });
    await client.sendEvent(event.roomId, 'm.room.message', noticeContent({ body }) as unknown as Record<string, unknown>, `lien-newcomer-${event.eventId}`);
  }

  private async onRedaction(event: RoomEvent): Promise<void> {
    if (!event.redacts) return;
    const relayed = await this.ctx.models.Message.findOne({ matrixEventId: event.redacts, direction: 'outbound', 'delivery.status': { $in: ['sent', 'delivered'] } }, { _id: 1 }).lean();
    if (relayed) await this.notice(event, 'room.redactNotPossible');
  }
}
