/**
 * The audit chain's head anchored on the real Synapse: the audit room (only Lien and the admins, no
 * federation, nobody else writes), the anchor at start and the daily one (once across processes), and
 * `npm run admin -- audit:verify` run as a real process, reading the anchors back from the homeserver:
 * an untouched chain passes, an unreachable homeserver is said and the chain still checked, events cut
 * off after an anchor and an edited event are named.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MatrixClient, MatrixError, type ClientEvent } from '../../../src/channels/matrix/client.js';
import { loadConfig } from '../../../src/config.js';
import { startLien, type Lien } from '../../../src/lien.js';
import { ANCHOR_EVENT, AUDIT_ROOM_SETTING, readAnchors } from '../../../src/routing/audit-room.js';
import { anchorToday } from '../../../src/scheduler/jobs/audit-anchor.js';
import { Claims } from '../../../src/store/claims.js';
import { connect } from '../../../src/store/database.js';
import { createModels, syncIndexes } from '../../../src/store/models/index.js';
import { Settings } from '../../../src/store/settings.js';
import { testLienEnv } from '../../support/lien.js';
import { testLogger } from '../../support/logger.js';
import { registerUser, uniqueLocalpart } from '../../support/matrix.js';
import { waitFor } from '../../support/wait.js';
import { runAdmin } from '../../support/process.js';

const enc = encodeURIComponent;


interface Account {
  userId: string;
  client: MatrixClient;
}

async function account(prefix: string): Promise<Account> {
  const s = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart(prefix), password: randomBytes(12).toString('hex') });
  return { userId: s.userId, client: new MatrixClient(inject('synapseUrl'), s.accessToken) };
}

describe('the audit room and audit:verify', () => {
  let env: Record<string, string>;
  let lien: Lien;
  let admin: Account;
  let worker: Account;
  let roomId: string;
  let botUserId: string;
  let lienToken: string;

  beforeAll(async () => {
    env = await testLienEnv();
    admin = await account('admin');
    worker = await account('worker');
    // The team and its people exist before Lien starts: the audit room it creates at start invites the admin.
    const conn = await connect(env.MONGODB_URI ?? '', 10_000);
    try {
      const models = createModels(conn);
      await syncIndexes(models);
      const team = await models.Team.create({ slug: uniqueLocalpart('equipe').toLowerCase(), name: 'Service social de Bellevue' });
      await models.Worker.create({ matrixUserId: admin.userId, displayName: 'Nadia Admin', team: team._id, role: 'admin' });
      await models.Worker.create({ matrixUserId: worker.userId, displayName: 'Sophie Bernard', team: team._id, role: 'worker' });
    } finally {
      await conn.close();
    }
    lien = await startLien(loadConfig(env), testLogger);
    await lien.synced();
    botUserId = lien.matrix.userId ?? '';
    const session = await new Settings(lien.db.models).get<{ accessTokenSealed: string }>('matrix.session');
    lienToken = lien.cipher.decrypt(session?.accessTokenSealed ?? '');
  });

  afterAll(async () => {
    await lien?.stop();
  });

  const anchorsOnHomeserver = async (client: MatrixClient): Promise<ClientEvent[]> =>
    (await client.request<ClientEvent[]>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`)).filter((e) => e.type === ANCHOR_EVENT);

  it('anchors the head at start in a room only Lien and the admins are in, that does not federate and where only Lien writes', async () => {
    const recorded = await waitFor('the anchor at start', () => lien.db.models.AuditEvent.findOne({ action: 'audit.anchored' }).lean(), 30_000);
    roomId = (await new Settings(lien.db.models).get<string>(AUDIT_ROOM_SETTING)) ?? '';
    expect(recorded.details).toMatchObject({ roomId, reason: 'start' });
    const seq = (recorded.details as { seq: number }).seq;
    const anchored = await lien.db.models.AuditEvent.findOne({ seq }).lean();

    // The admin was invited, joins, and reads the anchor back: the chain's seq and hash at that point.
    await waitFor('the admin invited', async () => {
      try {
        return (await admin.client.join(roomId)) === roomId;
      } catch (err) {
        if (err instanceof MatrixError && err.status === 403) return false;
        throw err;
      }
    }, 15_000, 200);
    // (The hourly job may have anchored too since: the start's anchor is the one recorded.)
    const anchor = (await anchorsOnHomeserver(admin.client)).find((e) => e.event_id === (recorded.details as { eventId: string }).eventId);
    expect(anchor).toMatchObject({ sender: lien.matrix.userId, state_key: String(seq), content: { seq, hash: anchored?.hash } });

    const state = await admin.client.request<ClientEvent[]>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`);
    const of = (type: string) => state.find((e) => e.type === type)?.content;
    expect(of('m.room.create')).toMatchObject({ 'm.federate': false });
    expect(of('m.room.join_rules')).toMatchObject({ join_rule: 'invite' });
    expect(of('m.room.encryption')).toMatchObject({ algorithm: 'm.megolm.v1.aes-sha2' });
    expect(of('m.room.power_levels')).toMatchObject({ events_default: 100, state_default: 100, invite: 100, users_default: 0 });
    const members = state.filter((e) => e.type === 'm.room.member' && e.content.membership === 'join').map((e) => e.state_key).sort();
    expect(members).toEqual([admin.userId, lien.matrix.userId].sort());
    // The notice saying it in words is there too (encrypted, as the room is).
    const timeline = await admin.client.request<{ chunk: ClientEvent[] }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, { query: { dir: 'b', limit: 50 } });
    expect(timeline.chunk.some((e) => e.sender === lien.matrix.userId && e.type === 'm.room.encrypted')).toBe(true);

    // The admin reads but cannot write.
    await expect(admin.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: 'hello' }, `t-${randomBytes(4).toString('hex')}`)).rejects.toMatchObject({ status: 403 });
    await expect(admin.client.sendStateEvent(roomId, ANCHOR_EVENT, '999', { seq: 999, hash: 'f'.repeat(64) })).rejects.toMatchObject({ status: 403 });
    // An ordinary worker of the same team cannot join, nor read.
    await expect(worker.client.join(roomId)).rejects.toMatchObject({ status: 403 });
    await expect(worker.client.request('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`)).rejects.toMatchObject({ status: 403 });
    await expect(worker.client.request('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, { query: { dir: 'b' } })).rejects.toMatchObject({ status: 403 });
  });

  it('anchors once a day across processes', async () => {
    await lien.audit.append({ actor: { kind: 'system' }, action: 'team.created' });
    const head = await lien.audit.currentHead();
    // Two processes run the daily job at the same time: one anchors; the other sees the day is done.
    const day = new Date(Date.UTC(2031, 4, 6, 12));
    const runs = await Promise.all([anchorToday(lien.auditRoom, new Claims(lien.db.models), day), anchorToday(lien.auditRoom, new Claims(lien.db.models), day)]);
    expect(runs.filter(Boolean)).toHaveLength(1);
    expect(await anchorToday(lien.auditRoom, new Claims(lien.db.models), day)).toBeUndefined();
    const anchors = await anchorsOnHomeserver(admin.client);
    expect(anchors.map((e) => e.content.seq)).toContain(head.seq);
    expect(anchors.find((e) => e.content.seq === head.seq)?.content.hash).toBe(head.hash);
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'audit.anchored', 'details.reason': 'daily', 'details.seq': head.seq })).toBe(1);
  });

  it('invites an admin added since, and removes one deactivated, when it anchors', async () => {
    const newAdmin = await account('admin');
    const team = await lien.db.models.Team.findOne({}).lean();
    const doc = await lien.db.models.Worker.create({ matrixUserId: newAdmin.userId, displayName: 'Paul Admin', team: team?._id, role: 'admin' });
    const membership = async () => (await admin.client.getStateEvent<{ membership?: string }>(roomId, 'm.room.member', newAdmin.userId).catch(() => ({ membership: undefined }))).membership;
    expect(await membership()).toBeUndefined();
    await anchorToday(lien.auditRoom, new Claims(lien.db.models), new Date(Date.UTC(2031, 4, 7, 12)));
    expect(await membership()).toBe('invite');
    await newAdmin.client.join(roomId);
    await lien.db.models.Worker.updateOne({ _id: doc._id }, { $set: { active: false } });
    await anchorToday(lien.auditRoom, new Claims(lien.db.models), new Date(Date.UTC(2031, 4, 8, 12)));
    expect(await membership()).toBe('leave');
    // Gone: the anchors posted from now on are not theirs to read (Matrix leaves them what came before).
    await lien.audit.append({ actor: { kind: 'system' }, action: 'team.created' });
    const later = await anchorToday(lien.auditRoom, new Claims(lien.db.models), new Date(Date.UTC(2031, 4, 9, 12)));
    expect(later).toBeDefined();
    const seen = await newAdmin.client.request<ClientEvent[]>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`).catch(() => []);
    expect(seen.filter((e) => e.type === ANCHOR_EVENT).map((e) => e.content.seq)).not.toContain(later?.seq);
    expect((await anchorsOnHomeserver(admin.client)).map((e) => e.content.seq)).toContain(later?.seq);
  });

  it('audit:verify passes an untouched chain, says when the homeserver is away, and names events cut off after an anchor or edited', async () => {
    const anchors = await anchorsOnHomeserver(admin.client);
    const lastAnchored = Math.max(...anchors.map((e) => e.content.seq as number));
    // Stopped, as an operator checking the log would; the homeserver is still there.
    await lien.stop();

    const intact = await runAdmin(env, ['audit:verify']);
    expect(intact.out).toMatch(/audit chain intact: \d+ events/);
    expect(intact.out).toContain(`anchors on the homeserver: ${anchors.length}, the last at event ${lastAnchored}`);
    expect(intact.code).toBe(0);

    const away = await runAdmin({ ...env, MATRIX_HOMESERVER_URL: 'http://127.0.0.1:9' }, ['audit:verify']);
    expect(away.out).toMatch(/audit chain intact: \d+ events/);
    expect(away.out).toContain('anchors NOT checked: the homeserver at http://127.0.0.1:9 does not answer');
    expect(away.code).toBe(2);

    // Cut off: the last anchored event and all after it, with the database's own record of the anchors and of the room.
    const conn = await connect(env.MONGODB_URI ?? '', 10_000);
    try {
      const models = createModels(conn);
      await models.AuditEvent.deleteMany({ seq: { $gte: lastAnchored - 1 } });
      await models.Setting.deleteOne({ _id: AUDIT_ROOM_SETTING });
      // The chain in the database alone is still a valid chain: only the homeserver shows it was cut.
      const cut = await runAdmin(env, ['audit:verify']);
      expect(cut.out).toContain(`the audit chain is broken at event ${lastAnchored - 1}`);
      expect(cut.out).toContain(`reached event ${lastAnchored}`);
      expect(cut.out).toContain(`the database does not name the audit room (${roomId} on the homeserver)`);
      expect(cut.code).toBe(1);

      // An edit further back is named even with the homeserver away.
      const second = await models.AuditEvent.findOne({ seq: 2 }).lean();
      await models.AuditEvent.updateOne({ seq: 2 }, { $set: { details: { ...(second?.details ?? {}), extra: 1 } } });
      const edited = await runAdmin({ ...env, MATRIX_HOMESERVER_URL: 'http://127.0.0.1:9' }, ['audit:verify']);
      expect(edited.out).toContain(`the audit chain is broken at event 2 (${second?.action}, ${second?.at.toISOString()}): its content does not match its keyed hash`);
      expect(edited.out).toContain('anchors NOT checked');
      expect(edited.code).toBe(1);
    } finally {
      await conn.close();
    }
  });

  it("reads the room's whole history of anchors: one replaced or redacted with Lien's own account is reported", async () => {
    // Someone with the database and the secret key can unseal Lien's token and write as Lien: not unseen.
    const asLien = new MatrixClient(inject('synapseUrl'), lienToken);
    const before = await readAnchors(asLien, roomId, botUserId);
    const first = before[0];
    expect(first?.seq).toBeGreaterThan(0);
    await asLien.sendStateEvent(roomId, ANCHOR_EVENT, String(first?.seq), { seq: first?.seq, hash: 'e'.repeat(64), at: new Date().toISOString() });
    await expect(readAnchors(asLien, roomId, botUserId)).rejects.toThrow(`the anchor of event ${first?.seq} in the audit room was replaced by another hash`);
    await asLien.redact(roomId, first?.eventId ?? '', `t-${randomBytes(4).toString('hex')}`);
    await expect(readAnchors(asLien, roomId, botUserId)).rejects.toThrow(`the anchor event ${first?.eventId} in the audit room was redacted`);
  });
});
