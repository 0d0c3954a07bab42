/**
 * Office hours and the right to disconnect. A message that arrives while its team is closed still goes
 * to the room at once, but: the person gets one automatic answer per closed period (when the team is
 * back, and the emergency numbers), the room message mentions nobody, and when the team opens again the
 * room gets one digest that mentions the referent. Inside hours, a person's message mentions the worker
 * who answers them, so that their client notifies them.
 *
 * "At most once" is won by unique inserts (FerretDB applies no conditional update atomically): the claim
 * `closed-reply:<conversation>:<period>` for the answer, the digest's own `_id` for scheduling it, and
 * the notice's dedupe key for posting it.
 */
import { gsmFriendly } from '../channels/sms/segments.js';
import type { Mention } from '../channels/matrix/messages.js';
import { closedPeriodKey, isTeamOpen, nextOpening, OPENING_HORIZON_DAYS, teamHours, type TeamHours } from '../domain/opening.js';
import { dateLocale } from '../domain/types.js';
import type { ConversationDocument, MessageDocument, PersonDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';
import { Directory } from './directory.js';
import { MessageStore } from './messages.js';

/** The scheduled job that posts one digest when its team opens (defined in scheduler/jobs/opening-digest.ts). */
export const OPENING_DIGEST_JOB = 'hours.openingDigest';

const HORIZON_MS = OPENING_HORIZON_DAYS * 24 * 3600_000;

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

/** "lundi 30 novembre à 09:00": when the team is back, in the person's language and the team's timezone. */
export function formatReopening(at: Date, timeZone: string, language: string): string {
  const f = new Intl.DateTimeFormat(dateLocale(language), { timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return f.format(at);
}

/** "samedi 28/11 10:00": when a message arrived, for the workers' digest. */
export function formatArrival(at: Date, timeZone: string, language: string): string {
  const f = new Intl.DateTimeFormat(dateLocale(language), { timeZone, weekday: 'long', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return f.format(at);
}

/** What the digest of one closed period is made of. */
interface DigestDoc {
  _id: string;
  conversation: ConversationDocument['_id'];
  team: ConversationDocument['_id'];
  period: string;
  opensAt: Date;
  replied?: boolean | null;
}

export class OfficeHours {
  private readonly directory: Directory;
  private readonly messages: MessageStore;

  constructor(private readonly ctx: RoutingContext) {
    this.directory = new Directory(ctx);
    this.messages = new MessageStore(ctx);
  }

  /** A team's hours as stored (the default slots when it set none). */
  async hoursOf(teamId: unknown): Promise<TeamHours> {
    const team = await this.ctx.models.Team.findById(teamId, { timezone: 1, officeHours: 1, closures: 1, holidayCalendar: 1 }).lean();
    return teamHours(team ?? {});
  }

  /** The automatic answer to a message that arrived while the team is closed, in the person's language. */
  closedReply(language: string, hours: TeamHours, reopening: Date | undefined): string {
    const emergency = this.ctx.i18n.t(language, 'hours.emergency');
    const text = reopening
      ? this.ctx.i18n.t(language, 'hours.closedReply', { reopening: formatReopening(reopening, hours.timezone, language), emergency })
      : this.ctx.i18n.t(language, 'hours.closedReplyNoDate', { emergency });
    // Lien's own typography must not turn a 2-SMS text into a 5-SMS one (see channels/sms/segments.ts).
    return gsmFriendly(text);
  }

  /**
   * Called once a person's message is stored (and the consent keywords applied). Outside hours: the
   * message is remembered for the digest, the digest is scheduled, and the person gets the automatic
   * answer once per closed period. Never throws: the message itself is already on its way to the room.
   */
  async onInbound(person: PersonDocument, conversation: ConversationDocument, message: MessageDocument, opts: { reply?: boolean } = {}): Promise<void> {
    try {
      await this.handleInbound(person, conversation, message, opts.reply ?? true);
    } catch (err) {
      this.ctx.logger.error({ messageId: String(message._id), err: { name: (err as Error).name, message: (err as Error).message } }, 'office hours: could not handle a message that arrived');
    }
  }

  private async handleInbound(person: PersonDocument, conversation: ConversationDocument, message: MessageDocument, reply: boolean): Promise<void> {
    const now = this.ctx.now();
    const hours = await this.hoursOf(conversation.team);
    if (isTeamOpen(hours, now)) return;
    const period = closedPeriodKey(hours, now);
    const reopening = nextOpening(hours, now);
    try {
      await this.ctx.models.OutOfHoursMessage.create({ _id: message._id, conversation: conversation._id, period, at: now });
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }

    // The digest this room is owed at the opening; whoever creates it schedules it.
    const digestId = `${String(conversation._id)}:${period}`;
    const opensAt = reopening ?? new Date(now.getTime() + HORIZON_MS);
    let created = false;
    try {
      await this.ctx.models.OpeningDigest.create({ _id: digestId, conversation: conversation._id, team: conversation.team, period, opensAt });
      created = true;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    if (created) await this.ctx.scheduleOnce?.(OPENING_DIGEST_JOB, opensAt, { digest: digestId }, `opening-digest:${digestId}`);

    // One automatic answer per closed period, to a person who has not said STOP (nor may be saying it now).
    if (!reply) return;
    if (!(await this.ctx.claims.acquire(`closed-reply:${String(conversation._id)}:${period}`))) return;
    if ((await this.ctx.models.Person.findById(person._id, { optedOut: 1 }).lean())?.optedOut) return;
    await this.messages.queueSms({
      keyPrefix: `closed-reply:${String(message._id)}`,
      conversation: conversation._id,
      person: person._id,
      body: this.closedReply(person.language, hours, reopening),
      kind: 'notice',
    });
    await this.ctx.models.OpeningDigest.updateOne({ _id: digestId }, { $set: { replied: true } });
    await this.ctx.audit.append({
      actor: { kind: 'system' },
      action: 'hours.closed_reply',
      subject: { kind: 'message', id: String(message._id) },
      conversation: conversation._id,
      details: { period },
    });
  }

  /**
   * Whom the room message of a person's message should mention: the worker who answers them, inside
   * hours only. Out of hours (the message arrived while closed, or the team is closed now) nobody.
   */
  async mentionFor(message: { _id: unknown }, person: PersonDocument, conversation: ConversationDocument): Promise<Mention | undefined> {
    if (person.triage) return undefined;
    if (await this.ctx.models.OutOfHoursMessage.findById(message._id, { _id: 1 }).lean()) return undefined;
    const now = this.ctx.now();
    if (!isTeamOpen(await this.hoursOf(conversation.team), now)) return undefined;
    const owner = await this.directory.ownerOf(person, now);
    return owner ? { userId: owner.matrixUserId, name: owner.displayName } : undefined;
  }

  /** Posts every digest whose opening has come (the periodic sweep: catches what a crash left behind). */
  async postDueDigests(): Promise<number> {
    const now = this.ctx.now();
    const due = await this.ctx.models.OpeningDigest.find({ opensAt: { $lte: now } }).limit(500).lean();
    let posted = 0;
    for (const digest of due) {
      try {
        if (await this.post(digest as DigestDoc, now)) posted++;
      } catch (err) {
        this.ctx.logger.warn({ digest: digest._id, err: { message: (err as Error).message } }, 'office hours: digest not posted yet; the next sweep tries again');
      }
    }
    return posted;
  }

  /** Posts one digest if its opening has come (the job scheduled for that opening). */
  async postDigest(id: string): Promise<boolean> {
    const digest = await this.ctx.models.OpeningDigest.findById(id).lean();
    const now = this.ctx.now();
    if (!digest || digest.opensAt > now) return false;
    return this.post(digest as DigestDoc, now);
  }

  private async post(digest: DigestDoc, now: Date): Promise<boolean> {
    const { models, i18n, staffLanguage } = this.ctx;
    const hours = await this.hoursOf(digest.team);
    if (!isTeamOpen(hours, now)) {
      // The team is closed again (its hours changed, or this runs late): the digest waits for the next opening.
      const opensAt = nextOpening(hours, now) ?? new Date(now.getTime() + HORIZON_MS);
      await models.OpeningDigest.updateOne({ _id: digest._id }, { $set: { opensAt } });
      await this.ctx.scheduleOnce?.(OPENING_DIGEST_JOB, opensAt, { digest: digest._id }, `opening-digest:${digest._id}:${opensAt.toISOString()}`);
      return false;
    }
    const arrivals = await models.OutOfHoursMessage.find({ conversation: digest.conversation, period: digest.period }, { at: 1 }).sort({ at: 1 }).lean();
    const conversation = await models.Conversation.findById(digest.conversation);
    const person = conversation ? await models.Person.findById(conversation.person) : null;
    const first = arrivals[0];
    const last = arrivals.at(-1);
    if (conversation && person && first && last) {
      const name = await this.directory.labelOf(person);
      const when = (d: Date) => formatArrival(d, hours.timezone, staffLanguage);
      let text =
        arrivals.length === 1
          ? i18n.t(staffLanguage, 'hours.digestOne', { name, at: when(first.at) })
          : i18n.t(staffLanguage, 'hours.digest', { name, count: arrivals.length, from: when(first.at), until: when(last.at) });
      if (digest.replied) text += ` ${i18n.t(staffLanguage, 'hours.digestReplied')}`;
      const owner = person.triage ? null : await this.directory.ownerOf(person, now);
      // The notice's dedupe key makes it one, whichever process (or retry after a crash) gets here.
      const { duplicate } = await this.messages.queueNotice(conversation._id, `opening-digest:${digest._id}`, text, { mentions: owner ? [owner.matrixUserId] : [] });
      if (!duplicate) {
        await this.ctx.audit.append({ actor: { kind: 'system' }, action: 'hours.digest_posted', subject: { kind: 'conversation', id: String(conversation._id) }, conversation: conversation._id, details: { messages: arrivals.length, period: digest.period } });
      }
    }
    // Posted (or nothing to post): no longer pending. A second process deleting it too changes nothing.
    await models.OpeningDigest.deleteOne({ _id: digest._id });
    return true;
  }
}
