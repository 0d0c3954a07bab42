/**
 * The one automatic answer a day to free text, when it helps: a person's first message of the (team's
 * local) day gets a short "your message has arrived" — only while the team is open (when it is closed,
 * the office-hours answer says more), within the person's welcome hours, to a person who accepts SMS
 * (not "calls only"), where the team wants it, and never in a turn where the bot already answered. A
 * number nobody knows gets the "unknown number" answer instead, once a day. "Once a day" is a claim (a
 * unique insert), so two processes never both send.
 */
import type { TurnContext } from 'botbuilder';
import { MessageFactory } from 'botbuilder';
import { dailyReplyClaim } from '../../dialogs/first-contact.js';
import { isTeamOpen, teamHours } from '../domain/opening.js';
import { isWelcomeAt } from '../domain/welcome.js';
import type { RoutingContext } from '../routing/context.js';
import { repliesSent } from './sms-adapter.js';
import { turnOf } from './turn-state.js';

export class Acknowledgement {
  constructor(private readonly ctx: RoutingContext) {}

  /** Called after a turn that relays free text. */
  async afterRelay(context: TurnContext): Promise<void> {
    if (repliesSent(context) > 0) return;
    const { person, team, now, timeZone, language } = turnOf(context);
    if (!isTeamOpen(teamHours(team), now)) return;
    if (!person.triage) {
      if (team.settings?.acknowledgeDaily === false) return;
      if (!isWelcomeAt(person.preferences, now, timeZone)) return;
      if (person.preferences?.channels && !person.preferences.channels.includes('sms')) return;
    }
    if (!(await this.ctx.claims.acquire(dailyReplyClaim(person._id, person.triage, now, timeZone)))) return;
    const key = person.triage ? 'sms.unknownNumber' : 'bot.sms.ack';
    await context.sendActivity(MessageFactory.text(this.ctx.i18n.t(language, key)));
  }
}
