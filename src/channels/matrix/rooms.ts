/**
 * The rooms Lien sets up on the homeserver: a space per team or service, and in it a private "portal"
 * room per accompanied person, where the workers following that person read and answer their SMS.
 *
 * Only the bot holds power level 100 (room name, power levels, encryption, invitations, kicks and every
 * other state event need it), so that the bridge's view of a room cannot be changed under it: only Lien
 * invites, and only the team's active workers (routing/membership.ts). The workers get 50: they can
 * talk, react and redact their own messages. Rooms do not federate unless the team allows it
 * (`m.federate`, fixed at creation).
 */
import { MatrixError, type CreateRoomBody, type MatrixClient } from './client.js';

export const BOT_POWER_LEVEL = 100;
export const WORKER_POWER_LEVEL = 50;

export type HistoryVisibility = 'shared' | 'invited' | 'joined';

export interface PortalRoomOptions {
  name: string;
  topic?: string;
  /** The workers to invite (power level 50). */
  invite: string[];
  /** The space to file the room under. */
  spaceId?: string;
  encrypted: boolean;
  /** Who may read the room's history: 'shared' lets a worker added later read what came before. */
  historyVisibility?: HistoryVisibility;
  /** Let accounts of other homeservers in (`m.federate`, which cannot change after creation); false unless given. */
  federate?: boolean;
  /**
   * How long the homeserver may keep the room's events, in ms (`m.room.retention` max_lifetime): a
   * homeserver with retention enabled purges them after that, as Lien erases its own copy.
   */
  retentionMs?: number;
}

/** The room was created but setting it up afterwards failed; `roomId` says which room, so as not to create another. */
export class RoomSetupError extends Error {
  constructor(
    readonly roomId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RoomSetupError';
  }
}

/** State events that only the bot may send (all others too: state_default is 100). */
const BOT_ONLY_EVENTS = [
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.power_levels',
  'm.room.history_visibility',
  'm.room.join_rules',
  'm.room.guest_access',
  'm.room.canonical_alias',
  'm.room.encryption',
  'm.room.tombstone',
  'm.room.server_acl',
  'm.space.parent',
  'm.space.child',
];

export class RoomProvisioner {
  /** The bot's server name, given as `via` in space links. */
  readonly serverName: string;
  private defaultRoomVersion: Promise<string | undefined> | undefined;

  constructor(
    private readonly client: MatrixClient,
    readonly botUserId: string,
  ) {
    const colon = botUserId.indexOf(':');
    if (!botUserId.startsWith('@') || colon < 0) throw new Error(`not a Matrix user id: ${botUserId}`);
    this.serverName = botUserId.slice(colon + 1);
  }

  /** A private space (invite only); `invite` get power level 50 in it (they can read it, not file rooms nor invite). */
  async createSpace(opts: { name: string; topic?: string; invite?: string[]; federate?: boolean }): Promise<string> {
    return this.createPrivateRoom({
      name: opts.name,
      topic: opts.topic,
      invite: opts.invite ?? [],
      extra: { creation_content: { type: 'm.space', 'm.federate': opts.federate ?? false } },
      initialState: [],
      eventsDefault: BOT_POWER_LEVEL,
    });
  }

  /** What spaces and portal rooms share: private, not a DM, guests kept out, the workers at 50, the bot administering. */
  private async createPrivateRoom(opts: {
    name: string;
    topic: string | undefined;
    invite: string[];
    initialState: NonNullable<CreateRoomBody['initial_state']>;
    eventsDefault: number;
    extra?: Partial<CreateRoomBody>;
  }): Promise<string> {
    const invite = opts.invite.filter((u) => u !== this.botUserId);
    return this.client.createRoom({
      name: opts.name,
      ...(opts.topic !== undefined ? { topic: opts.topic } : {}),
      preset: 'private_chat',
      visibility: 'private',
      is_direct: false,
      invite,
      ...opts.extra,
      initial_state: [{ type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } }, ...opts.initialState],
      power_level_content_override: await this.powerLevels(invite, { eventsDefault: opts.eventsDefault }),
    });
  }

  /**
   * A private group room (not a DM) for one person, with the workers invited; filed under `spaceId`
   * when given (`m.space.child` in the space, `m.space.parent` in the room).
   */
  async createPortalRoom(opts: PortalRoomOptions): Promise<string> {
    const initialState: NonNullable<CreateRoomBody['initial_state']> = [
      { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: opts.historyVisibility ?? 'shared' } },
    ];
    if (opts.encrypted) initialState.push({ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } });
    if (opts.retentionMs) initialState.push({ type: 'm.room.retention', state_key: '', content: { max_lifetime: opts.retentionMs } });
    if (opts.spaceId) initialState.push({ type: 'm.space.parent', state_key: opts.spaceId, content: { via: [this.serverName], canonical: true } });
    const roomId = await this.createPrivateRoom({
      name: opts.name,
      topic: opts.topic,
      invite: opts.invite,
      initialState,
      eventsDefault: 0,
      extra: { creation_content: { 'm.federate': opts.federate ?? false } },
    });
    if (opts.spaceId) {
      try {
        await this.addToSpace(opts.spaceId, roomId);
      } catch (err) {
        throw new RoomSetupError(roomId, `room ${roomId} was created but could not be added to space ${opts.spaceId}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return roomId;
  }

  /** Files a room under a space (the space's side of the link: `m.space.child`). */
  async addToSpace(spaceId: string, roomId: string): Promise<void> {
    await this.client.sendStateEvent(spaceId, 'm.space.child', roomId, { via: [this.serverName] });
  }

  /** Invites each user; one who is already in the room, or already invited, is left as they are. */
  async inviteMembers(roomId: string, userIds: string[]): Promise<void> {
    for (const userId of userIds) {
      if (userId === this.botUserId) continue;
      try {
        await this.client.invite(roomId, userId);
      } catch (err) {
        if (!(err instanceof MatrixError && err.status === 403) || !(await this.isMemberOrInvited(roomId, userId))) throw err;
      }
    }
  }

  /** Sets users' power levels in a room (e.g. WORKER_POWER_LEVEL for a worker invited later). */
  async setPowerLevels(roomId: string, levels: Record<string, number>): Promise<void> {
    const current = await this.client.getStateEvent<Record<string, unknown>>(roomId, 'm.room.power_levels');
    const users = { ...((current.users as Record<string, number> | undefined) ?? {}), ...levels };
    await this.client.sendStateEvent(roomId, 'm.room.power_levels', '', { ...current, users });
  }

  /**
   * How a room's power levels differ from Lien's rule (inviting, kicking, banning, redacting others and
   * state events for the bot alone; nobody but the bot above WORKER_POWER_LEVEL), one line per difference.
   */
  async powerLevelDrift(roomId: string): Promise<string[]> {
    const current = await this.client.getStateEvent<Record<string, unknown>>(roomId, 'm.room.power_levels');
    const drift: string[] = [];
    for (const key of ['invite', 'kick', 'ban', 'redact', 'state_default'] as const) {
      const value = typeof current[key] === 'number' ? current[key] : key === 'invite' ? 0 : 50; // the spec's defaults
      if (value !== BOT_POWER_LEVEL) drift.push(`${key} is ${String(value)}, not ${BOT_POWER_LEVEL}`);
    }
    for (const [user, level] of Object.entries((current.users as Record<string, number> | undefined) ?? {})) {
      if (user !== this.botUserId && level > WORKER_POWER_LEVEL) drift.push(`${user} has power level ${level}`);
    }
    return drift;
  }

  /** Puts a room's power levels back to Lien's rule (see powerLevelDrift), keeping everything else. */
  async repairPowerLevels(roomId: string): Promise<void> {
    const current = await this.client.getStateEvent<Record<string, unknown>>(roomId, 'm.room.power_levels');
    const users = Object.fromEntries(
      Object.entries((current.users as Record<string, number> | undefined) ?? {}).map(([u, l]) => [u, u === this.botUserId ? l : Math.min(l, WORKER_POWER_LEVEL)]),
    );
    await this.client.sendStateEvent(roomId, 'm.room.power_levels', '', {
      ...current,
      users,
      invite: BOT_POWER_LEVEL,
      kick: BOT_POWER_LEVEL,
      ban: BOT_POWER_LEVEL,
      redact: BOT_POWER_LEVEL,
      state_default: BOT_POWER_LEVEL,
    });
  }

  /** Whether the room lets accounts of other homeservers in (`m.federate` of its creation, true when absent). */
  async federates(roomId: string): Promise<boolean> {
    const create = await this.client.getStateEvent<{ 'm.federate'?: boolean }>(roomId, 'm.room.create');
    return create['m.federate'] !== false;
  }

  async setRoomName(roomId: string, name: string): Promise<void> {
    await this.client.sendStateEvent(roomId, 'm.room.name', '', { name });
  }

  private async isMemberOrInvited(roomId: string, userId: string): Promise<boolean> {
    try {
      const member = await this.client.getStateEvent<{ membership?: string }>(roomId, 'm.room.member', userId);
      return member.membership === 'join' || member.membership === 'invite';
    } catch {
      return false;
    }
  }

  private async powerLevels(workers: string[], opts: { eventsDefault: number }): Promise<Record<string, unknown>> {
    const users: Record<string, number> = {};
    // From room version 12 on, the creator's power is unlimited and must not be listed.
    if (!creatorsArePrivileged(await this.roomVersion())) users[this.botUserId] = BOT_POWER_LEVEL;
    for (const w of workers) users[w] = WORKER_POWER_LEVEL;
    return {
      users,
      users_default: 0,
      events_default: opts.eventsDefault,
      state_default: BOT_POWER_LEVEL,
      invite: BOT_POWER_LEVEL,
      kick: BOT_POWER_LEVEL,
      ban: BOT_POWER_LEVEL,
      // Redacting one's own events needs only the right to send m.room.redaction; `redact` is for others'.
      redact: BOT_POWER_LEVEL,
      notifications: { room: WORKER_POWER_LEVEL },
      events: {
        ...Object.fromEntries(BOT_ONLY_EVENTS.map((t) => [t, BOT_POWER_LEVEL])),
        'm.room.message': opts.eventsDefault,
        'm.reaction': opts.eventsDefault,
        'm.room.redaction': opts.eventsDefault,
      },
    };
  }

  /** The room version createRoom will use (the homeserver's default), read once. */
  private roomVersion(): Promise<string | undefined> {
    this.defaultRoomVersion ??= this.client.capabilities().then(
      (caps) => (caps['m.room_versions'] as { default?: string } | undefined)?.default,
      () => {
        this.defaultRoomVersion = undefined; // ask again next time
        return undefined;
      },
    );
    return this.defaultRoomVersion;
  }
}

/** Room versions in which the creators hold unlimited power outside the power-levels event (MSC4289). */
function creatorsArePrivileged(roomVersion: string | undefined): boolean {
  if (!roomVersion) return false;
  if (/^\d+$/.test(roomVersion)) return Number(roomVersion) >= 12;
  return roomVersion.startsWith('org.matrix.hydra');
}
