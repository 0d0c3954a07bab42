/**
 * The bridge end to end in one process: a whole Lien with Twilio configured (Twilio's REST API stood in
 * for by nock, every request it sees recorded), a team, a worker who is a real account on the run's
 * Synapse, and people. Tests drive it as Twilio and the worker would: signed webhooks in, the worker's own
 * Matrix account in the rooms, and read what comes out where it comes out.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, beforeAll, inject } from 'vitest';
import { MatrixClient, MatrixError } from '../../src/channels/matrix/client.js';
import { signTwilioRequest } from '../../src/channels/sms/signature.js';
import { ROUND_THE_CLOCK_SLOTS } from '../../src/domain/opening.js';
import { NOTICE_VERSION } from '../../src/domain/notice.js';
import type { Language } from '../../src/domain/types.js';
import type { PersonDocument, TeamDocument, WorkerDocument } from '../../src/store/models/index.js';
import { startTestLien, type TestLien } from './lien.js';
import { readRoomEvents, registerUser, uniqueLocalpart, type MatrixEvent } from './matrix.js';
import { waitFor } from './wait.js';

/** Lien's French sentences, as the workers read them. */
export const fr = JSON.parse(readFileSync(new URL('../../locales/fr.json', import.meta.url), 'utf8')) as Record<string, unknown>;

export const SERVICE_NUMBER = '+33757000000';
export const TWILIO_API = 'https://api.twilio.com';

/**
 * A metropolitan French mobile number of this run, unique enough for tests sharing a database (+33 6 1…, +33 6 2…):
 * not 06 39, 06 90–06 94, 06 96 or 06 97, which are overseas numbers (+262, +590, +594, +596).
 */
export function mobileNumber(): string {
  return `+336${1 + (randomBytes(1)[0] ?? 0) % 2}${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, '0')}`;
}

export function twilioSid(prefix = 'SM'): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The locale text, with `{name}`-style placeholders filled in. */
export function frText(key: string, vars: Record<string, string> = {}): string {
  let node: unknown = fr;
  for (const part of key.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'string') throw new Error(`no fr text ${key}`);
  return node.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

// ---------------------------------------------------------------------------------------------------
// Twilio's REST API, as nock stands in for it

/** One request Twilio's Messages resource received, and what it answered. */
export interface TwilioRequest {
  form: Record<string, string>;
  status: number;
  /** The SID answered, when the answer was 201. */
  sid?: string;
  authorization?: string;
}

/**
 * Twilio's Messages resource for one account: records every POST it gets and answers 201 with a new
 * SID, or what `failNext` planned for a given number.
 */
export class TwilioApi {
  readonly requests: TwilioRequest[] = [];
  private readonly planned: Array<{ to: string; text: string | undefined; status: number; body: Record<string, unknown> }> = [];
  readonly path: string;

  constructor(readonly accountSid: string) {
    this.path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
  }

  /** Intercepts Twilio's API (and nothing else: every other non-loopback connection is refused). */
  install(): void {
    const answer = (form: Record<string, string>, authorization: string | undefined) => this.answer(form, authorization);
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    nock(TWILIO_API)
      .persist()
      .post(this.path)
      .reply(function (_uri, body) {
        return answer(formOf(body), this.req.headers.authorization);
      });
  }

  /** Records a request and answers it: as planned for its number and text, or 201 with a new SID. */
  private answer(form: Record<string, string>, authorization: string | undefined): [number, Record<string, unknown>] {
    const i = this.planned.findIndex((p) => p.to === form.To && (p.text === undefined || p.text === form.Body));
    const [plan] = i >= 0 ? this.planned.splice(i, 1) : [];
    if (plan) {
      this.requests.push({ form, status: plan.status, authorization });
      return [plan.status, plan.body];
    }
    const sid = twilioSid();
    this.requests.push({ form, status: 201, sid, authorization });
    return [201, { sid, account_sid: this.accountSid, to: form.To, from: form.From, body: form.Body, status: 'queued', num_segments: '1', direction: 'outbound-api', api_version: '2010-04-01', uri: `${this.path.replace(/\.json$/, '')}/${sid}.json` }];
  }

  uninstall(): void {
    nock.cleanAll();
    nock.enableNetConnect();
  }

  /**
   * The next `times` requests for this number (and this text, when given) get this HTTP answer, with
   * Twilio's error body.
   */
  failNext(to: string, status: number, code: number, opts: { times?: number; text?: string } = {}): void {
    for (let i = 0; i < (opts.times ?? 1); i++) {
      this.planned.push({ to, text: opts.text, status, body: { code, message: 'planned failure', more_info: `https://www.twilio.com/docs/errors/${code}`, status } });
    }
  }

  /** Every request for this number, in the order Twilio received them. */
  to(number: string): TwilioRequest[] {
    return this.requests.filter((r) => r.form.To === number);
  }

  /** The requests Twilio accepted (201) for this number, in order. */
  sentTo(number: string): TwilioRequest[] {
    return this.to(number).filter((r) => r.status === 201);
  }

  /** Waits until Twilio has accepted `count` SMS for this number; returns them. */
  waitForSent(number: string, count = 1, timeoutMs = 15_000): Promise<TwilioRequest[]> {
    return waitFor(`${count} SMS accepted by Twilio for ${number}`, async () => {
      const sent = this.sentTo(number);
      return sent.length >= count ? sent : undefined;
    }, timeoutMs);
  }
}

function formOf(body: unknown): Record<string, string> {
  if (typeof body === 'string') return Object.fromEntries(new URLSearchParams(body));
  if (typeof body === 'object' && body !== null) return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]));
  return {};
}

// ---------------------------------------------------------------------------------------------------
// Twilio's webhooks

export interface WebhookAnswer {
  status: number;
  text: string;
}

async function postForm(url: string, params: Record<string, string>, signature: string | undefined): Promise<WebhookAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(signature !== undefined ? { 'X-Twilio-Signature': signature } : {}) },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text() };
}

/** The form Twilio posts for an SMS arriving on the service's number. */
export function inboundParams(bridge: Pick<Bridge, 'accountSid'>, sms: InboundSmsParams): Record<string, string> {
  const media = sms.media ?? [];
  return {
    MessageSid: sms.sid ?? twilioSid(),
    AccountSid: bridge.accountSid,
    From: sms.from,
    To: SERVICE_NUMBER,
    Body: sms.body,
    NumMedia: String(media.length),
    ...Object.fromEntries(media.flatMap((m, i) => [[`MediaUrl${i}`, m.url], [`MediaContentType${i}`, m.contentType]])),
  };
}

export interface InboundSmsParams {
  from: string;
  body: string;
  sid?: string;
  /** MMS attachments, as Twilio lists them (URLs on its API). */
  media?: Array<{ url: string; contentType: string }>;
}

/** Posts an inbound SMS to Lien as Twilio does, signed with the account's auth token (or as given). */
export function sendSms(bridge: Bridge, sms: InboundSmsParams, opts: { signature?: string | null } = {}): Promise<WebhookAnswer> {
  const url = `${bridge.lien.url}/twilio/sms`;
  const params = inboundParams(bridge, sms);
  const signature = opts.signature === null ? undefined : (opts.signature ?? signTwilioRequest(bridge.authToken, url, params));
  return postForm(url, params, signature);
}

/** Posts a status callback for an SMS Lien sent, signed as Twilio does. */
export function sendStatus(bridge: Bridge, update: { sid: string; status: string; errorCode?: string | number }): Promise<WebhookAnswer> {
  const url = `${bridge.lien.url}/twilio/status`;
  const params: Record<string, string> = {
    MessageSid: update.sid,
    SmsSid: update.sid,
    MessageStatus: update.status,
    SmsStatus: update.status,
    AccountSid: bridge.accountSid,
    From: SERVICE_NUMBER,
    ...(update.errorCode !== undefined ? { ErrorCode: String(update.errorCode) } : {}),
  };
  return postForm(url, params, signTwilioRequest(bridge.authToken, url, params));
}

// ---------------------------------------------------------------------------------------------------
// The worker, a real account on the run's Synapse

export class TestWorker {
  readonly client: MatrixClient;

  constructor(
    readonly userId: string,
    readonly accessToken: string,
    readonly doc: WorkerDocument,
    /** The worker's device (for a second client of their own, e.g. one with end-to-end encryption). */
    readonly deviceId?: string,
  ) {
    this.client = new MatrixClient(inject('synapseUrl'), accessToken);
  }

  get displayName(): string {
    return this.doc.displayName;
  }

  /** Joins a room Lien invited this worker to, waiting for the invitation if it is not there yet. */
  async joinWhenInvited(roomId: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(`${this.userId} invited to ${roomId}`, async () => {
      try {
        await this.client.join(roomId);
        return true;
      } catch (err) {
        if (err instanceof MatrixError && err.status === 403) return false; // not invited yet
        throw err;
      }
    }, timeoutMs, 200);
  }

  /** The worker's membership in a room as the room's state says (`invite`, `join`…). */
  async membership(roomId: string): Promise<string | undefined> {
    const member = await this.client.getStateEvent<{ membership?: string }>(roomId, 'm.room.member', this.userId);
    return member.membership;
  }

  /** The events of a room, oldest first, as the worker reads them. */
  events(roomId: string, type?: string): Promise<MatrixEvent[]> {
    return readRoomEvents(inject('synapseUrl'), this.accessToken, roomId, { limit: 200, ...(type ? { type } : {}) });
  }

  /** Lien's messages (texts and notices) in a room, oldest first. */
  async messagesFrom(roomId: string, sender: string): Promise<MatrixEvent[]> {
    return (await this.events(roomId, 'm.room.message')).filter((e) => e.sender === sender);
  }

  /** Waits until an event of the room matches. */
  waitForEvent(roomId: string, what: string, predicate: (e: MatrixEvent) => boolean, timeoutMs = 15_000): Promise<MatrixEvent> {
    return waitFor(`${what} in ${roomId}`, async () => (await this.events(roomId)).find(predicate), timeoutMs, 200);
  }

  /** Posts a text in a room; returns its event id. */
  say(roomId: string, body: string): Promise<string> {
    return this.send(roomId, { msgtype: 'm.text', body });
  }

  send(roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
    return this.client.sendEvent(roomId, type, content, `worker-${randomUUID()}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// The whole bridge

export interface Bridge {
  /** LIEN_RETENTION_MONTHS of this Lien (what the first-contact notice says). */
  retentionMonths: number;
  lien: TestLien;
  twilio: TwilioApi;
  accountSid: string;
  authToken: string;
  team: TeamDocument;
  worker: TestWorker;
  /** Lien's bot account. */
  botUserId: string;
  stop(): Promise<void>;
}

/**
 * Starts a Lien with Twilio configured (nock answers for Twilio), seeds a team and a worker registered
 * on the run's Synapse, and waits until Lien's sync loop has caught up, so that whatever the worker
 * posts from now on is news to Lien.
 */
export interface BridgeOptions {
  /** Create the team's rooms end-to-end encrypted (the default for real teams); off for the plain-client tests. */
  encryptRooms?: boolean;
  /** Lien's clock (the time of day its decisions read); the real one when not given. */
  now?: () => Date;
  /**
   * The team's daily acknowledgement of a person's first message. Off unless asked: it depends on the
   * time of day (office hours, the person's welcome hours), which only tests with a fixed clock control.
   */
  acknowledgeDaily?: boolean;
}

export async function startBridge(overrides: Record<string, string> = {}, opts: BridgeOptions = {}): Promise<Bridge> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const twilio = new TwilioApi(accountSid);
  twilio.install();
  let lien: TestLien | undefined;
  try {
    lien = await startTestLien({
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_FROM_NUMBER: SERVICE_NUMBER,
      TWILIO_TIMEOUT_MS: '5000',
      OUTBOX_SWEEP_EVERY_MS: '300',
      SCHEDULER_PROCESS_EVERY_MS: '100',
      // A moved clock makes what the test writes at the real time look years old: the daily retention
      // job, which runs at start, would erase it. Tests about retention set their own period.
      ...(opts.now ? { LIEN_RETENTION_MONTHS: '360' } : {}),
      ...overrides,
    }, opts.now ? { now: opts.now } : {});
    const { Team, Worker } = lien.db.models;
    const slug = uniqueLocalpart('equipe').toLowerCase();
    // Clear rooms unless asked: most tests read them with a plain client; tests/integration/e2ee covers encrypted ones.
    // Open round the clock unless the test sets the clock: otherwise what the bridge does would depend on the hour the tests run.
    const hours = opts.now ? {} : { officeHours: ROUND_THE_CLOCK_SLOTS, holidayCalendar: 'none' };
    const team = await Team.create({ slug, name: 'Service social de Bellevue', ...hours, settings: { encryptRooms: opts.encryptRooms ?? false, acknowledgeDaily: opts.acknowledgeDaily ?? false } });
    const session = await registerUser(inject('synapseUrl'), inject('synapseSharedSecret'), { localpart: uniqueLocalpart('worker'), password: randomBytes(12).toString('hex') });
    const workerDoc = await Worker.create({ matrixUserId: session.userId, displayName: 'Sophie Bernard', team: team._id });
    await lien.synced();
    const started = lien;
    return {
      retentionMonths: Number(overrides.LIEN_RETENTION_MONTHS ?? (opts.now ? '360' : '24')),
      lien,
      twilio,
      accountSid,
      authToken,
      team,
      worker: new TestWorker(session.userId, session.accessToken, workerDoc, session.deviceId),
      botUserId: lien.botUserId,
      stop: async () => {
        await started.stop();
        twilio.uninstall();
      },
    };
  } catch (err) {
    await lien?.stop();
    twilio.uninstall();
    throw err;
  }
}

/**
 * A person of the bridge's team, followed by its worker. Unless `informed: false`, they have had the
 * first-contact notice already (their consent is recorded), so that their first SMS gets no notice.
 */
export async function addPerson(bridge: Bridge, person: { displayName: string; phone?: string; pseudonym?: string; informed?: boolean; language?: Language }): Promise<PersonDocument & { phone: string }> {
  const phone = person.phone ?? mobileNumber();
  const { cipher } = bridge.lien;
  const doc = await bridge.lien.db.models.Person.create({
    phoneIndex: cipher.blindIndex(phone),
    phoneSealed: cipher.encrypt(phone),
    displayName: person.displayName,
    pseudonym: person.pseudonym ?? `Personne ${randomBytes(2).readUInt16BE() % 10_000}`,
    team: bridge.team._id,
    referent: bridge.worker.doc._id,
    language: person.language ?? 'fr',
    consent: person.informed === false ? null : { noticeVersion: NOTICE_VERSION, givenAt: new Date(), channel: 'sms' },
  });
  return Object.assign(doc, { phone });
}

/** The person's portal room, once Lien has created it (it does so for their first message). */
export async function portalRoomOf(bridge: Bridge, personId: PersonDocument['_id'], timeoutMs = 15_000): Promise<string> {
  return waitFor('the portal room', async () => {
    const conversation = await bridge.lien.db.models.Conversation.findOne({ person: personId }, { matrixRoomId: 1 }).lean();
    return conversation?.matrixRoomId ?? undefined;
  }, timeoutMs);
}

/** The team's triage room, once Lien has created it. */
export async function triageRoomOf(bridge: Bridge, timeoutMs = 15_000): Promise<string> {
  return waitFor('the triage room', async () => (await bridge.lien.db.models.Team.findById(bridge.team._id, { triageRoomId: 1 }).lean())?.triageRoomId ?? undefined, timeoutMs);
}

/** The person's portal room, joined by the worker. */
export async function joinPortal(bridge: Bridge, personId: PersonDocument['_id']): Promise<string> {
  const roomId = await portalRoomOf(bridge, personId);
  await bridge.worker.joinWhenInvited(roomId);
  return roomId;
}

/** A notice of Lien's in the room whose text is exactly this. */
export function waitForNotice(bridge: Bridge, roomId: string, body: string, timeoutMs = 15_000): Promise<MatrixEvent> {
  return bridge.worker.waitForEvent(roomId, `the notice "${body.slice(0, 40)}…"`, (e) => e.sender === bridge.botUserId && e.type === 'm.room.message' && e.content.msgtype === 'm.notice' && e.content.body === body, timeoutMs);
}

/** Lien's messages in the room whose text is exactly this (a person's SMS as posted, a notice…). */
export async function botMessages(bridge: Bridge, roomId: string, body: string): Promise<MatrixEvent[]> {
  return (await bridge.worker.messagesFrom(roomId, bridge.botUserId)).filter((e) => e.content.body === body);
}

/** One bridge for a describe block: started before its first test, stopped after its last. */
export function useBridge(overrides: Record<string, string> = {}, opts: BridgeOptions = {}): Bridge {
  const bridge = {} as Bridge;
  beforeAll(async () => {
    Object.assign(bridge, await startBridge(overrides, opts));
  });
  afterAll(async () => {
    await bridge.stop?.();
  });
  return bridge;
}
