/**
 * What the figures keep of an erased person: per team and month (UTC), how many messages came in and went
 * out, how many appointments and callback requests there were and how they ended. Pure: no I/O.
 */
import type { Types } from 'mongoose';

type Id = Types.ObjectId;

export interface CountRow {
  team: Id;
  month: string;
  messagesIn: number;
  messagesOut: number;
  appointments: Record<string, number>;
  callbacks: Record<string, number>;
}

export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

export function countsByTeamAndMonth(input: {
  defaultTeam: Id;
  teamOf: (conversation: Id | null | undefined) => Id | undefined;
  messages: Array<{ conversation?: Id | null; direction: string; kind?: string | null; receivedAt: Date }>;
  appointments: Array<{ conversation?: Id | null; startsAt: Date; status?: string | null }>;
  callbacks: Array<{ conversation?: Id | null; createdAt?: Date | null; status?: string | null }>;
}): CountRow[] {
  const rows = new Map<string, CountRow>();
  const row = (conversation: Id | null | undefined, at: Date): CountRow => {
    const team = input.teamOf(conversation) ?? input.defaultTeam;
    const month = monthOf(at);
    const key = `${String(team)}|${month}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { team, month, messagesIn: 0, messagesOut: 0, appointments: {}, callbacks: {} }));
    return r;
  };
  for (const m of input.messages) {
    if (m.kind === 'notice') continue; // Lien's notes to the team, not an exchange with the person
    const r = row(m.conversation, m.receivedAt);
    if (m.direction === 'inbound') r.messagesIn++;
    else r.messagesOut++;
  }
  for (const a of input.appointments) {
    const r = row(a.conversation, a.startsAt);
    const status = a.status ?? 'scheduled';
    r.appointments[status] = (r.appointments[status] ?? 0) + 1;
  }
  for (const c of input.callbacks) {
    const r = row(c.conversation, c.createdAt ?? new Date(0));
    const status = c.status ?? 'open';
    r.callbacks[status] = (r.callbacks[status] ?? 0) + 1;
  }
  return [...rows.values()];
}
