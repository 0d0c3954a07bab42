import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MatrixClient, MatrixError, parseMxc } from '../../../src/channels/matrix/client.js';
import { RoomProvisioner } from '../../../src/channels/matrix/rooms.js';
import { readRoomEvents } from '../../support/matrix.js';
import { baseUrl, newUser } from './helpers.js';

/** A throwaway HTTP server answering with `handle`; returns its base URL and a close function. */
async function fakeHomeserver(handle: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('MatrixClient', () => {
  it('sends an event once when the same transaction id is sent twice', async () => {
    const [bot, worker] = await Promise.all([newUser('bot'), newUser('worker')]);
    const roomId = await new RoomProvisioner(bot.client, bot.userId).createPortalRoom({ name: 'Suivi', invite: [worker.userId], encrypted: false });
    const content = { msgtype: 'm.text', body: 'une seule fois' };
    const first = await bot.client.sendEvent(roomId, 'm.room.message', content, 'lien-msg-42');
    const again = await bot.client.sendEvent(roomId, 'm.room.message', content, 'lien-msg-42');
    expect(again).toBe(first);
    const other = await bot.client.sendEvent(roomId, 'm.room.message', content, 'lien-msg-43');
    expect(other).not.toBe(first);

    const messages = await readRoomEvents(baseUrl, bot.accessToken, roomId, { type: 'm.room.message' });
    expect(messages.map((e) => e.event_id)).toEqual([first, other]);

    // Redaction, also deduplicated by transaction id.
    const r1 = await bot.client.redact(roomId, other, 'lien-redact-43', 'doublon');
    expect(await bot.client.redact(roomId, other, 'lien-redact-43', 'doublon')).toBe(r1);

    // /messages through the client: newest first backwards.
    const page = await bot.client.roomMessages(roomId, { dir: 'b', limit: 10, filter: { types: ['m.room.message'] } });
    expect(page.chunk.map((e) => e.event_id)).toEqual([other, first]);
    expect(page.chunk[0]?.content).toEqual({});
  });

  it('uploads media and downloads it back (authenticated media)', async () => {
    const [bot, worker] = await Promise.all([newUser('bot'), newUser('worker')]);
    const data = new Uint8Array(randomBytes(50_000));
    const mxc = await bot.client.uploadMedia(data, 'image/png', 'photo reçue.png');
    expect(parseMxc(mxc)).toMatchObject({ serverName: 'localhost' });
    const got = await worker.client.downloadMedia(mxc);
    expect(Buffer.from(got.data).equals(Buffer.from(data))).toBe(true);
    expect(got.contentType).toBe('image/png');
    expect(got.filename).toBe('photo reçue.png');

    await expect(worker.client.downloadMedia('mxc://localhost/doesnotexist')).rejects.toMatchObject({ status: 404 });
    // Authenticated media needs a token.
    await expect(new MatrixClient(baseUrl, undefined).downloadMedia(mxc)).rejects.toMatchObject({ status: 401 });
    expect(() => parseMxc('https://example.org/x')).toThrow(/not an mxc/);
  });

  it('sets the display name', async () => {
    const bot = await newUser('bot');
    await bot.client.setDisplayName(bot.userId, 'Lien');
    const profile = await bot.client.request<{ displayname: string }>('GET', `/_matrix/client/v3/profile/${encodeURIComponent(bot.userId)}/displayname`);
    expect(profile.displayname).toBe('Lien');
  });

  it('falls back to the legacy media endpoint on a homeserver without authenticated media', async () => {
    const seen: string[] = [];
    const hs = await fakeHomeserver((req, _body, res) => {
      seen.push(req.url ?? '');
      if (req.url?.startsWith('/_matrix/client/v1/media/')) return json(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Disposition': 'inline; filename="note.txt"' });
      res.end('bonjour');
    });
    try {
      const client = new MatrixClient(hs.url, 'tok');
      const got = await client.downloadMedia('mxc://example.org/abc');
      expect(Buffer.from(got.data).toString()).toBe('bonjour');
      expect(got).toMatchObject({ contentType: 'text/plain', filename: 'note.txt' });
      await client.downloadMedia('mxc://example.org/def');
      // The second download goes straight to the legacy endpoint.
      expect(seen).toEqual(['/_matrix/client/v1/media/download/example.org/abc', '/_matrix/media/v3/download/example.org/abc', '/_matrix/media/v3/download/example.org/def']);
    } finally {
      await hs.close();
    }
  });

  it('sits out 429 on uploads too, sending the bytes again', async () => {
    const bodies: string[] = [];
    const hs = await fakeHomeserver((req, body, res) => {
      bodies.push(`${req.headers['content-type']}:${body.toString()}`);
      if (bodies.length === 1) return json(res, 429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 50 });
      json(res, 200, { content_uri: 'mxc://example.org/up' });
    });
    try {
      expect(await new MatrixClient(hs.url, 'tok').uploadMedia(new TextEncoder().encode('abc'), 'text/plain', 'a.txt')).toBe('mxc://example.org/up');
      expect(bodies).toEqual(['text/plain:abc', 'text/plain:abc']);
    } finally {
      await hs.close();
    }
  });

  it('reports Matrix errors with status and errcode', async () => {
    const bot = await newUser('bot');
    const err = await bot.client.join('!nowhere:localhost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).status).toBeGreaterThanOrEqual(400);
  });
});
