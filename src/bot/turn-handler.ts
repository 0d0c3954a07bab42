/**
 * The one way a person's SMS goes through the bot. InboundSmsHandler stores the message `held` (the
 * outbox does not see it), Twilio is acknowledged at once, and the turn runs next, one at a time per
 * person (TurnLock, across processes too):
 *
 *   read the message → dialogs decide (consumed as an answer, or relayed as free text) → the bot's SMS
 *   are queued (idempotent keys) → the state is saved with a record of this decision → the message is
 *   released to the room (or marked consumed) → the room notices follow it.
 *
 * Durability: a message stays `held` until its turn has settled it, so a crash mid-turn loses nothing:
 * the sweep (a recurring job) runs the turn again for any message held longer than a few seconds. A turn
 * run again either starts from the state before (nothing was saved: the same replies, which the outbox
 * deduplicates) or finds its own record in the state (saved, not settled) and only settles the message.
 * A message whose turn keeps failing is relayed without the bot after a few minutes: the person is
 * never left unheard. STOP / START and anything from a person who said STOP are relayed as they are,
 * and the bot says nothing to them. CANCEL is the one opt-out keyword that is also an answer: to a
 * question about an appointment still waiting for its answer (a reminder, the menu's question) it cancels
 * the appointment and the person stays subscribed; otherwise this turn applies it as an opt-out.
 */
import type { Types } from 'mongoose';
import type { Activity, TurnContext } from 'botbuilder';
import { answersReminderFirst } from '../domain/bot-keywords.js';
import { consentKeyword } from '../domain/keywords.js';
import type { Language } from '../domain/types.js';
import type { LienDialogs } from '../../dialogs/index.js';
import type { Logger } from '../logger.js';
import { Consent } from '../routing/consent.js';
import type { RoutingContext } from '../routing/context.js';
import type { Directory } from '../routing/directory.js';
import type { MessageStore } from '../routing/messages.js';
import { Acknowledgement } from './acknowledgement.js';
import { CHANNEL_ID, type SmsAdapter } from './sms-adapter.js';
import type { TurnLock } from './turn-lock.js';
import { setTurn, turnOf, type TurnInfo } from './turn-state.js';

/** A held message older than this is picked up by the sweep (its turn was lost, or is stuck). */
export const HELD_GRACE_MS = 5_000;
/** A held message older than this goes to the room without the bot. */
export const HELD_GIVE_UP_MS = 5 * 60_000;
/** Turns one process runs at the same time (different people; one person's turns are one at a time anyway). */
const TURNS_AT_ONCE = 2;

export interface TurnHandlerDeps {
  ctx: RoutingContext;
  adapter: SmsAdapter;
  dialogs: LienDialogs;
  lock: TurnLock;
  messages: MessageStore;
  directory: Directory;
  logger: Logger;
}

export class TurnHandler {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly ack: Acknowledgement;
  private readonly consent: Consent;

  constructor(private readonly deps: TurnHandlerDeps) {
    this.ack = new Acknowledgement(deps.ctx);
    this.consent = new Consent(deps.ctx);
  }

  /** Takes a stored, held message; its turn runs now, without keeping Twilio waiting. */
  accept(messageId: Types.ObjectId): void {
    const running = this.slot(() => this.run(messageId)).catch((err: unknown) => {
      this.deps.logger.warn({ messageId: String(messageId), err: { name: (err as Error).name, message: (err as Error).message } }, 'turn failed; the sweep will run it again');
    });
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }

  /**
   * At most TURNS_AT_ONCE turns of this process run together: a burst of SMS is acknowledged to Twilio
   * first (storing is what keeps Twilio waiting), and their turns follow without crowding the database.
   */
  private running = 0;
  private readonly queued: Array<() => void> = [];

  private async slot<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= TURNS_AT_ONCE) await new Promise<void>((resolve) => this.queued.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.queued.shift()?.();
    }
  }

  /** Runs the turn of one held message (nothing when it is settled already). */
  async run(messageId: Types.ObjectId): Promise<void> {
    const message = await this.deps.ctx.models.Message.findById(messageId, { person: 1, delivery: 1 }).lean();
    if (!message || message.delivery.status !== 'held') return;
    if (!message.person) {
      await this.deps.messages.release(messageId);
      return;
    }
    await this.deps.lock.run(String(message.person), () => this.turn(messageId));
  }

  /** Runs again the turns a crash or an error left behind; relays without the bot what waited too long. */
  async sweep(): Promise<number> {
    const now = Date.now();
    const held = await this.deps.ctx.models.Message.find({ 'delivery.status': 'held', receivedAt: { $lt: new Date(now - HELD_GRACE_MS) } }, { _id: 1, receivedAt: 1 })
      .sort({ receivedAt: 1 })
      .limit(100)
      .lean();
    for (const m of held) {
      try {
        if (m.receivedAt.getTime() < now - HELD_GIVE_UP_MS) {
          this.deps.logger.error({ messageId: String(m._id) }, 'the bot could not read this message for minutes: relayed as it is');
          await this.deps.messages.release(m._id);
        } else {
          await this.run(m._id);
        }
      } catch (err) {
        this.deps.logger.warn({ messageId: String(m._id), err: { message: (err as Error).message } }, 'turn failed again; next sweep');
      }
    }
    return held.length;
  }

  /** Waits for the turns under way (at shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async turn(messageId: Types.ObjectId): Promise<void> {
    const { ctx, dialogs, messages } = this.deps;
    const message = await ctx.models.Message.findById(messageId);
    if (!message || message.delivery.status !== 'held') return; // settled by a turn before this one
    const [person, conversation] = await Promise.all([ctx.models.Person.findById(message.person), ctx.models.Conversation.findById(message.conversation)]);
    const team = conversation ? await ctx.models.Team.findById(conversation.team) : null;
    if (!person || !conversation || !team) {
      await messages.release(message._id);
      return;
    }
    const text = messages.bodyOf(message);
    const activity: Partial<Activity> = {
      type: 'message',
      id: String(message._id),
      channelId: CHANNEL_ID,
      conversation: { id: String(conversation._id), isGroup: false, conversationType: 'sms', name: '' },
      from: { id: String(person._id), name: '' },
      text,
      timestamp: message.receivedAt,
    };
    let info: TurnInfo | undefined;
    await this.deps.adapter.processActivity(activity, async (context) => {
      info = {
        person,
        conversation,
        team,
        now: ctx.now(),
        timeZone: team.timezone || 'Europe/Paris',
        language: (person.language ?? 'fr') as Language,
        label: await this.deps.directory.labelOf(person),
        text,
        consumed: false,
        notices: [],
      };
      setTurn(context, info);
      const record = await dialogs.record.get(context, {});
      if (record.messageId === String(message._id)) {
        // This turn ran before and saved its state; only settling the message was left.
        info.consumed = record.consumed ?? false;
        info.notices = record.notices ?? [];
        if (record.answeredBy) info.answeredBy = record.answeredBy;
        return;
      }
      await this.decide(context, person.optedOut != null);
      await dialogs.record.set(context, { lastTurnAt: info.now.toISOString(), messageId: String(message._id), consumed: info.consumed, notices: info.notices, ...(info.answeredBy ? { answeredBy: info.answeredBy } : {}) });
      await dialogs.save(context);
    });
    if (!info) return;
    await this.settle(message._id, info);
  }

  /** What the bot makes of the message (see the top of the file and dialogs/index.ts). */
  private async decide(context: TurnContext, optedOut: boolean): Promise<void> {
    const turn = turnOf(context);
    const keyword = consentKeyword(turn.text);
    if (keyword && answersReminderFirst(turn.text)) {
      // CANCEL, left to this turn by InboundSmsHandler: an answer first, an opt-out otherwise.
      if (!optedOut && (await this.deps.dialogs.awaitsAppointmentAnswer(context))) {
        await this.deps.dialogs.onTurn(context);
        return;
      }
      await this.consent.apply(turn.person, turn.conversation._id, keyword, String(context.activity.id));
      await this.deps.dialogs.forget(context);
      return;
    }
    if (keyword) {
      if (keyword.kind === 'opt-out') await this.deps.dialogs.forget(context);
      return; // STOP / START: relayed; their confirmation is InboundSmsHandler's
    }
    if (optedOut) return; // relayed; the bot writes nothing to a person who said STOP
    await this.deps.dialogs.onTurn(context);
    if (!turn.consumed) await this.ack.afterRelay(context);
  }

  /** The message goes to the room (or is marked answered), then the notices the turn left for the workers. */
  private async settle(messageId: Types.ObjectId, turn: TurnInfo): Promise<void> {
    const { ctx, messages } = this.deps;
    if (turn.consumed) {
      await messages.markConsumed(messageId);
      await ctx.audit.append({ actor: { kind: 'person', id: String(turn.person._id) }, action: 'sms.answered_bot', subject: { kind: 'message', id: String(messageId) }, conversation: turn.conversation._id, details: { dialog: turn.answeredBy ?? null } });
    } else {
      await messages.release(messageId);
    }
    for (const n of turn.notices) await messages.queueNotice(turn.conversation._id, n.key, n.text, n.mentions ? { mentions: n.mentions } : {});
  }
}
