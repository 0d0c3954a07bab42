/**
 * Room commands, French first with English aliases: help, link a number, absence with a backup, return,
 * mark a conversation done, set an appointment (reminded by SMS), set the person's language. Each is answered in the room; an unknown one gets a helpful notice.
 */
import { noticeContent } from '../channels/matrix/messages.js';
import type { RoomEvent } from '../channels/matrix/types.js';
import { APPOINTMENT_REMINDER_JOB, describeAppointment, parseTimeOfDay, reminderDueAt } from '../domain/appointments.js';
import { parseLanguage } from '../domain/bot-keywords.js';
import { parseDayMonth, UnreadableDateError } from '../domain/dates.js';
import { normaliseKeyword } from '../domain/keywords.js';
import { localTime, zonedInstant } from '../domain/office-hours.js';
import { InvalidPhoneNumberError, toE164 } from '../domain/phone.js';
import type { Vars } from '../i18n/translator.js';
import { decide, standingOf, type CommandAction } from '../domain/permissions.js';
import type { ConversationDocument, TeamDocument, WorkerDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';
import { newPseudonym, type Directory } from './directory.js';
import { ConversationHistory, HISTORY_DEFAULT, HISTORY_MAX } from './history.js';
import type { Portals } from './portals.js';

type CommandName = CommandAction;

const ALIASES: Record<string, CommandName> = {
  AIDE: 'help', HELP: 'help', '?': 'help',
  LIER: 'link', LINK: 'link', RATTACHER: 'link',
  ABSENT: 'away', ABSENTE: 'away', ABSENCE: 'away', AWAY: 'away',
  PRESENT: 'back', PRESENTE: 'back', RETOUR: 'back', BACK: 'back',
  HISTORIQUE: 'history', HISTORY: 'history',
  TERMINE: 'done', TERMINEE: 'done', FINI: 'done', DONE: 'done',
  RDV: 'appointment', 'RENDEZ VOUS': 'appointment', APPOINTMENT: 'appointment', APPT: 'appointment',
  LANGUE: 'language', LANGUAGE: 'language', LANG: 'language',
};

export interface CommandInput {
  event: RoomEvent;
  /** The text after the prefix. */
  text: string;
  /** The conversation whose portal room this is, if it is one. */
  conversation: ConversationDocument | null;
  /** The team whose room this is (the conversation's, or the triage room's). */
  team: TeamDocument;
}

/** Comparable form of a name: case, accents and spacing ignored. */
function nameKey(name: string): string {
  return normaliseKeyword(name);
}

export class RoomCommands {
  constructor(
    private readonly ctx: RoutingContext,
    private readonly directory: Directory,
    private readonly portals: Portals,
  ) {}

  private say(key: string, vars: Vars = {}): string {
    return this.ctx.i18n.t(this.ctx.staffLanguage, key, { prefix: this.ctx.commandPrefix, ...vars });
  }

  private async reply(event: RoomEvent, text: string): Promise<void> {
    const client = await this.ctx.matrix();
    // The command's own event id as transaction id: a replayed command is answered once.
    await client.sendEvent(event.roomId, 'm.room.message', noticeContent({ body: text }) as unknown as Record<string, unknown>, `lien-cmd-${event.eventId}`);
  }

  async run(input: CommandInput): Promise<void> {
    const [word = '', ...args] = input.text.trim().split(/\s+/);
    const name = ALIASES[normaliseKeyword(word)] ?? (word === '?' ? 'help' : undefined);
    if (!name) {
      await this.reply(input.event, this.say('command.unknown', { command: `${this.ctx.commandPrefix}${word}` }));
      return;
    }
    // Who may run what is one table (domain/permissions.ts): the sender's role, team and whether they are active.
    const worker = await this.ctx.models.Worker.findOne({ matrixUserId: input.event.sender });
    const standing = standingOf(worker, input.team._id);
    const decision = decide(standing, name);
    if (!decision.allowed || !worker) {
      const reason = decision.allowed ? 'notInTeam' : decision.reason;
      await this.ctx.audit.append({ actor: { kind: 'worker', id: worker ? String(worker._id) : null }, action: 'command.refused', subject: { kind: 'room', id: input.event.roomId }, conversation: input.conversation?._id ?? null, details: { command: name, standing } });
      await this.reply(input.event, this.say(`access.command.${reason}`, { command: `${this.ctx.commandPrefix}${word}`, sender: worker?.displayName ?? input.event.sender, team: input.team.name }));
      return;
    }
    if (name === 'help') {
      await this.reply(input.event, this.say('command.help'));
      return;
    }
    const answer = await this[name](worker, args, input);
    await this.ctx.audit.append({ actor: { kind: 'worker', id: input.event.sender }, action: `command.${name}`, subject: { kind: 'room', id: input.event.roomId }, conversation: input.conversation?._id ?? null, details: {} });
    await this.reply(input.event, answer);
  }

  /** !historique [n]: the conversation's last n SMS again, readable by whoever is in the room now. */
  private async history(_worker: WorkerDocument, args: string[], input: CommandInput): Promise<string> {
    if (!input.conversation) return this.say('command.notInPortal');
    const asked = Number.parseInt(args[0] ?? '', 10);
    const limit = Number.isFinite(asked) && asked > 0 ? Math.min(asked, HISTORY_MAX) : HISTORY_DEFAULT;
    return new ConversationHistory(this.ctx, this.directory).render(input.conversation, limit);
  }

  /**
   * !lier <number> <First Last> [confirmer]: an unknown number becomes a person, or the new number of one already
   * followed — which replaces the number they have, so Lien asks first and does it when the worker repeats the
   * command with "confirmer". Never a number Lien cannot read, nor the service's own.
   */
  private async link(worker: WorkerDocument, args: string[], _input: CommandInput): Promise<string> {
    // The last word "confirmer" (or "confirm") confirms a number that replaces a followed person's.
    const confirmed = args.length > 0 && ['CONFIRMER', 'CONFIRME', 'CONFIRM'].includes(normaliseKeyword(args.at(-1) ?? ''));
    const words = confirmed ? args.slice(0, -1) : [...args];
    const numberParts: string[] = [];
    while (words.length > 0 && /^[+\d().\-/]+$/.test(words[0] ?? '')) numberParts.push(words.shift() ?? '');
    const name = words.join(' ').trim();
    if (numberParts.length === 0 || !name) return this.say('command.linkUsage');
    let phone: string;
    try {
      phone = toE164(numberParts.join(''), this.ctx.defaultCountry);
    } catch (err) {
      if (err instanceof InvalidPhoneNumberError) return this.say('command.linkBadNumber', { input: numberParts.join(' ') });
      throw err;
    }
    const ownNumber = (this.ctx.serviceNumbers ?? []).some((n) => {
      try {
        return toE164(n, this.ctx.defaultCountry) === phone;
      } catch {
        return n === phone;
      }
    });
    if (ownNumber) return this.say('command.linkOwnNumber', { phone });
    const { Person, Conversation, Message } = this.ctx.models;
    const holder = await this.directory.personByPhone(phone);
    if (holder && !holder.triage) return this.say('command.linkAlready', { name: await this.directory.labelOf(holder) });

    const sameName = (await Person.find({ team: worker.team, triage: false }, { displayName: 1 }).lean()).filter((p) => nameKey(p.displayName) === nameKey(name));
    if (sameName.length > 1) return this.say('command.linkAmbiguous', { name });

    const existing = sameName[0] ? await Person.findById(sameName[0]._id) : null;
    if (existing && !confirmed) {
      // A mistyped number would silently cut the person off: the worker confirms the replacement first.
      let old: string;
      try {
        old = this.ctx.cipher.decrypt(existing.phoneSealed);
      } catch {
        old = '?';
      }
      return this.say('command.linkConfirmReplace', { name: existing.displayName, old, phone });
    }
    if (existing) {
      // A person already followed has a new number: the number moves to them, with what it already said.
      const existingConversation = await this.directory.conversationFor(existing);
      if (holder) {
        const triageConversation = await Conversation.findOne({ person: holder._id });
        if (triageConversation) {
          await Message.updateMany({ conversation: triageConversation._id }, { $set: { conversation: existingConversation._id, person: existing._id } });
          await Conversation.deleteOne({ _id: triageConversation._id });
        }
        await Person.deleteOne({ _id: holder._id });
      }
      await Person.updateOne({ _id: existing._id }, { $set: { phoneIndex: this.ctx.cipher.blindIndex(phone), phoneSealed: this.ctx.cipher.encrypt(phone) } });
      await this.ctx.audit.append({ actor: { kind: 'worker', id: worker.matrixUserId }, action: 'person.number_changed', subject: { kind: 'person', id: String(existing._id) }, conversation: existingConversation._id, details: {} });
      await this.openRoom(existingConversation);
      return this.say('command.linkMoved', { phone, name: existing.displayName });
    }

    let personId;
    if (holder) {
      // The unknown number becomes a person of the team, with this worker as referent and a room of their own.
      await Person.updateOne({ _id: holder._id }, { $set: { displayName: name, triage: false, referent: worker._id, team: worker.team } });
      await Conversation.updateOne({ person: holder._id }, { $set: { matrixRoomId: null, owner: worker._id } });
      personId = holder._id;
    } else {
      const created = await Person.create({ phoneIndex: this.ctx.cipher.blindIndex(phone), phoneSealed: this.ctx.cipher.encrypt(phone), displayName: name, pseudonym: newPseudonym(), team: worker.team, referent: worker._id });
      personId = created._id;
    }
    const person = await Person.findById(personId);
    if (!person) throw new Error('the person just linked has vanished');
    const conversation = await this.directory.conversationFor(person);
    await this.ctx.audit.append({ actor: { kind: 'worker', id: worker.matrixUserId }, action: 'person.linked', subject: { kind: 'person', id: String(person._id) }, conversation: conversation._id, details: { fromTriage: Boolean(holder) } });
    await this.openRoom(conversation);
    return this.say('command.linkCreated', { name, referent: worker.displayName });
  }

  /** Opens the person's room now, so the workers see it before the next message; the outbox would otherwise. */
  private async openRoom(conversation: ConversationDocument): Promise<void> {
    const fresh = await this.ctx.models.Conversation.findById(conversation._id);
    if (!fresh) return;
    await this.portals.roomFor(fresh).catch((err: unknown) => this.ctx.logger.warn({ reason: (err as Error).message }, 'room will be opened with the next message'));
  }

  /** !absent @backup [jusqu'au DD/MM]: the worker's conversations go to the backup meanwhile. */
  private async away(worker: WorkerDocument, args: string[]): Promise<string> {
    const backupId = args.find((a) => a.startsWith('@'));
    if (!backupId) return this.say('command.absenceUsage');
    const backup = await this.ctx.models.Worker.findOne({ matrixUserId: backupId, team: worker.team, active: true });
    if (!backup || String(backup._id) === String(worker._id)) return this.say('command.absenceUnknownBackup', { backup: backupId });
    const dateWord = args.filter((a) => a !== backupId && /\d/.test(a)).pop();
    const team = await this.ctx.models.Team.findById(worker.team, { timezone: 1 }).lean();
    const tz = team?.timezone ?? 'Europe/Paris';
    let until: Date | null = null;
    let untilText = '';
    if (dateWord) {
      try {
        const day = parseDayMonth(dateWord, localTime(new Date(), tz).date);
        until = zonedInstant(day, '23:59', tz);
        untilText = this.say('command.absenceUntil', { date: day.split('-').reverse().join('/') });
      } catch (err) {
        if (err instanceof UnreadableDateError) return this.say('command.absenceBadDate', { input: dateWord });
        throw err;
      }
    }
    await this.ctx.models.Worker.updateOne({ _id: worker._id }, { $set: { absence: { from: new Date(), until, backup: backup._id } } });
    await this.ctx.models.Conversation.updateMany({ owner: worker._id }, { $set: { owner: backup._id } });
    return this.say('command.absenceSet', { until: untilText, worker: worker.displayName, backup: backup.displayName });
  }

  /** !present: the absence is over; the worker's people come back to them. */
  private async back(worker: WorkerDocument): Promise<string> {
    await this.ctx.models.Worker.updateOne({ _id: worker._id }, { $set: { absence: null } });
    const people = await this.ctx.models.Person.find({ referent: worker._id }, { _id: 1 }).lean();
    await this.ctx.models.Conversation.updateMany({ person: { $in: people.map((p) => p._id) } }, { $set: { owner: worker._id } });
    return this.say('command.absenceCleared', { worker: worker.displayName });
  }

  /** !termine: nobody waits for an answer in this conversation any more. */
  private async done(worker: WorkerDocument, _args: string[], input: CommandInput): Promise<string> {
    if (!input.conversation) return this.say('command.notInPortal');
    await this.ctx.models.Conversation.updateOne({ _id: input.conversation._id }, { $set: { status: 'done', waitingSince: null } });
    return this.say('command.done', { worker: worker.displayName });
  }
  /** !rdv JJ/MM HH:MM [lieu]: an appointment with the person of this room, reminded by SMS the day before. */
  private async appointment(worker: WorkerDocument, args: string[], input: CommandInput): Promise<string> {
    if (!input.conversation) return this.say('command.notInPortal');
    const person = await this.ctx.models.Person.findById(input.conversation.person);
    if (!person || person.triage) return this.say('command.appointmentTriage');
    const [dayWord = '', timeWord = '', ...placeWords] = args;
    if (!dayWord || !timeWord) return this.say('command.appointmentUsage');
    const team = await this.ctx.models.Team.findById(input.conversation.team, { timezone: 1 }).lean();
    const tz = team?.timezone ?? 'Europe/Paris';
    const now = this.ctx.now();
    let day: string;
    try {
      day = parseDayMonth(dayWord, localTime(now, tz).date);
    } catch (err) {
      if (err instanceof UnreadableDateError) return this.say('command.appointmentBadDate', { input: dayWord });
      throw err;
    }
    const clock = parseTimeOfDay(timeWord);
    if (!clock) return this.say('command.appointmentBadTime', { input: timeWord });
    const startsAt = zonedInstant(day, clock, tz);
    const described = describeAppointment(startsAt, tz, this.ctx.staffLanguage);
    // The year is said when it is not this one ("10/12/2099"), so the worker sees which year was understood.
    const year = day.slice(0, 4);
    const when = year === localTime(now, tz).date.slice(0, 4) ? described : { ...described, date: `${described.date}/${year}` };
    if (startsAt <= now) return this.say('command.appointmentPast', { ...when });
    const place = placeWords.join(' ').trim() || null;
    const created = await this.ctx.models.Appointment.create({ person: person._id, conversation: input.conversation._id, worker: worker._id, startsAt, place });
    await this.ctx.audit.append({ actor: { kind: 'worker', id: worker.matrixUserId }, action: 'appointment.created', subject: { kind: 'appointment', id: String(created._id) }, conversation: input.conversation._id, details: { hasPlace: place !== null } });
    // Scheduled whatever the person's preferences now: the reminder reads them when it is due.
    const due = reminderDueAt(startsAt, now);
    if (due) await this.ctx.scheduleOnce?.(APPOINTMENT_REMINDER_JOB, due, { appointmentId: String(created._id) }, `reminder:${String(created._id)}`);
    const reminder = !due
      ? 'command.appointmentReminderTooSoon'
      : person.optedOut
        ? 'command.appointmentReminderOptedOut'
        : person.preferences?.reminders === false
          ? 'command.appointmentReminderOff'
          : 'command.appointmentReminder';
    return this.say('command.appointmentCreated', { ...when, name: await this.directory.labelOf(person), worker: worker.displayName, place: place ? `, ${place}` : '', reminder: this.say(reminder) });
  }

  /** !langue fr|fr-falc|en: the language of the SMS the bot writes to the person of this room. */
  private async language(worker: WorkerDocument, args: string[], input: CommandInput): Promise<string> {
    if (!input.conversation) return this.say('command.notInPortal');
    const person = await this.ctx.models.Person.findById(input.conversation.person);
    if (!person) return this.say('command.notInPortal');
    const language = parseLanguage(args.join(' '));
    if (!language) return this.say('command.languageUsage');
    await this.ctx.models.Person.updateOne({ _id: person._id }, { $set: { language } });
    await this.ctx.audit.append({ actor: { kind: 'worker', id: worker.matrixUserId }, action: 'person.language_set', subject: { kind: 'person', id: String(person._id) }, conversation: input.conversation._id, details: { language, previous: person.language ?? 'fr', by: 'worker' } });
    return this.say('command.languageSet', { name: await this.directory.labelOf(person), language: this.say(`bot.languageName.${language}`) });
  }
}
