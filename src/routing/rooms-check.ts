/**
 * `npm run admin -- rooms:check [--fix]`: how each team room (space, triage room, portal rooms) differs
 * from what Lien makes today — federation, power levels, members against the team's active workers,
 * encryption — and, with --fix, the repair of what can be repaired here (power levels). `m.federate` is
 * fixed when a room is created and cannot change: a room that federates is reported, never "fixed".
 * Members are repaired by the running Lien (its membership check, which the CLI schedules), because the
 * removal notices must go out encrypted, through Lien's own device.
 */
import { MatrixError, type MatrixClient } from '../channels/matrix/client.js';
import { RoomProvisioner } from '../channels/matrix/rooms.js';
import { decide, standingOf } from '../domain/permissions.js';
import type { Models, TeamDocument } from '../store/models/index.js';

export interface RoomFinding {
  team: string;
  kind: 'space' | 'triage' | 'portal';
  roomId: string;
  /** One line per difference; empty when the room is as Lien makes it. */
  differences: string[];
  /** What --fix repaired in it. */
  fixed: string[];
}

export class RoomsCheck {
  private readonly rooms: RoomProvisioner;

  constructor(
    private readonly client: MatrixClient,
    private readonly botUserId: string,
    private readonly models: Models,
  ) {
    this.rooms = new RoomProvisioner(client, botUserId);
  }

  async run(opts: { fix: boolean }): Promise<RoomFinding[]> {
    const findings: RoomFinding[] = [];
    for (const team of await this.models.Team.find().sort({ slug: 1 })) {
      const rooms: Array<{ kind: RoomFinding['kind']; roomId: string }> = [];
      if (team.matrixSpaceId) rooms.push({ kind: 'space', roomId: team.matrixSpaceId });
      if (team.triageRoomId) rooms.push({ kind: 'triage', roomId: team.triageRoomId });
      for (const c of await this.models.Conversation.find({ team: team._id, matrixRoomId: { $ne: null } }, { matrixRoomId: 1 }).lean()) {
        if (c.matrixRoomId) rooms.push({ kind: 'portal', roomId: c.matrixRoomId });
      }
      for (const room of rooms) findings.push(await this.check(team, room.kind, room.roomId, opts.fix));
    }
    return findings;
  }

  private async check(team: TeamDocument, kind: RoomFinding['kind'], roomId: string, fix: boolean): Promise<RoomFinding> {
    const finding: RoomFinding = { team: team.slug, kind, roomId, differences: [], fixed: [] };
    try {
      if ((await this.rooms.federates(roomId)) && team.settings?.allowFederation !== true) {
        finding.differences.push('federates (m.federate is fixed at creation and cannot be changed: make a new room to stop it)');
      }
      const drift = await this.rooms.powerLevelDrift(roomId);
      finding.differences.push(...drift.map((d) => `power levels: ${d}`));
      if (fix && drift.length > 0) {
        await this.rooms.repairPowerLevels(roomId);
        finding.fixed.push('power levels');
      }
      const members = await this.client.members(roomId);
      const workers = await this.models.Worker.find({ team: team._id, active: true }, { matrixUserId: 1 }).lean();
      for (const w of workers) {
        const m = members.get(w.matrixUserId);
        if (w.matrixUserId !== this.botUserId && m !== 'join' && m !== 'invite') finding.differences.push(`members: ${w.matrixUserId} (active worker) is not in the room`);
      }
      for (const [userId, m] of members) {
        if (userId === this.botUserId || (m !== 'join' && m !== 'invite')) continue;
        const worker = await this.models.Worker.findOne({ matrixUserId: userId }, { team: 1, role: 1, active: 1 }).lean();
        const standing = standingOf(worker, team._id);
        if (!decide(standing, 'member').allowed) finding.differences.push(`members: ${userId} (${standing}) is in the room (${m})`);
      }
      if (kind !== 'space') {
        const encrypted = await this.client.getStateEvent(roomId, 'm.room.encryption').then(
          () => true,
          (err: unknown) => {
            if (err instanceof MatrixError && err.status === 404) return false;
            throw err;
          },
        );
        const wanted = team.settings?.encryptRooms !== false;
        if (wanted && !encrypted) finding.differences.push('not end-to-end encrypted (the team asks for encrypted rooms)');
      }
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      finding.differences.push(`cannot be read: ${err.message}`);
    }
    return finding;
  }
}

/** The report, one line per room and one indented line per difference. */
export function formatRoomFindings(findings: RoomFinding[], fixed: boolean): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.team} ${f.kind} ${f.roomId}: ${f.differences.length === 0 ? 'as it should be' : `${f.differences.length} difference(s)`}`);
    for (const d of f.differences) lines.push(`  - ${d}`);
    if (f.fixed.length > 0) lines.push(`  fixed: ${f.fixed.join(', ')}`);
  }
  const differing = findings.filter((f) => f.differences.length > 0).length;
  lines.push(`${findings.length} room(s) checked, ${differing} differ${fixed ? '; members are put right by the running Lien (membership check scheduled)' : ''}`);
  return lines.join('\n');
}
