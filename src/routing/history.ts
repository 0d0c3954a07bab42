/**
 * The recent conversation as one notice: what a colleague added to a room later cannot decrypt (the
 * room keys of before their arrival were shared with the members of then), Lien re-posts on request —
 * from its own copy of the messages, encrypted anew for the room's current members. One notice, not one
 * event per message: the room is not flooded and the homeserver's rate limits are kept.
 */
import { formatClock, localTime } from '../domain/office-hours.js';
import type { ConversationDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';
import type { Directory } from './directory.js';
import { MessageStore } from './messages.js';

export const HISTORY_DEFAULT = 20;
export const HISTORY_MAX = 50;

export class ConversationHistory {
  private readonly messages: MessageStore;

  constructor(
    private readonly ctx: RoutingContext,
    private readonly directory: Directory,
  ) {
    this.messages = new MessageStore(ctx);
  }

  /** The last `limit` SMS of the conversation, oldest first, one per line with its local date and time. */
  async render(conversation: ConversationDocument, limit: number): Promise<string> {
    const say = (key: string, vars: Record<string, string | number> = {}) => this.ctx.i18n.t(this.ctx.staffLanguage, key, vars);
    const recent = await this.ctx.models.Message.find({ conversation: conversation._id, channel: 'sms' }).sort({ receivedAt: -1 }).limit(limit).lean();
    if (recent.length === 0) return say('command.historyEmpty');
    const [person, team] = await Promise.all([this.ctx.models.Person.findById(conversation.person), this.ctx.models.Team.findById(conversation.team, { timezone: 1 }).lean()]);
    const personLabel = person ? await this.directory.labelOf(person) : '?';
    const tz = team?.timezone ?? 'Europe/Paris';
    const names = new Map<string, string>();
    const lines: string[] = [];
    for (const m of recent.reverse()) {
      let who = personLabel;
      if (m.direction === 'outbound') {
        if (!m.author) who = say('command.historyAutomatic');
        else {
          if (!names.has(m.author)) names.set(m.author, (await this.directory.workerByMatrixId(m.author))?.displayName ?? m.author);
          who = `→ ${names.get(m.author) ?? m.author}`;
        }
      }
      const at = localTime(m.receivedAt, tz);
      const [, month, day] = at.date.split('-');
      const clock = formatClock(at.minutes);
      lines.push(`${day}/${month} ${clock} · ${who} : ${this.messages.bodyOf(m)}`);
    }
    return `${say('command.history', { count: recent.length })}\n${lines.join('\n')}`;
  }
}
