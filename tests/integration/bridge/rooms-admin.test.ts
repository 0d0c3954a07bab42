/**
 * The admin CLI's side of who may be in the rooms, run as a real process against a running Lien:
 * worker:add / worker:deactivate have Lien invite or remove at once, and rooms:check reports how a room
 * differs from what Lien makes (and --fix repairs its power levels).
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { MatrixClient, MatrixError } from '../../../src/channels/matrix/client.js';
import { addPerson, portalRoomOf, sendSms, useBridge } from '../../support/bridge.js';
import { registerUser, uniqueLocalpart } from '../../support/matrix.js';
import { waitFor } from '../../support/wait.js';
import { runAdmin } from '../../support/process.js';


describe('admin CLI: workers and rooms', () => {
  const bridge = useBridge({ MEMBERSHIP_CHECK_EVERY_MS: '3600000' });
  let roomId: string;

  const membership = async (userId: string): Promise<string | undefined> => {
    try {
      return (await bridge.lien.matrix.current().getStateEvent<{ membership?: string }>(roomId, 'm.room.member', userId)).membership;
    } catch (err) {
      if (err instanceof MatrixError && err.status === 404) return undefined;
      throw err;
    }
  };

  beforeAll(async () => {
    const person = await addPerson(bridge, { displayName: 'Inès Lambert' });
    await sendSms(bridge, { from: person.phone, body: 'Bonjour' });
    roomId = await portalRoomOf(bridge, person._id, 60_000);
    await bridge.worker.joinWhenInvited(roomId, 60_000);
  });

  it('worker:add has Lien invite the new worker to existing rooms; worker:deactivate has it remove them', async () => {
    const session = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('karim'), password: randomBytes(12).toString('hex') });
    const added = await runAdmin(bridge.lien.env, ['worker:add', bridge.team.slug, session.userId, 'Karim Haddad']);
    expect(added, added.out).toMatchObject({ code: 0 });
    await waitFor('the invitation', async () => (await membership(session.userId)) === 'invite' || undefined, 60_000, 300);
    await new MatrixClient(inject('synapseUrl'), session.accessToken).join(roomId);

    const deactivated = await runAdmin(bridge.lien.env, ['worker:deactivate', session.userId]);
    expect(deactivated, deactivated.out).toMatchObject({ code: 0 });
    await waitFor('the removal', async () => (await membership(session.userId)) === 'leave' || undefined, 60_000, 300);
    expect(await membership(bridge.worker.userId)).toBe('join');
    expect(await bridge.lien.db.models.AuditEvent.countDocuments({ action: 'worker.deactivated' })).toBe(1);

    const unknown = await runAdmin(bridge.lien.env, ['worker:deactivate', '@nobody:localhost']);
    expect(unknown.code).toBe(64);
    expect(unknown.out).toContain('no worker @nobody:localhost');
  });

  it('rooms:check reports power levels that let workers invite, and --fix puts them back', async () => {
    const clean = await runAdmin(bridge.lien.env, ['rooms:check']);
    expect(clean, clean.out).toMatchObject({ code: 0 });
    expect(clean.out).toContain(`portal ${roomId}: as it should be`);

    const bot = bridge.lien.matrix.current();
    const power = await bot.getStateEvent<Record<string, unknown>>(roomId, 'm.room.power_levels');
    await bot.sendStateEvent(roomId, 'm.room.power_levels', '', { ...power, invite: 50 });
    const drift = await runAdmin(bridge.lien.env, ['rooms:check']);
    expect(drift.code).toBe(0);
    expect(drift.out).toContain(`portal ${roomId}: 1 difference(s)`);
    expect(drift.out).toContain('power levels: invite is 50, not 100');

    const fixed = await runAdmin(bridge.lien.env, ['rooms:check', '--fix']);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain('fixed: power levels');
    expect(await bot.getStateEvent(roomId, 'm.room.power_levels')).toMatchObject({ invite: 100 });
    const after = await runAdmin(bridge.lien.env, ['rooms:check']);
    expect(after.out).toContain(`portal ${roomId}: as it should be`);
  });
});
