/**
 * A person's rights from the admin command line (src/admin.ts):
 *   person:export <phone> [--out dir]  writes person-<id>.json and person-<id>.html (their language), audited;
 *   person:erase <phone> [--yes]       asks to type the number again (or takes --yes), erases at once, audited.
 * The erasure queues the person's room for closing: the running Lien closes it (within a minute; on the
 * embedded default, at its next start), since the command line has no Matrix device of its own.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { AuditLog } from '../audit/audit-log.js';
import { toE164 } from '../domain/phone.js';
import type { Translator } from '../i18n/translator.js';
import { JOBS_COLLECTION } from '../scheduler/scheduler.js';
import type { Database } from '../store/database.js';
import type { FieldCipher } from '../store/field-cipher.js';
import { Erasure, type ErasureReport } from './erasure.js';
import { renderExportPage } from './export-page.js';
import { exportPerson } from './export.js';

export interface RightsDeps {
  db: Database;
  cipher: FieldCipher;
  audit: AuditLog;
  i18n: Translator;
  defaultCountry: string;
  retentionMonths: number;
  actor: { kind: 'system'; id: string };
}

/** A mistake of the operator's (unknown number, no confirmation): said as it is, nothing is changed. */
export class RightsCommandError extends Error {}

async function findPerson(deps: RightsDeps, phoneInput: string) {
  let phone: string;
  try {
    phone = toE164(phoneInput, deps.defaultCountry);
  } catch (err) {
    throw new RightsCommandError(`cannot read the phone number "${phoneInput}": ${(err as Error).message}`);
  }
  const person = await deps.db.models.Person.findOne({ phoneIndex: deps.cipher.blindIndex(phone) }, { _id: 1, team: 1 }).lean();
  if (!person) throw new RightsCommandError(`nobody with the number ${phoneInput} (already erased, or never known)`);
  return { person, phone };
}

export async function personExport(deps: RightsDeps, phoneInput: string, outDir: string): Promise<string> {
  const { person } = await findPerson(deps, phoneInput);
  const data = await exportPerson(deps.db.models, deps.cipher, person._id);
  if (!data) throw new RightsCommandError(`nobody with the number ${phoneInput}`);
  const team = await deps.db.models.Team.findById(person.team, { timezone: 1 }).lean();
  await mkdir(outDir, { recursive: true });
  const base = path.join(outDir, `person-${data.person.id}`);
  // What they hold is personal data: readable by the operator only.
  await writeFile(`${base}.json`, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  await writeFile(`${base}.html`, renderExportPage(deps.i18n, data, { retentionMonths: deps.retentionMonths, timeZone: team?.timezone ?? 'Europe/Paris' }), { mode: 0o600 });
  await chmod(`${base}.json`, 0o600);
  await chmod(`${base}.html`, 0o600);
  await deps.audit.append({
    actor: deps.actor,
    action: 'person.exported',
    subject: { kind: 'person', id: data.person.id },
    details: { messages: data.messages.length, appointments: data.appointments.length, callbacks: data.callbacks.length, auditEvents: data.audit.length },
  });
  return [`exported ${data.messages.length} messages, ${data.appointments.length} appointments, ${data.callbacks.length} callback requests, ${data.audit.length} audit events:`, `  ${base}.json`, `  ${base}.html`].join('\n');
}

/** Asks on the terminal; resolves with what was typed (empty when stdin closes). */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  try {
    process.stderr.write(question);
    const line = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return line.trim();
  } finally {
    rl.close();
  }
}

export function describeErasure(r: ErasureReport): string {
  return [
    `erased person ${r.person}:`,
    `  ${r.messages} messages, ${r.appointments} appointments, ${r.callbacks} callback requests, ${r.conversations} conversations,`,
    `  ${r.dialogStates} bot states, ${r.outOfHours + r.openingDigests} out-of-hours records, ${r.claims} claims, ${r.scheduledJobs} scheduled reminders, and the person record;`,
    `  kept: ${r.countsKept} rows of counts (team and month, nothing that names them);`,
    `  ${r.rooms} room(s) queued: the running Lien redacts its events there, removes the members and leaves (on the embedded default, at its next start)`,
  ].join('\n');
}

export async function personErase(deps: RightsDeps, phoneInput: string, opts: { yes: boolean; confirm?: (question: string) => Promise<string> }): Promise<string> {
  const { person, phone } = await findPerson(deps, phoneInput);
  if (!opts.yes) {
    const typed = await (opts.confirm ?? ask)(`This erases everything Lien holds about ${phoneInput}, at once and for good. Type the number again to confirm: `);
    let same = false;
    try {
      same = typed !== '' && toE164(typed, deps.defaultCountry) === phone;
    } catch {
      same = false;
    }
    if (!same) throw new RightsCommandError('not confirmed: nothing was erased');
  }
  const mongo = deps.db.conn.db;
  const erasure = new Erasure({ models: deps.db.models, audit: deps.audit, ...(mongo ? { jobs: mongo.collection(JOBS_COLLECTION) } : {}) });
  const report = await erasure.erase(person._id, { reason: 'request', actor: deps.actor });
  if (!report) throw new RightsCommandError(`nobody with the number ${phoneInput}`);
  return describeErasure(report);
}
