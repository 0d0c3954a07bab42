import { afterEach, describe, expect, it } from 'vitest';
import { MatrixClient } from '../../../src/channels/matrix/client.js';
import { KeptEvents, MemoryKeptEventStore, type KeptEvent } from '../../../src/channels/matrix/kept-events.js';
import { RoomProvisioner } from '../../../src/channels/matrix/rooms.js';
import { SyncLoop } from '../../../src/channels/matrix/sync-loop.js';
import type { RoomEventHandler, SyncTokenStore } from '../../../src/channels/matrix/types.js';
import { Metrics } from '../../../src/metrics.js';
import { Settings } from '../../../src/store/settings.js';
import { useTestDatabase } from '../../support/db.js';
import { testLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';
import { MemoryTokenStore, newUser, RecordingHandler, sendText, type TestUser } from './helpers.js';

const loops: SyncLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

function startLoop(bot: TestUser, tokens: SyncTokenStore, handler: RoomEventHandler, extra: { timelineLimit?: number; minBackoffMs?: number; kept?: KeptEvents } = {}) {
  const loop = new SyncLoop({ client: bot.client, userId: bot.userId, tokens, handler, logger: testLogger, timeoutMs: 5000, ...extra });
  loops.push(loop);
  loop.start();
  return loop;
}

/** A bot and a worker in a portal room the worker has joined. */
async function portal(): Promise<{ bot: TestUser; worker: TestUser; roomId: string }> {
  const [bot, worker] = await Promise.all([newUser('bot'), newUser('worker')]);
  const roomId = await new RoomProvisioner(bot.client, bot.userId).createPortalRoom({ name: 'Suivi', invite: [worker.userId], encrypted: false });
  await worker.client.join(roomId);
  return { bot, worker, roomId };
}

describe('SyncLoop', () => {
  const db = useTestDatabase();
  it('delivers new messages in order, and after a restart exactly those posted meanwhile', async () => {
    const { bot, worker, roomId } = await portal();
    const tokens = new MemoryTokenStore();
    const first = new RecordingHandler();
    const loop1 = startLoop(bot, tokens, first);
    await loop1.synced();
    // The first-ever start delivers no history (the room's creation, the worker's join).
    expect(first.events).toEqual([]);
    const initialToken = tokens.token;
    expect(initialToken).toBeTruthy();

    const sent: string[] = [];
    for (const body of ['un', 'deux', 'trois']) sent.push(await sendText(worker, roomId, body));
    await waitFor('3 messages', async () => first.messages().length >= 3);
    const got = first.messages();
    expect(got.map((e) => e.eventId)).toEqual(sent);
    expect(got.map((e) => e.content.body)).toEqual(['un', 'deux', 'trois']);
    for (const e of got) {
      expect(e).toMatchObject({ roomId, sender: worker.userId, type: 'm.room.message', content: { msgtype: 'm.text' } });
      expect(e.originServerTs).toBeGreaterThan(Date.now() - 60_000);
    }
    expect(first.events).toHaveLength(3);
    await waitFor('the token to move on', async () => tokens.token !== initialToken);
    expect(loop1.health()).toMatchObject({ running: true, consecutiveFailures: 0, lastSyncAt: expect.any(Date) });

    await loop1.stop();
    expect(loop1.health().running).toBe(false);
    const meanwhile = [await sendText(worker, roomId, 'quatre'), await sendText(worker, roomId, 'cinq')];

    const second = new RecordingHandler();
    const loop2 = startLoop(bot, tokens, second);
    await loop2.synced();
    await waitFor('2 messages', async () => second.events.length >= 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(second.events.map((e) => e.eventId)).toEqual(meanwhile);
  });

  it('hands an event whose handling failed over again, then goes on in order', async () => {
    const { bot, worker, roomId } = await portal();
    const tokens = new MemoryTokenStore();
    let failOn: string | undefined;
    const handler = new RecordingHandler((e, attempt) => e.content.body === 'fragile' && attempt === 1 && (failOn = e.eventId) !== undefined);
    const loop = startLoop(bot, tokens, handler, { minBackoffMs: 100 });
    await loop.synced();
    const tokenBefore = tokens.token;

    const ids = [await sendText(worker, roomId, 'avant'), await sendText(worker, roomId, 'fragile'), await sendText(worker, roomId, 'après')];
    await waitFor('3 handled messages', async () => handler.messages().length >= 3);
    expect(handler.messages().map((e) => e.eventId)).toEqual(ids);
    expect(failOn).toBe(ids[1]);
    expect(handler.calls.filter((id) => id === ids[1])).toHaveLength(2);
    expect(tokens.token).not.toBe(tokenBefore);
    expect(loop.health().lastError).toMatch(/simulated failure/);
  });

  it('keeps an event that fails 5 times, reports it, goes on, and hands it over once the handler recovers', async () => {
    const { bot, worker, roomId } = await portal();
    let broken = true;
    const handler = new RecordingHandler((e) => broken && e.content.body === 'poison');
    const metrics = new Metrics();
    const kept = new KeptEvents(new MemoryKeptEventStore(), metrics, { baseMs: 200, maxMs: 400 });
    const loop = startLoop(bot, new MemoryTokenStore(), handler, { minBackoffMs: 20, kept });
    await loop.synced();
    const poison = await sendText(worker, roomId, 'poison');
    const next = await sendText(worker, roomId, 'suite');
    await waitFor('the message after the poisonous one', async () => handler.events.some((e) => e.eventId === next));
    expect(handler.calls.filter((id) => id === poison).length).toBeGreaterThanOrEqual(5);
    expect(handler.events.map((e) => e.eventId)).toEqual([next]);
    // Kept and reported, not dropped.
    expect(metrics.render()).toMatch(/^lien_matrix_events_kept_total\{kind="event"\} 1$/m);
    expect(loop.health()).toMatchObject({ consecutiveFailures: 0, keptEvents: 1 });

    // Tried again after later syncs, while later events still go through.
    await waitFor('another try of the kept event', async () => handler.calls.filter((id) => id === poison).length > 5);
    const later = await sendText(worker, roomId, 'plus tard');
    await waitFor('a later message', async () => handler.events.some((e) => e.eventId === later));
    expect(handler.events.some((e) => e.eventId === poison)).toBe(false);

    broken = false;
    await waitFor('the kept event, handled at last', async () => handler.events.some((e) => e.eventId === poison));
    await sendText(worker, roomId, 'encore');
    await waitFor('one more message', async () => handler.messages().length >= 4);
    expect(handler.events.filter((e) => e.eventId === poison)).toHaveLength(1);
    expect(handler.messages().map((e) => e.content.body)).toEqual(['suite', 'plus tard', 'poison', 'encore']);
    expect(metrics.render()).toMatch(/^lien_matrix_kept_events_handled_total 1$/m);
    expect(loop.health().keptEvents).toBe(0);
  });

  it('hands a kept event over at the next start, from the stored list, once', async () => {
    const { bot, worker, roomId } = await portal();
    const settings = new Settings(db.models);
    const store = {
      load: async () => {
        const json = await settings.get<string>('matrix.kept.test');
        return json ? (JSON.parse(json) as KeptEvent[]) : undefined;
      },
      save: (events: KeptEvent[]) => settings.set('matrix.kept.test', JSON.stringify(events)),
    };
    const tokens = new MemoryTokenStore();
    const failing = new RecordingHandler((e) => e.content.body === 'poison');
    const loop1 = startLoop(bot, tokens, failing, { minBackoffMs: 20, kept: new KeptEvents(store, new Metrics(), { baseMs: 60_000, maxMs: 60_000 }) });
    await loop1.synced();
    const poison = await sendText(worker, roomId, 'poison');
    const next = await sendText(worker, roomId, 'suite');
    await waitFor('the message after the poisonous one', async () => failing.events.some((e) => e.eventId === next));
    await waitFor('the kept event stored', async () => (await store.load())?.some((k) => k.item.kind === 'event' && k.item.event.eventId === poison));
    await loop1.stop();

    const healthy = new RecordingHandler();
    const metrics = new Metrics();
    const loop2 = startLoop(bot, tokens, healthy, { kept: new KeptEvents(store, metrics, { baseMs: 60_000, maxMs: 60_000 }, () => Date.now() + 60_000) });
    await loop2.synced();
    await waitFor('the kept event, handled after the restart', async () => healthy.events.some((e) => e.eventId === poison));
    const after = await sendText(worker, roomId, 'après');
    await waitFor('a new message', async () => healthy.events.some((e) => e.eventId === after));
    expect(healthy.events.map((e) => e.eventId)).toEqual([poison, after]);
    expect(metrics.render()).toMatch(/^lien_matrix_kept_events_handled_total 1$/m);
    await waitFor('the stored list emptied', async () => (await store.load())?.length === 0);
  });

  it('fills a gap in a cut-short timeline with what was posted while stopped', async () => {
    const { bot, worker, roomId } = await portal();
    const tokens = new MemoryTokenStore();
    const loop1 = startLoop(bot, tokens, new RecordingHandler(), { timelineLimit: 2 });
    await loop1.synced();
    await loop1.stop();

    const sent: string[] = [];
    for (let i = 1; i <= 7; i++) sent.push(await sendText(worker, roomId, `message ${i}`));
    const handler = new RecordingHandler();
    const loop2 = startLoop(bot, tokens, handler, { timelineLimit: 2 });
    await loop2.synced();
    expect(handler.events.map((e) => e.eventId)).toEqual(sent);
  });

  it('hands over invitations, reactions, redactions and edits with their relations', async () => {
    const [bot, worker] = await Promise.all([newUser('bot'), newUser('worker')]);
    const handler = new RecordingHandler();
    const loop = startLoop(bot, new MemoryTokenStore(), handler);
    await loop.synced();
    const roomId = await worker.client.createRoom({ preset: 'private_chat', invite: [bot.userId] });
    await waitFor('the invitation', async () => handler.invites.length > 0);
    expect(handler.invites).toEqual([{ roomId, inviter: worker.userId }]);
    await bot.client.join(roomId);

    const msg = await sendText(worker, roomId, 'bonjour');
    const reaction = await worker.client.sendEvent(roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: msg, key: '👍' } }, 'r1');
    const edit = await worker.client.sendEvent(
      roomId,
      'm.room.message',
      { msgtype: 'm.text', body: '* bonsoir', 'm.new_content': { msgtype: 'm.text', body: 'bonsoir' }, 'm.relates_to': { rel_type: 'm.replace', event_id: msg } },
      'e1',
    );
    const redaction = await worker.client.redact(roomId, reaction, 'x1');
    await waitFor('the redaction', async () => handler.events.some((e) => e.eventId === redaction));
    const byId = new Map(handler.events.map((e) => [e.eventId, e]));
    expect(byId.get(reaction)).toMatchObject({ type: 'm.reaction', relatesTo: { relType: 'm.annotation', eventId: msg } });
    expect(byId.get(edit)).toMatchObject({ type: 'm.room.message', relatesTo: { relType: 'm.replace', eventId: msg } });
    expect(byId.get(redaction)).toMatchObject({ type: 'm.room.redaction', redacts: reaction });
    // The bot's own join comes through as a member event.
    expect(handler.events.some((e) => e.type === 'm.room.member' && e.stateKey === bot.userId && e.content.membership === 'join')).toBe(true);
  });

  it('hands over, on the first-ever start, the invitations that were waiting (but no history)', async () => {
    const [bot, worker] = await Promise.all([newUser('bot'), newUser('worker')]);
    const roomId = await worker.client.createRoom({ preset: 'private_chat', invite: [bot.userId] });
    await sendText(worker, roomId, 'avant le démarrage');
    const handler = new RecordingHandler();
    const loop = startLoop(bot, new MemoryTokenStore(), handler);
    await loop.synced();
    expect(handler.invites).toEqual([{ roomId, inviter: worker.userId }]);
    expect(handler.events).toEqual([]);
    expect(await bot.client.join(roomId, ['localhost'])).toBe(roomId);
  });

  it('sits out an unreachable homeserver, says so in health(), and stops at once', async () => {
    const handler = new RecordingHandler();
    const client = new MatrixClient('http://127.0.0.1:9', 'token');
    const loop = new SyncLoop({ client, userId: '@bot:localhost', tokens: new MemoryTokenStore(), handler, logger: testLogger, minBackoffMs: 50 });
    loop.start();
    await waitFor('failures', async () => loop.health().consecutiveFailures >= 3);
    expect(loop.health()).toMatchObject({ running: true, lastError: expect.stringContaining('does not answer') });
    expect(loop.health().lastSyncAt).toBeUndefined();
    const t0 = Date.now();
    await loop.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(loop.health().running).toBe(false);
  });
});
