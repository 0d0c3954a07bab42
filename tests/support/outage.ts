/**
 * Helpers for the outage and crash tests: a Synapse of the test's own that can be stopped and started
 * again at the same address, Twilio-signed inbound SMS, and a team, worker and person seeded straight
 * into the database.
 */
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { inject } from 'vitest';
import { signTwilioRequest } from '../../src/channels/sms/signature.js';
import { startSynapse, type EmbeddedSynapse } from '../../src/embedded/synapse.js';
import type { FieldCipher } from '../../src/store/field-cipher.js';
import type { Models } from '../../src/store/models/index.js';
import { readRoomEvents, registerUser, uniqueLocalpart, type MatrixEvent, type MatrixSession } from './matrix.js';

/** A Synapse whose data lives in `dataDir`: stop() it for an outage, start() it again on the same port. */
export class OwnSynapse {
  private current: EmbeddedSynapse | undefined;
  private port: number | undefined;

  constructor(readonly dataDir: string) {}

  async start(): Promise<EmbeddedSynapse> {
    if (this.current) return this.current;
    this.current = await startSynapse({
      toolsDir: inject('toolsDir'),
      dataDir: path.join(this.dataDir, 'synapse'),
      progress: () => undefined,
      ...(this.port ? { port: this.port } : {}),
    });
    this.port = this.current.port;
    return this.current;
  }

  async stop(): Promise<void> {
    const s = this.current;
    this.current = undefined;
    await s?.stop();
  }

  /** Freezes the homeserver (SIGSTOP): connections are still accepted, but nothing is answered. */
  freeze(): void {
    const pid = this.running.process.pid;
    if (pid) process.kill(pid, 'SIGSTOP');
  }

  /** Lets a frozen homeserver go on (SIGCONT) with what it was sent meanwhile. */
  thaw(): void {
    const pid = this.running.process.pid;
    if (pid) process.kill(pid, 'SIGCONT');
  }

  private get running(): EmbeddedSynapse {
    if (!this.current) throw new Error('the test Synapse is not running');
    return this.current;
  }

  get baseUrl(): string {
    return this.running.baseUrl;
  }

  /** A fresh account on this homeserver, with its password. */
  async account(prefix: string, admin = false): Promise<MatrixSession & { password: string }> {
    const password = randomBytes(12).toString('hex');
    const session = await registerUser(this.running.baseUrl, this.running.sharedSecret, { localpart: uniqueLocalpart(prefix), password, admin });
    return { ...session, password };
  }
}

/** The token Lien signs and checks webhooks with when there is no Twilio account (as src/lien.ts derives it). */
export function devPhoneToken(secretKeyBase64: string): string {
  return createHmac('sha256', Buffer.from(secretKeyBase64, 'base64')).update('dev phone').digest('hex');
}

/** Posts an inbound SMS to `<lienUrl>/twilio/sms`, form-encoded and signed as Twilio signs it. */
export async function postInboundSms(lienUrl: string, authToken: string, sms: { from: string; body: string; to?: string; sid?: string }): Promise<Response> {
  const url = `${lienUrl}/twilio/sms`;
  const sid = sms.sid ?? `SM${randomBytes(16).toString('hex')}`;
  const params = { MessageSid: sid, SmsSid: sid, AccountSid: `AC${'0'.repeat(32)}`, From: sms.from, To: sms.to ?? '+33700000000', Body: sms.body, NumMedia: '0' };
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signTwilioRequest(authToken, url, params) },
    body: new URLSearchParams(params).toString(),
  });
}

/** A team, its worker (an existing Matrix account) and one person they accompany, phone sealed as Lien seals it. */
export async function seedPerson(
  models: Models,
  cipher: FieldCipher,
  opts: { workerUserId: string; phone: string; displayName: string },
): Promise<{ teamId: string; workerId: string; personId: string }> {
  const slug = `equipe-${randomBytes(4).toString('hex')}`;
  const team = await models.Team.create({ slug, name: `Équipe ${slug}`, settings: { encryptRooms: false } });
  const worker = await models.Worker.create({ matrixUserId: opts.workerUserId, displayName: 'Référente de test', team: team._id });
  const person = await models.Person.create({
    phoneIndex: cipher.blindIndex(opts.phone),
    phoneSealed: cipher.encrypt(opts.phone),
    displayName: opts.displayName,
    pseudonym: `Personne ${randomBytes(2).readUInt16BE() % 9000 + 1000}`,
    team: team._id,
    referent: worker._id,
  });
  return { teamId: String(team._id), workerId: String(worker._id), personId: String(person._id) };
}

/** The text messages `sender` posted in the room, oldest first, as a member of it reads them. */
export async function roomTexts(baseUrl: string, token: string, roomId: string, sender: string): Promise<MatrixEvent[]> {
  const events = await readRoomEvents(baseUrl, token, roomId, { type: 'm.room.message', limit: 200 });
  return events.filter((e) => e.sender === sender && e.content.msgtype === 'm.text');
}

export type Health = { status: string; checks: Record<string, { status: string; detail?: string; reason?: string }> };

export async function health(lienUrl: string): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${lienUrl}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}
