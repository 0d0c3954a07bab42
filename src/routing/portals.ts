/**
 * The rooms on the homeserver: one space per team, one triage room per team for unknown numbers, one
 * portal room per person, each created on first need and exactly once, even with several processes.
 */
import { noticeContent } from '../channels/matrix/messages.js';
import { RoomProvisioner, RoomSetupError, type PortalRoomOptions } from '../channels/matrix/rooms.js';
import type { ConversationDocument, PersonDocument, TeamDocument } from '../store/models/index.js';
import { DeliveryError } from '../outbox/outbox.js';
import type { RoutingContext } from './context.js';
import { createOnce } from './create-once.js';
import type { Directory } from './directory.js';


export class Portals {
  constructor(
    private readonly ctx: RoutingContext,
    private readonly directory: Directory,
  ) {}

  /** One provisioner per login (it remembers the homeserver's default room version). */
  private cached: { client: unknown; rooms: RoomProvisioner } | undefined;

  private async provisioner(): Promise<RoomProvisioner> {
    const client = await this.ctx.matrix();
    const bot = this.ctx.botUserId();
    if (!bot) throw new DeliveryError('not logged in to the homeserver yet', { permanent: false });
    if (this.cached?.client !== client) this.cached = { client, rooms: new RoomProvisioner(client, bot) };
    return this.cached.rooms;
  }

  /** A room created but not filed in its space is still the room: keep it rather than make another. */
  private async createRoom(rooms: RoomProvisioner, opts: PortalRoomOptions): Promise<string> {
    try {
      return await rooms.createPortalRoom({ ...(this.ctx.roomRetentionMs ? { retentionMs: this.ctx.roomRetentionMs } : {}), ...opts });
    } catch (err) {
      if (!(err instanceof RoomSetupError)) throw err;
      this.ctx.logger.warn({ roomId: err.roomId, reason: err.message }, 'room created but not filed in its space');
      return err.roomId;
    }
  }

  private async teamWorkers(teamId: TeamDocument['_id']): Promise<string[]> {
    const workers = await this.ctx.models.Worker.find({ team: teamId, active: true }, { matrixUserId: 1 }).lean();
    return workers.map((w) => w.matrixUserId);
  }

  /** Creates something once: the claim's winner creates and records it; the others retry later. */
  private once(key: string, read: () => Promise<string | null | undefined>, create: () => Promise<string>): Promise<string> {
    return createOnce(this.ctx.claims, key, read, create);
  }

  async teamSpace(team: TeamDocument): Promise<string> {
    return this.once(
      `space:${String(team._id)}`,
      async () => (await this.ctx.models.Team.findById(team._id, { matrixSpaceId: 1 }).lean())?.matrixSpaceId,
      async () => {
        const rooms = await this.provisioner();
        const spaceId = await rooms.createSpace({
          name: `Lien – ${team.name}`,
          topic: this.ctx.i18n.t(this.ctx.staffLanguage, 'room.spaceTopic', { team: team.name }),
          invite: await this.teamWorkers(team._id),
          federate: team.settings?.allowFederation === true,
        });
        await this.ctx.models.Team.updateOne({ _id: team._id }, { $set: { matrixSpaceId: spaceId } });
        await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'room.space_created', subject: { kind: 'team', id: String(team._id) }, details: { roomId: spaceId } });
        return spaceId;
      },
    );
  }

  async triageRoom(team: TeamDocument): Promise<string> {
    return this.once(
      `triage:${String(team._id)}`,
      async () => (await this.ctx.models.Team.findById(team._id, { triageRoomId: 1 }).lean())?.triageRoomId,
      async () => {
        const rooms = await this.provisioner();
        const t = (key: string) => this.ctx.i18n.t(this.ctx.staffLanguage, key, { prefix: this.ctx.commandPrefix });
        const roomId = await this.createRoom(rooms, {
          name: t('room.triageName'),
          topic: t('room.triageTopic'),
          invite: await this.teamWorkers(team._id),
          spaceId: await this.teamSpace(team),
          encrypted: team.settings?.encryptRooms !== false,
          historyVisibility: 'shared',
          federate: team.settings?.allowFederation === true,
        });
        await this.ctx.models.Team.updateOne({ _id: team._id }, { $set: { triageRoomId: roomId } });
        await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'room.triage_created', subject: { kind: 'team', id: String(team._id) }, details: { roomId } });
        return roomId;
      },
    );
  }

  /** The room a conversation's messages go to: the person's portal room, or triage for an unknown number. */
  async roomFor(conversation: ConversationDocument): Promise<string> {
    if (conversation.matrixRoomId) return conversation.matrixRoomId;
    const person = await this.ctx.models.Person.findById(conversation.person);
    const team = await this.ctx.models.Team.findById(conversation.team);
    if (!person || !team) throw new DeliveryError('the conversation has no person or team any more', { permanent: true, code: 'orphan' });
    if (person.triage) return this.triageRoom(team);
    return this.once(
      `portal:${String(conversation._id)}`,
      async () => (await this.ctx.models.Conversation.findById(conversation._id, { matrixRoomId: 1 }).lean())?.matrixRoomId,
      () => this.createPortalRoom(conversation, person, team),
    );
  }

  /**
   * A new portal room for a conversation whose room Lien can no longer post in (removed from it and not
   * let back in, or the room is gone): made once for that lost room, whichever process sees it first.
   * The claim names the lost room, not just the conversation: `portal:<conversation>` stays held by the
   * first creation. The team is told in the new room why it is there.
   */
  async replacePortalRoom(conversation: ConversationDocument, lostRoomId: string, reason: string): Promise<string> {
    const person = await this.ctx.models.Person.findById(conversation.person);
    const team = await this.ctx.models.Team.findById(conversation.team);
    if (!person || !team) throw new DeliveryError('the conversation has no person or team any more', { permanent: true, code: 'orphan' });
    const current = async () => {
      const roomId = (await this.ctx.models.Conversation.findById(conversation._id, { matrixRoomId: 1 }).lean())?.matrixRoomId;
      return roomId && roomId !== lostRoomId ? roomId : null;
    };
    return this.once(`portal:${String(conversation._id)}:after:${lostRoomId}`, current, async () => {
      // The conversation keeps naming the lost room until the new one is made: should making it fail,
      // the next attempt finds the room lost again and tries again, rather than wait on `portal:<conversation>`.
      const roomId = await this.createPortalRoom(conversation, person, team);
      await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'room.portal_replaced', subject: { kind: 'person', id: String(person._id) }, conversation: conversation._id, details: { lostRoomId, roomId, reason } });
      const client = await this.ctx.matrix();
      const body = this.ctx.i18n.t(this.ctx.staffLanguage, 'room.portalReplaced', { name: await this.directory.labelOf(person) });
      // The room is made and recorded: a notice that cannot be posted does not keep the message out of it.
      await client.sendEvent(roomId, 'm.room.message', noticeContent({ body }) as unknown as Record<string, unknown>, `lien-replaced-${roomId}`).catch((err: unknown) => {
        this.ctx.logger.warn({ roomId, reason: (err as Error).message }, 'the notice of a replaced portal room was not posted');
      });
      return roomId;
    });
  }

  private async createPortalRoom(conversation: ConversationDocument, person: PersonDocument, team: TeamDocument): Promise<string> {
    const rooms = await this.provisioner();
    const label = await this.directory.labelOf(person);
    const roomId = await this.createRoom(rooms, {
      name: label,
      topic: this.ctx.i18n.t(this.ctx.staffLanguage, 'room.roomTopic', { name: label }),
      invite: await this.teamWorkers(team._id),
      spaceId: await this.teamSpace(team),
      // End-to-end encrypted unless the team chose otherwise (e.g. a homeserver whose clients cannot decrypt).
      encrypted: team.settings?.encryptRooms !== false,
      historyVisibility: 'shared',
      // Accounts of other homeservers cannot enter unless the team allows it (fixed at creation).
      federate: team.settings?.allowFederation === true,
    });
    await this.ctx.models.Conversation.updateOne({ _id: conversation._id }, { $set: { matrixRoomId: roomId } });
    await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'room.portal_created', subject: { kind: 'person', id: String(person._id) }, conversation: conversation._id, details: { roomId } });
    return roomId;
  }
}
