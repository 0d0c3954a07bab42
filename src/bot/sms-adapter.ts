/**
 * botbuilder's adapter for SMS. The bot's replies never call Twilio: each becomes an SMS stored in the
 * outbox (MessageStore.queueSms), which delivers it, retries it and reports it like any other. Keys are
 * derived from the activity the turn answers and the reply's rank in the turn, so a turn run again after
 * a crash queues nothing twice.
 *
 * Activities carry Lien's ids: `conversation.id` is the Conversation's, `from.id` (in a turn) the
 * Person's. `continueConversation` starts a turn Lien begins itself (a reminder), with the reference's
 * `activityId` as the key its replies are named after.
 */
import { Types } from 'mongoose';
import { BotAdapter, TurnContext, type Activity, type ConversationReference, type ResourceResponse } from 'botbuilder';
import { gsmFriendly } from '../channels/sms/segments.js';
import type { RoutingContext } from '../routing/context.js';
import type { MessageStore } from '../routing/messages.js';

export const CHANNEL_ID = 'sms';
export const BOT_ACCOUNT = { id: 'lien', name: 'Lien' };

const SENT = Symbol('lien.sms.sent');

/** How many SMS the bot has sent in this turn so far. */
export function repliesSent(context: TurnContext): number {
  return (context.turnState.get(SENT) as number | undefined) ?? 0;
}

export class SmsAdapter extends BotAdapter {
  constructor(
    private readonly ctx: RoutingContext,
    private readonly messages: MessageStore,
  ) {
    super();
  }

  /** Runs one turn for a person's message. */
  async processActivity(activity: Partial<Activity>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const context = new TurnContext(this, { channelId: CHANNEL_ID, recipient: BOT_ACCOUNT, ...activity });
    await this.runMiddleware(context, logic);
  }

  /** The reference a proactive turn for this person starts from. */
  static reference(conversationId: string, personId: string, activityId: string): Partial<ConversationReference> {
    return { channelId: CHANNEL_ID, conversation: { id: conversationId, isGroup: false, conversationType: 'sms', name: '' }, user: { id: personId, name: '' }, bot: BOT_ACCOUNT, activityId };
  }

  override async continueConversation(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const activity = TurnContext.applyConversationReference({ type: 'event', name: 'continueConversation' }, reference, true);
    await this.runMiddleware(new TurnContext(this, activity), logic);
  }

  override async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const conversationId = context.activity.conversation?.id;
    const personId = context.activity.from?.id;
    if (!conversationId || !personId) throw new Error('an SMS turn needs its conversation and person');
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      // Typing indicators, traces, delays: nothing an SMS can carry.
      if (activity.type !== 'message' || !activity.text) {
        responses.push({ id: '' });
        continue;
      }
      const rank = repliesSent(context) + 1;
      context.turnState.set(SENT, rank);
      // Read again at the last moment: nothing but its confirmation follows a STOP.
      const person = await this.ctx.models.Person.findById(personId, { optedOut: 1 }).lean();
      if (!person || person.optedOut) {
        responses.push({ id: '' });
        continue;
      }
      const parts = await this.messages.queueSms({
        keyPrefix: `bot:${context.activity.id ?? 'turn'}:${rank}`,
        conversation: new Types.ObjectId(conversationId),
        person: new Types.ObjectId(personId),
        body: gsmFriendly(activity.text),
        kind: 'notice',
      });
      responses.push({ id: String(parts[0]?.message._id ?? '') });
    }
    return responses;
  }

  override async updateActivity(): Promise<void> {
    throw new Error('an SMS cannot be changed once sent');
  }

  override async deleteActivity(): Promise<void> {
    throw new Error('an SMS cannot be taken back once sent');
  }
}
