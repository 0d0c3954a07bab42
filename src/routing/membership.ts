/**
 * The members of a team's rooms (its space, its triage room, every portal room of its people) are the
 * team's active workers, and no one else: Lien invites the workers who are missing (a new or
 * reactivated worker, one moved in from another team), and removes everyone else (a deactivated worker,
 * one moved to another team, anyone who joined or was invited by someone other than Lien), saying so in
 * the room. Run for one room when the sync shows someone arriving, for a team when its workers change
 * (admin CLI), and for every team periodically, so that changes made straight in the database converge.
 * Removing a member changes the room's member list, so the next message is encrypted with a new room key.
 */
import { MatrixError } from '../channels/matrix/client.js';
import { noticeContent } from '../channels/matrix/messages.js';
import { RoomProvisioner, WORKER_POWER_LEVEL } from '../channels/matrix/rooms.js';
import { decide, standingOf, type Standing } from '../domain/permissions.js';
import type { Types } from 'mongoose';
import type { TeamDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';

export const MEMBERSHIP_CHECK_JOB = 'rooms.membershipCheck';

export type TeamRoomKind = 'space' | 'triage' | 'portal';

export interface TeamRoom {
  roomId: string;
  kind: TeamRoomKind;
  team: TeamDocument;
  /** The portal room's conversation. */
  conversationId?: Types.ObjectId;
}

export interface RoomMembershipReport {
  roomId: string;
  kind: TeamRoomKind;
  invited: string[];
  removed: string[];
}

export class Membership {
  constructor(private readonly ctx: RoutingContext) {}

  /** Which team's room this is, and what kind; null for a room that is not one of Lien's. */
  async roomOf(roomId: string): Promise<TeamRoom | null> {
    const { Conversation, Team } = this.ctx.models;
    const conversation = await Conversation.findOne({ matrixRoomId: roomId }, { _id: 1, team: 1 }).lean();
    if (conversation) {
      const team = await Team.findById(conversation.team);
      return team ? { roomId, kind: 'portal', team, conversationId: conversation._id } : null;
    }
    const team = await Team.findOne({ $or: [{ triageRoomId: roomId }, { matrixSpaceId: roomId }] });
    if (!team) return null;
    return { roomId, kind: team.triageRoomId === roomId ? 'triage' : 'space', team };
  }

  /** Every room of the team that exists on the homeserver. */
  async roomsOf(team: TeamDocument): Promise<TeamRoom[]> {
    const rooms: TeamRoom[] = [];
    if (team.matrixSpaceId) rooms.push({ roomId: team.matrixSpaceId, kind: 'space', team });
    if (team.triageRoomId) rooms.push({ roomId: team.triageRoomId, kind: 'triage', team });
    const conversations = await this.ctx.models.Conversation.find({ team: team._id, matrixRoomId: { $ne: null } }, { _id: 1, matrixRoomId: 1 }).lean();
    for (const c of conversations) if (c.matrixRoomId) rooms.push({ roomId: c.matrixRoomId, kind: 'portal', team, conversationId: c._id });
    return rooms;
  }

  /** Where this account stands towards the team (permissions.ts): 'stranger' for an account Lien does not know. */
  async standing(userId: string, team: TeamDocument): Promise<Standing> {
    const worker = await this.ctx.models.Worker.findOne({ matrixUserId: userId }, { team: 1, role: 1, active: 1 }).lean();
    return standingOf(worker, team._id);
  }

  /**
   * Someone's membership changed in a room (the sync saw it): an arrival (join or invitation) of anyone
   * who may not be there is undone, with a notice. Returns whether they were removed.
   */
  async onMemberEvent(roomId: string, userId: string, membership: string): Promise<boolean> {
    if (membership !== 'join' && membership !== 'invite') return false;
    if (userId === this.ctx.botUserId()) return false;
    const room = await this.roomOf(roomId);
    if (!room) return false;
    const standing = await this.standing(userId, room.team);
    if (decide(standing, 'member').allowed) return false;
    await this.remove(room, userId, standing);
    return true;
  }

  /** Makes one room's members the team's active workers; returns who was invited and who removed. */
  async reconcileRoom(room: TeamRoom): Promise<RoomMembershipReport> {
    const client = await this.ctx.matrix();
    const bot = this.ctx.botUserId();
    const members = await client.members(room.roomId);
    const workers = await this.ctx.models.Worker.find({ team: room.team._id, active: true }, { matrixUserId: 1, displayName: 1, role: 1 }).lean();
    const report: RoomMembershipReport = { roomId: room.roomId, kind: room.kind, invited: [], removed: [] };
    for (const [userId, membership] of members) {
      if (userId === bot || (membership !== 'join' && membership !== 'invite')) continue;
      const standing = await this.standing(userId, room.team);
      if (decide(standing, 'member').allowed) continue;
      await this.remove(room, userId, standing);
      report.removed.push(userId);
    }
    const missing = workers.filter((w) => w.matrixUserId !== bot && !['join', 'invite'].includes(members.get(w.matrixUserId) ?? ''));
    if (missing.length > 0) {
      const rooms = new RoomProvisioner(client, bot ?? '');
      for (const w of missing) {
        try {
          await rooms.inviteMembers(room.roomId, [w.matrixUserId]);
        } catch (err) {
          // A banned account or an unknown user: reported, and the other workers are still invited.
          this.ctx.logger.warn({ roomId: room.roomId, reason: (err as Error).message }, 'a worker could not be invited to a team room');
          continue;
        }
        report.invited.push(w.matrixUserId);
        await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'room.member_invited', subject: { kind: 'room', id: room.roomId }, conversation: room.conversationId ?? null, details: { worker: String(w._id) } });
      }
      await rooms.setPowerLevels(room.roomId, Object.fromEntries(missing.map((w) => [w.matrixUserId, WORKER_POWER_LEVEL]))).catch((err: unknown) => {
        this.ctx.logger.warn({ roomId: room.roomId, reason: (err as Error).message }, 'power levels of newly invited workers not set');
      });
      if (room.kind === 'portal' && report.invited.length > 0) await this.tellNewcomers(room, workers.filter((w) => report.invited.includes(w.matrixUserId)));
    }
    return report;
  }

  /** Every room of one team. */
  async reconcileTeam(team: TeamDocument): Promise<RoomMembershipReport[]> {
    const reports: RoomMembershipReport[] = [];
    for (const room of await this.roomsOf(team)) {
      try {
        reports.push(await this.reconcileRoom(room));
      } catch (err) {
        if (!(err instanceof MatrixError)) throw err;
        // A room Lien was removed from, or that is gone: the others are still checked.
        this.ctx.logger.warn({ roomId: room.roomId, reason: err.message }, 'team room membership not checked');
      }
    }
    return reports;
  }

  /** Every team's rooms (the periodic check). */
  async reconcileAll(): Promise<{ invited: number; removed: number }> {
    let invited = 0;
    let removed = 0;
    for (const team of await this.ctx.models.Team.find()) {
      for (const r of await this.reconcileTeam(team)) {
        invited += r.invited.length;
        removed += r.removed.length;
      }
    }
    return { invited, removed };
  }

  private async remove(room: TeamRoom, userId: string, standing: Standing): Promise<void> {
    const client = await this.ctx.matrix();
    const t = (key: string, vars: Record<string, string>) => this.ctx.i18n.t(this.ctx.staffLanguage, key, { prefix: this.ctx.commandPrefix, ...vars });
    const worker = await this.ctx.models.Worker.findOne({ matrixUserId: userId }, { displayName: 1 }).lean();
    const name = worker?.displayName ?? userId;
    const text = t('access.removed', { name, team: room.team.name });
    try {
      await client.kick(room.roomId, userId, text);
    } catch (err) {
      // Gone already (left, or removed by another check a moment ago): nothing to undo.
      if (err instanceof MatrixError && (err.status === 403 || err.status === 404)) {
        const now = (await client.members(room.roomId)).get(userId);
        if (now !== 'join' && now !== 'invite') return;
      }
      throw err;
    }
    await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'room.member_removed', subject: { kind: 'room', id: room.roomId }, conversation: room.conversationId ?? null, details: { standing, ...(worker ? { worker: String(worker._id) } : {}) } });
    // The space takes no messages (only the bot could post there, and nobody reads it as a conversation).
    if (room.kind !== 'space') {
      await client.sendEvent(room.roomId, 'm.room.message', noticeContent({ body: text }) as unknown as Record<string, unknown>, `lien-removed-${room.roomId}-${userId}-${Date.now()}`);
    }
  }

  /**
   * Workers invited to a portal room that already has SMS: what came before was encrypted for the
   * members of then, so they are told how to read it back (as a worker joining on a colleague's
   * invitation is, see room-events.ts).
   */
  private async tellNewcomers(room: TeamRoom, newcomers: Array<{ displayName: string; matrixUserId: string }>): Promise<void> {
    if (!room.conversationId) return;
    const earlier = await this.ctx.models.Message.exists({ conversation: room.conversationId, channel: 'sms' });
    if (!earlier) return;
    const client = await this.ctx.matrix();
    for (const w of newcomers) {
      const body = this.ctx.i18n.t(this.ctx.staffLanguage, 'crypto.newcomer', { name: w.displayName, prefix: this.ctx.commandPrefix });
      await client.sendEvent(room.roomId, 'm.room.message', noticeContent({ body }) as unknown as Record<string, unknown>, `lien-newcomer-${room.roomId}-${w.matrixUserId}-${Date.now()}`);
    }
  }
}
