/**
 * Who may reach a person (README, "Who may do what"): every cell of the role × action matrix, against
 * the run's Synapse — an SMS that Twilio receives or not, Lien's answer in the room, a membership that
 * changes. Six accounts stand in the six places: a worker, a manager and an admin of the team, a worker
 * moved to another team, a deactivated worker and an account Lien does not know. All six were workers
 * of the team when its rooms were made (so they are in them); then the database changes, and before the
 * membership check runs they are still there to try everything.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { MatrixClient, MatrixError } from '../../../src/channels/matrix/client.js';
import { ACTIONS, COMMAND_ACTIONS, PERMISSIONS, STANDINGS, type CommandAction, type Standing } from '../../../src/domain/permissions.js';
import { MEMBERSHIP_CHECK_JOB } from '../../../src/routing/membership.js';
import { NOTICE_VERSION } from '../../../src/domain/notice.js';
import { ROUND_THE_CLOCK_SLOTS } from '../../../src/domain/opening.js';
import type { WorkerRole } from '../../../src/domain/types.js';
import { addPerson, frText, mobileNumber, portalRoomOf, sendSms, triageRoomOf, TestWorker, useBridge, type Bridge } from '../../support/bridge.js';
import { registerUser, uniqueLocalpart } from '../../support/matrix.js';
import { waitFor } from '../../support/wait.js';

const TEAM_NAME = 'Service social de Bellevue';

/** The periodic check is put far off: each test runs the check when it means to (as the admin CLI does). */
const ENV = { MEMBERSHIP_CHECK_EVERY_MS: '3600000', MATRIX_ROOM_BURST: '100', MATRIX_ROOM_EVENTS_PER_MINUTE: '6000' };

async function newAccount(bridge: Bridge, displayName: string, role: WorkerRole = 'worker', teamId = bridge.team._id): Promise<TestWorker> {
  const session = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('acct'), password: randomBytes(12).toString('hex') });
  const doc = await bridge.lien.db.models.Worker.create({ matrixUserId: session.userId, displayName, team: teamId, role });
  return new TestWorker(session.userId, session.accessToken, doc, session.deviceId);
}

/** Runs the membership check of a team now, through the scheduler (the path the admin CLI takes). */
async function checkMembership(bridge: Bridge, teamId = bridge.team._id): Promise<void> {
  await bridge.lien.scheduler.once(MEMBERSHIP_CHECK_JOB, new Date(), { teamId: String(teamId) }, randomUUID());
}

/** Lien's answer to one event, found by the transaction id Lien sends it with (`lien-cmd-…`, `lien-notice-…`). */
async function answerTo(bridge: Bridge, roomId: string, txnId: string): Promise<string> {
  const bot = bridge.lien.matrix.current();
  return waitFor(`Lien's answer ${txnId}`, async () => {
    const page = await bot.roomMessages(roomId, { dir: 'b', limit: 30 });
    const found = page.chunk.find((e) => e.sender === bridge.botUserId && e.unsigned?.transaction_id === txnId);
    return found ? String(found.content.body) : undefined;
  }, 50_000, 500);
}

async function membershipOf(bridge: Bridge, roomId: string, userId: string): Promise<string | undefined> {
  try {
    return (await bridge.lien.matrix.current().getStateEvent<{ membership?: string }>(roomId, 'm.room.member', userId)).membership;
  } catch (err) {
    if (err instanceof MatrixError && err.status === 404) return undefined;
    throw err;
  }
}

/** What each command is typed as in the cells, and what Lien answers when the sender may run it. */
const COMMANDS: Record<CommandAction, { text: string; allowed: (name: string) => (answer: string) => boolean }> = {
  help: { text: '!aide', allowed: () => (a) => a === frText('command.help', { prefix: '!' }) },
  link: { text: '!lier', allowed: () => (a) => a === frText('command.linkUsage', { prefix: '!' }) },
  away: { text: '!absent', allowed: () => (a) => a === frText('command.absenceUsage', { prefix: '!' }) },
  back: { text: '!present', allowed: (name) => (a) => a === frText('command.absenceCleared', { worker: name }) },
  done: { text: '!termine', allowed: (name) => (a) => a === frText('command.done', { worker: name }) },
  history: { text: '!historique', allowed: () => (a) => a.startsWith(frText('command.history', { count: '1' }).split(' ')[0] ?? '') && a.includes('Bonjour, je voudrais un rendez-vous.') },
  appointment: { text: '!rdv', allowed: () => (a) => a === frText('command.appointmentUsage', { prefix: '!' }) },
  language: { text: '!langue', allowed: () => (a) => a === frText('command.languageUsage', { prefix: '!' }) },
};

describe('bridge: who may reach a person', () => {
  const bridge = useBridge(ENV);
  const accounts = {} as Record<Standing, TestWorker>;
  let person: Awaited<ReturnType<typeof addPerson>>;
  let roomId: string;
  let triageId: string;
  let spaceId: string;
  let otherTeamId: Bridge['team']['_id'];

  beforeAll(async () => {
    const { Team, Worker } = bridge.lien.db.models;
    otherTeamId = (await Team.create({ slug: uniqueLocalpart('autre').toLowerCase(), name: 'Service social du Port', settings: { encryptRooms: false } }))._id;
    accounts.worker = bridge.worker;
    accounts.manager = await newAccount(bridge, 'Hélène Roux', 'manager');
    accounts.admin = await newAccount(bridge, 'Paul Garnier', 'admin');
    accounts.otherTeam = await newAccount(bridge, 'Nadia Benali');
    accounts.deactivated = await newAccount(bridge, 'Marc Colin');
    accounts.stranger = await newAccount(bridge, 'Inconnu');

    // The rooms are made while all six are workers of the team: all six are invited and join.
    person = await addPerson(bridge, { displayName: 'Camille Martin' });
    expect((await sendSms(bridge, { from: person.phone, body: 'Bonjour, je voudrais un rendez-vous.' })).status).toBe(200);
    expect((await sendSms(bridge, { from: mobileNumber(), body: 'Bonjour, qui êtes-vous ?' })).status).toBe(200);
    roomId = await portalRoomOf(bridge, person._id, 60_000);
    triageId = await triageRoomOf(bridge, 60_000);
    spaceId = (await Team.findById(bridge.team._id, { matrixSpaceId: 1 }).lean())?.matrixSpaceId ?? '';
    for (const a of Object.values(accounts)) for (const r of [spaceId, roomId, triageId]) await a.joinWhenInvited(r, 60_000);
    await bridge.worker.waitForEvent(roomId, "Camille's SMS", (e) => e.sender === bridge.botUserId && String(e.content.body).endsWith('je voudrais un rendez-vous.'), 60_000);
    // Lien handles the room's events in order: once it answers this, it has seen all six arrive (as workers).
    await answerTo(bridge, roomId, `lien-cmd-${await bridge.worker.say(roomId, '!aide')}`);

    // Then the database changes: one moves to another team, one is deactivated, one was never a worker.
    await Worker.updateOne({ _id: accounts.otherTeam.doc._id }, { $set: { team: otherTeamId } });
    await Worker.updateOne({ _id: accounts.deactivated.doc._id }, { $set: { active: false } });
    await Worker.deleteOne({ _id: accounts.stranger.doc._id });
  });

  const refusal = (standing: Standing): 'notInTeam' | 'deactivated' | 'role' => (standing === 'deactivated' ? 'deactivated' : standing === 'otherTeam' || standing === 'stranger' ? 'notInTeam' : 'role');
  const senderName = (standing: Standing) => (standing === 'stranger' ? accounts.stranger.userId : accounts[standing].displayName);

  it('has a cell for every standing and action', () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...STANDINGS].sort());
    expect(ACTIONS).toEqual(['reply', 'member', ...COMMAND_ACTIONS]);
  });

  it.each(STANDINGS)('reply by SMS: %s', async (standing) => {
    const account = accounts[standing];
    const text = `Réponse de test (${standing}) ${randomBytes(3).toString('hex')}`;
    const eventId = await account.say(roomId, text);
    if (PERMISSIONS[standing].has('reply')) {
      await waitFor(`the SMS from the ${standing}`, async () => bridge.twilio.sentTo(person.phone).some((r) => r.form.Body === text) || undefined, 60_000);
      expect(bridge.twilio.to(person.phone).filter((r) => r.form.Body === text)).toHaveLength(1);
    } else {
      const answer = await answerTo(bridge, roomId, `lien-notice-${eventId}`);
      expect(answer).toBe(frText(`access.reply.${refusal(standing)}`, { sender: senderName(standing), team: TEAM_NAME }));
      // Lien answered after handling the event: had it queued an SMS, it would have been queued already.
      const stored = await bridge.lien.db.models.Message.countDocuments({ matrixEventId: eventId });
      expect(stored).toBe(0);
      expect(bridge.twilio.requests.filter((r) => r.form.Body === text)).toHaveLength(0);
    }
  });

  describe.each(STANDINGS)('room commands: %s', (standing) => {
    it.each(COMMAND_ACTIONS)('%s', async (command) => {
      const account = accounts[standing];
      const { text, allowed } = COMMANDS[command];
      const eventId = await account.say(roomId, text);
      const answer = await answerTo(bridge, roomId, `lien-cmd-${eventId}`);
      if (PERMISSIONS[standing].has(command)) expect(allowed(account.displayName)(answer), answer).toBe(true);
      else expect(answer).toBe(frText(`access.command.${refusal(standing)}`, { command: text, sender: senderName(standing), team: TEAM_NAME }));
    });
  });

  it("refuses !lier in another team's triage room: no person is made", async () => {
    const number = mobileNumber();
    const eventId = await accounts.otherTeam.say(triageId, `!lier ${number} Jean Dupont`);
    const answer = await answerTo(bridge, triageId, `lien-cmd-${eventId}`);
    expect(answer).toBe(frText('access.command.notInTeam', { command: '!lier', sender: 'Nadia Benali', team: TEAM_NAME }));
    expect(await bridge.lien.db.models.Person.countDocuments({ displayName: 'Jean Dupont' })).toBe(0);
  });

  it('audits refusals without personal data', async () => {
    const refused = await bridge.lien.db.models.AuditEvent.find({ action: { $in: ['sms.reply_refused', 'command.refused'] } }).lean();
    expect(refused.length).toBeGreaterThanOrEqual(3 + 3 * COMMAND_ACTIONS.length);
    const text = JSON.stringify(refused);
    for (const a of Object.values(accounts)) {
      expect(text).not.toContain(a.userId);
      expect(text).not.toContain(a.displayName);
    }
    expect(text).not.toContain(person.phone);
  });

  it("be in the rooms: the membership check removes the three who may not stay, from every room of the team, and keeps the others", async () => {
    await checkMembership(bridge);
    for (const standing of STANDINGS) {
      for (const r of [spaceId, roomId, triageId]) {
        const expected = PERMISSIONS[standing].has('member') ? 'join' : 'leave';
        await waitFor(`${standing} ${expected} in ${r}`, async () => (await membershipOf(bridge, r, accounts[standing].userId)) === expected || undefined, 20_000, 200);
      }
    }
    // The room is told who was removed and why.
    for (const standing of ['otherTeam', 'deactivated', 'stranger'] as const) {
      const body = frText('access.removed', { name: standing === 'stranger' ? accounts.stranger.userId : accounts[standing].displayName, team: TEAM_NAME });
      await bridge.worker.waitForEvent(roomId, `the removal of the ${standing}`, (e) => e.sender === bridge.botUserId && e.content.body === body, 60_000);
    }
    // The one removed cannot come back by themselves.
    await expect(accounts.deactivated.client.join(roomId)).rejects.toMatchObject({ status: 403 });
  });
});

describe('bridge: only Lien invites, and only the team', () => {
  const bridge = useBridge(ENV);
  let person: Awaited<ReturnType<typeof addPerson>>;
  let roomId: string;

  beforeAll(async () => {
    person = await addPerson(bridge, { displayName: 'Thomas Lefèvre' });
    await sendSms(bridge, { from: person.phone, body: 'Bonjour !' });
    roomId = await portalRoomOf(bridge, person._id, 60_000);
    await bridge.worker.joinWhenInvited(roomId, 60_000);
  });

  it('makes rooms that do not federate, where a worker cannot invite', async () => {
    const team = await bridge.lien.db.models.Team.findById(bridge.team._id).lean();
    for (const r of [roomId, team?.matrixSpaceId ?? '']) {
      const create = await bridge.lien.matrix.current().getStateEvent<Record<string, unknown>>(r, 'm.room.create');
      expect(create['m.federate']).toBe(false);
    }
    const power = await bridge.worker.client.getStateEvent<{ invite: number; kick: number }>(roomId, 'm.room.power_levels');
    expect(power).toMatchObject({ invite: 100, kick: 100 });
    const stranger = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('stranger'), password: randomBytes(12).toString('hex') });
    await expect(bridge.worker.client.invite(roomId, stranger.userId)).rejects.toMatchObject({ status: 403 });
    expect(await membershipOf(bridge, roomId, stranger.userId)).toBeUndefined();
  });

  it("lets a team's rooms federate when the team allows it", async () => {
    const { Team, Person } = bridge.lien.db.models;
    const open = await Team.create({ slug: uniqueLocalpart('ouverte').toLowerCase(), name: 'Équipe fédérée', officeHours: ROUND_THE_CLOCK_SLOTS, holidayCalendar: 'none', settings: { encryptRooms: false, acknowledgeDaily: false, allowFederation: true } });
    const referent = await newAccount(bridge, 'Référente', 'worker', open._id);
    const phone = mobileNumber();
    const alex = await Person.create({ phoneIndex: bridge.lien.cipher.blindIndex(phone), phoneSealed: bridge.lien.cipher.encrypt(phone), displayName: 'Alex Moreau', pseudonym: 'Personne 1', team: open._id, referent: referent.doc._id, consent: { noticeVersion: NOTICE_VERSION, givenAt: new Date(), channel: 'sms' } });
    await sendSms(bridge, { from: phone, body: 'Bonjour' });
    const openRoom = await portalRoomOf(bridge, alex._id, 60_000);
    const create = await bridge.lien.matrix.current().getStateEvent<Record<string, unknown>>(openRoom, 'm.room.create');
    expect(create['m.federate']).toBe(true);
  });

  it('removes a stranger a worker invited in a room that still lets workers invite, and the stranger reaches no one', async () => {
    // A room made before only Lien could invite (power levels of then): the worker invites someone.
    const bot = bridge.lien.matrix.current();
    const power = await bot.getStateEvent<Record<string, unknown>>(roomId, 'm.room.power_levels');
    await bot.sendStateEvent(roomId, 'm.room.power_levels', '', { ...power, invite: 50 });
    const session = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('stranger'), password: randomBytes(12).toString('hex') });
    const stranger = { userId: session.userId, client: new MatrixClient(inject('synapseUrl'), session.accessToken) };
    await bridge.worker.client.invite(roomId, stranger.userId);

    // Lien takes the invitation back at once, and says so.
    await waitFor('the invitation taken back', async () => (await membershipOf(bridge, roomId, stranger.userId)) === 'leave' || undefined, 20_000, 200);
    await bridge.worker.waitForEvent(roomId, 'the removal notice', (e) => e.sender === bridge.botUserId && e.content.body === frText('access.removed', { name: stranger.userId, team: TEAM_NAME }), 60_000);
    await expect(stranger.client.join(roomId)).rejects.toMatchObject({ status: 403 });
    await expect(stranger.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: 'Bonjour Thomas' }, 'stranger-1')).rejects.toMatchObject({ status: 403 });
    expect(bridge.twilio.requests.filter((r) => r.form.Body === 'Bonjour Thomas')).toHaveLength(0);
    const removed = await bridge.lien.db.models.AuditEvent.find({ action: 'room.member_removed', 'subject.id': roomId }).lean();
    expect(removed.map((e) => e.details?.standing)).toContain('stranger');
  });

  it('invites a worker added later to every existing room of the team, who then reaches the person', async () => {
    const newcomer = await newAccount(bridge, 'Karim Haddad');
    const team = await bridge.lien.db.models.Team.findById(bridge.team._id).lean();
    await checkMembership(bridge);
    for (const r of [team?.matrixSpaceId ?? '', roomId]) await newcomer.joinWhenInvited(r, 60_000);
    // What came before was encrypted (in an encrypted room) for the members of then: they are told how to read it back.
    await bridge.worker.waitForEvent(roomId, 'the newcomer hint', (e) => e.sender === bridge.botUserId && e.content.body === frText('crypto.newcomer', { name: 'Karim Haddad', prefix: '!' }), 60_000);
    await newcomer.say(roomId, 'Bonjour Thomas, je remplace Sophie cette semaine.');
    await waitFor('the newcomer’s SMS', async () => bridge.twilio.sentTo(person.phone).some((r) => r.form.Body === 'Bonjour Thomas, je remplace Sophie cette semaine.') || undefined, 60_000);
  });

  it('removes a deactivated worker from the rooms at the next check', async () => {
    const leaving = await newAccount(bridge, 'Lucie Fabre');
    await checkMembership(bridge);
    await leaving.joinWhenInvited(roomId, 60_000);
    await bridge.lien.db.models.Worker.updateOne({ _id: leaving.doc._id }, { $set: { active: false } });
    await checkMembership(bridge);
    await waitFor('the deactivated worker removed', async () => (await membershipOf(bridge, roomId, leaving.userId)) === 'leave' || undefined, 20_000, 200);
    expect(await membershipOf(bridge, roomId, bridge.worker.userId)).toBe('join');
  });
});
