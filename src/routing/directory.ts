/** Finding and creating the people, teams and conversations that messages belong to. */
import { randomInt } from 'node:crypto';
import type { Types } from 'mongoose';
import { effectiveOwner } from '../domain/ownership.js';
import { maskedPhone } from '../domain/phone-mask.js';
import type { ConversationDocument, PersonDocument, TeamDocument, WorkerDocument } from '../store/models/index.js';
import type { RoutingContext } from './context.js';

export type { ConversationDocument, PersonDocument, TeamDocument, WorkerDocument };

export class NoTeamError extends Error {
  constructor() {
    super('no team is set up yet: create one (see README, "Setting up a team") before receiving SMS');
    this.name = 'NoTeamError';
  }
}

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

/** "Personne 4821": how a person is named where the team prefers pseudonyms. */
export function newPseudonym(): string {
  return `Personne ${randomInt(1000, 10000)}`;
}

export class Directory {
  constructor(private readonly ctx: RoutingContext) {}

  /** The team that takes SMS from unknown numbers. */
  async defaultTeam(): Promise<TeamDocument> {
    const { Team } = this.ctx.models;
    const team = this.ctx.defaultTeam ? await Team.findOne({ slug: this.ctx.defaultTeam }) : await Team.findOne().sort({ createdAt: 1, _id: 1 });
    if (!team) throw new NoTeamError();
    return team;
  }

  personByPhone(e164: string): Promise<PersonDocument | null> {
    return this.ctx.models.Person.findOne({ phoneIndex: this.ctx.cipher.blindIndex(e164) });
  }

  phoneOf(person: { phoneSealed: string }): string {
    return this.ctx.cipher.decrypt(person.phoneSealed);
  }

  /** The person behind a number, or a triage placeholder for a number nobody knows yet. */
  async personForInbound(e164: string): Promise<{ person: PersonDocument; isNew: boolean }> {
    const known = await this.personByPhone(e164);
    if (known) return { person: known, isNew: false };
    const team = await this.defaultTeam();
    try {
      const person = await this.ctx.models.Person.create({
        phoneIndex: this.ctx.cipher.blindIndex(e164),
        phoneSealed: this.ctx.cipher.encrypt(e164),
        // The label is stored in clear: the number in it is masked (the whole number is sealed in phoneSealed).
        displayName: this.ctx.i18n.t(this.ctx.staffLanguage, 'room.unknownLabel', { phone: maskedPhone(e164) }),
        pseudonym: newPseudonym(),
        team: team._id,
        triage: true,
      });
      return { person, isNew: true };
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      const raced = await this.personByPhone(e164);
      if (!raced) throw err;
      return { person: raced, isNew: false };
    }
  }

  async workerById(id: Types.ObjectId | string | null | undefined): Promise<WorkerDocument | null> {
    return id ? this.ctx.models.Worker.findById(id) : null;
  }

  workerByMatrixId(userId: string): Promise<WorkerDocument | null> {
    return this.ctx.models.Worker.findOne({ matrixUserId: userId, active: true });
  }

  /** Who answers the person now: the referent, or their backup while they are away. */
  async ownerOf(person: PersonDocument, at = new Date()): Promise<WorkerDocument | null> {
    const referent = await this.workerById(person.referent);
    if (!referent) return null;
    const ownerId = effectiveOwner(
      { id: String(referent._id), absence: referent.absence ? { from: referent.absence.from, until: referent.absence.until, backup: referent.absence.backup ? String(referent.absence.backup) : null } : null },
      at,
    );
    return ownerId === String(referent._id) ? referent : ((await this.workerById(ownerId)) ?? referent);
  }

  /** The person's conversation with their team, created on first need (one per person and team). */
  async conversationFor(person: PersonDocument): Promise<ConversationDocument> {
    const { Conversation } = this.ctx.models;
    const existing = await Conversation.findOne({ person: person._id, team: person.team });
    if (existing) return existing;
    const owner = await this.ownerOf(person);
    try {
      return await Conversation.create({ person: person._id, team: person.team, owner: owner?._id ?? null });
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      const raced = await Conversation.findOne({ person: person._id, team: person.team });
      if (!raced) throw err;
      return raced;
    }
  }

  /** How the person is named to workers: their name, or their pseudonym where the team prefers it. */
  async labelOf(person: PersonDocument): Promise<string> {
    if (person.triage) return person.displayName;
    const team = await this.ctx.models.Team.findById(person.team, { settings: 1 }).lean();
    return team?.settings?.pseudonymousRooms ? person.pseudonym : person.displayName;
  }
}
