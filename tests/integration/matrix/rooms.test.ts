import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../src/channels/matrix/client.js';
import { RoomProvisioner } from '../../../src/channels/matrix/rooms.js';
import { newUser } from './helpers.js';

describe('RoomProvisioner', () => {
  it('creates a space and a portal room filed under it, where only the bot holds power and invites', async () => {
    const [bot, worker, colleague] = await Promise.all([newUser('bot'), newUser('worker'), newUser('colleague')]);
    const rooms = new RoomProvisioner(bot.client, bot.userId);
    const spaceId = await rooms.createSpace({ name: 'Service social', topic: 'Équipe', invite: [worker.userId] });
    const roomId = await rooms.createPortalRoom({
      name: 'Suivi — M. Dupont',
      topic: 'SMS de M. Dupont',
      invite: [worker.userId],
      spaceId,
      encrypted: true,
      historyVisibility: 'shared',
    });

    // The invitation is to a group room, not a DM.
    const invite = await bot.client.getStateEvent<{ membership: string; is_direct?: boolean }>(roomId, 'm.room.member', worker.userId);
    expect(invite.membership).toBe('invite');
    expect(invite.is_direct).not.toBe(true);

    await worker.client.join(spaceId);
    await worker.client.join(roomId);
    const w = worker.client;
    expect(await w.getStateEvent(roomId, 'm.room.name')).toEqual({ name: 'Suivi — M. Dupont' });
    expect(await w.getStateEvent(roomId, 'm.room.topic')).toMatchObject({ topic: 'SMS de M. Dupont' });
    expect(await w.getStateEvent(roomId, 'm.room.history_visibility')).toEqual({ history_visibility: 'shared' });
    expect(await w.getStateEvent(roomId, 'm.room.encryption')).toEqual({ algorithm: 'm.megolm.v1.aes-sha2' });
    expect(await w.getStateEvent(roomId, 'm.room.join_rules')).toEqual({ join_rule: 'invite' });

    const create = await w.getStateEvent<{ room_version?: string }>(roomId, 'm.room.create');
    const pl = await w.getStateEvent<{ users: Record<string, number>; events_default: number; state_default: number; invite: number; events: Record<string, number> }>(
      roomId,
      'm.room.power_levels',
    );
    expect(pl.users[worker.userId]).toBe(50);
    // From room version 12 on, the creator's power is above any level and is not listed.
    if (Number(create.room_version) >= 12) expect(pl.users[bot.userId]).toBeUndefined();
    else expect(pl.users[bot.userId]).toBe(100);
    expect(Object.keys(pl.users).sort()).toEqual(Number(create.room_version) >= 12 ? [worker.userId] : [bot.userId, worker.userId].sort());
    expect(pl).toMatchObject({ events_default: 0, state_default: 100, invite: 100, kick: 100 });
    expect(pl.events['m.room.name']).toBe(100);
    expect(pl.events['m.room.power_levels']).toBe(100);
    expect(pl.events['m.room.encryption']).toBe(100);

    expect(await w.getStateEvent(spaceId, 'm.space.child', roomId)).toEqual({ via: ['localhost'] });
    expect(await w.getStateEvent(roomId, 'm.space.parent', spaceId)).toMatchObject({ via: ['localhost'], canonical: true });
    expect(await w.getStateEvent(spaceId, 'm.room.create')).toMatchObject({ type: 'm.space' });

    // Rooms stay on this homeserver unless asked otherwise.
    expect(await w.getStateEvent(roomId, 'm.room.create')).toMatchObject({ 'm.federate': false });
    expect(await w.getStateEvent(spaceId, 'm.room.create')).toMatchObject({ 'm.federate': false });
    expect(await rooms.federates(roomId)).toBe(false);
    expect(await rooms.powerLevelDrift(roomId)).toEqual([]);

    // The worker can talk, not invite anyone (only Lien does), rename the room nor raise their own level.
    await w.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: 'Bonjour' }, 'hello-1');
    const asWorker = new RoomProvisioner(w, worker.userId);
    const renamed = asWorker.setRoomName(roomId, 'Autre nom');
    await expect(renamed).rejects.toBeInstanceOf(MatrixError);
    await expect(renamed).rejects.toMatchObject({ status: 403 });
    await expect(asWorker.setPowerLevels(roomId, { [worker.userId]: 100 })).rejects.toMatchObject({ status: 403 });
    await expect(asWorker.inviteMembers(roomId, [colleague.userId])).rejects.toMatchObject({ status: 403 });
    await expect(bot.client.getStateEvent(roomId, 'm.room.member', colleague.userId)).rejects.toMatchObject({ status: 404 });

    // The bot can; inviting people already there (joined or invited) is not an error.
    await rooms.setRoomName(roomId, 'Suivi — Mme Dupont');
    expect(await w.getStateEvent(roomId, 'm.room.name')).toEqual({ name: 'Suivi — Mme Dupont' });
    await rooms.inviteMembers(roomId, [worker.userId, colleague.userId, bot.userId]);
    await rooms.setPowerLevels(roomId, { [colleague.userId]: 50 });
    const after = await w.getStateEvent<{ users: Record<string, number> }>(roomId, 'm.room.power_levels');
    expect(after.users[colleague.userId]).toBe(50);
    expect(after.users[worker.userId]).toBe(50);
  });

  it('reports power levels that let others invite or kick, and puts them back', async () => {
    const [bot, worker] = await Promise.all([newUser('bot'), newUser('worker')]);
    const rooms = new RoomProvisioner(bot.client, bot.userId);
    const roomId = await rooms.createPortalRoom({ name: 'Suivi', invite: [worker.userId], encrypted: false, federate: true });
    expect(await rooms.federates(roomId)).toBe(true);
    const pl = await bot.client.getStateEvent<Record<string, unknown>>(roomId, 'm.room.power_levels');
    await bot.client.sendStateEvent(roomId, 'm.room.power_levels', '', { ...pl, invite: 50, users: { ...(pl.users as Record<string, number>), [worker.userId]: 75 } });
    expect(await rooms.powerLevelDrift(roomId)).toEqual(['invite is 50, not 100', `${worker.userId} has power level 75`]);
    await rooms.repairPowerLevels(roomId);
    expect(await rooms.powerLevelDrift(roomId)).toEqual([]);
    expect(await bot.client.getStateEvent(roomId, 'm.room.power_levels')).toMatchObject({ invite: 100, users: { [worker.userId]: 50 } });
  });

  it('makes an unencrypted room without m.room.encryption, and lists its members', async () => {
    const [bot, worker] = await Promise.all([newUser('bot'), newUser('worker')]);
    const roomId = await new RoomProvisioner(bot.client, bot.userId).createPortalRoom({ name: 'Suivi', invite: [worker.userId], encrypted: false });
    await expect(bot.client.getStateEvent(roomId, 'm.room.encryption')).rejects.toMatchObject({ status: 404, errcode: 'M_NOT_FOUND' });
    await worker.client.join(roomId);
    expect(Object.keys(await bot.client.getJoinedMembers(roomId)).sort()).toEqual([bot.userId, worker.userId].sort());
    await worker.client.leave(roomId);
    expect(Object.keys(await bot.client.getJoinedMembers(roomId))).toEqual([bot.userId]);
  });
});
