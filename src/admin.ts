/**
 * Setting up a service from the command line: teams, workers, people, and a check of the audit chain.
 *   npm run admin -- team:add <slug> "<name>" [--timezone Europe/Paris] [--pseudonyms]
 *   npm run admin -- worker:add <team-slug> <@user:server> "<display name>" [--role worker|manager|admin]
 *   npm run admin -- person:add <team-slug> <phone> <@referent:server> "<name>" [--language fr|fr-falc|en|es|pt|ro|uk|ar|prs]
 *   npm run admin -- team:hours <slug> "lun-ven 09:00-12:30 13:30-17:00; sam 10:00-12:00" [--holidays france|alsace-moselle|reunion|mayotte|guadeloupe|martinique|guyane|saint-martin|saint-barthelemy|saint-pierre-et-miquelon|none]
 *   npm run admin -- team:closure <slug> <from YYYY-MM-DD[THH:MM]> <until YYYY-MM-DD[THH:MM]> ["reason"]   (team's local time; a date alone as <until> closes that whole day)
 *   npm run admin -- worker:deactivate <@user:server>
 *   npm run admin -- worker:move <@user:server> <team-slug>
 *   npm run admin -- rooms:check [--fix]
 *   npm run admin -- person:export <phone> [--out dir]   (everything Lien holds about the person, as JSON and as a page in their language)
 *   npm run admin -- person:erase <phone> [--yes]        (asks to type the number again unless --yes; their room is closed by the running Lien)
 *   npm run admin -- audit:verify   (the keyed chain, and its anchors read back from the homeserver; exit 1 when broken, 2 when the anchors could not be checked)
 * It uses the same configuration as Lien (MONGODB_URI…). On the embedded default, stop Lien first.
 */
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { AuditLog } from './audit/audit-log.js';
import { MatrixClient } from './channels/matrix/client.js';
import { startSynapse } from './embedded/synapse.js';
import { verifyAuditTrail, type HomeserverAccess } from './routing/audit-verify.js';
import { Settings } from './store/settings.js';
import { Claims } from './store/claims.js';
import { Scheduler } from './scheduler/scheduler.js';
import { MEMBERSHIP_CHECK_JOB } from './routing/membership.js';
import { formatRoomFindings, RoomsCheck } from './routing/rooms-check.js';
import type { Database } from './store/database.js';
import type { Logger } from './logger.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { HOLIDAY_CALENDARS, type HolidayCalendar } from './domain/holidays.js';
import { zonedInstant } from './domain/office-hours.js';
import { nextOpening, parseWeeklySlots, teamHours } from './domain/opening.js';
import { toE164 } from './domain/phone.js';
import { LANGUAGES, WORKER_ROLES, type Language, type WorkerRole } from './domain/types.js';
import { createLogger } from './logger.js';
import { Translator } from './i18n/translator.js';
import { personErase, personExport, RightsCommandError, type RightsDeps } from './privacy/commands.js';
import { openDatabase } from './store/database.js';
import { FieldCipher } from './store/field-cipher.js';
import { resolveSecretKey } from './store/secret-key.js';

class UsageError extends Error {}
/** A failure that exits with its own code (audit:verify: 2 when the anchors could not be checked). */
class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Lien's own account on the homeserver, for audit:verify to read the anchors back: the configured token,
 * or the session Lien stored (sealed); on the embedded default, the embedded Synapse is started for it.
 */
async function homeserverForAudit(config: Config, settings: Settings, cipher: FieldCipher): Promise<{ access: HomeserverAccess | { unavailable: string }; stop: () => Promise<void> }> {
  const stored = await settings.get<{ userId: string; accessTokenSealed: string }>('matrix.session'); // as lien.ts stores it
  const botUserId = config.matrix.userId ?? stored?.userId;
  const token = config.matrix.accessToken ?? (stored ? cipher.decrypt(stored.accessTokenSealed) : undefined);
  if (!botUserId || !token) return { access: { unavailable: 'no Matrix session of Lien\'s to read the audit room with (start Lien once, or set MATRIX_ACCESS_TOKEN)' }, stop: async () => undefined };
  if (config.matrix.homeserverUrl) return { access: { client: new MatrixClient(config.matrix.homeserverUrl, token), botUserId }, stop: async () => undefined };
  try {
    const synapse = await startSynapse({ toolsDir: config.toolsDir, dataDir: path.join(config.dataDir, 'synapse'), progress: (line) => process.stderr.write(`${line}\n`) });
    return { access: { client: new MatrixClient(synapse.baseUrl, token), botUserId }, stop: () => synapse.stop() };
  } catch (err) {
    return { access: { unavailable: `the embedded homeserver could not start: ${(err as Error).message}` }, stop: async () => undefined };
  }
}

/**
 * Has the running Lien check a team's room members now (or every team's): the CLI has no device of its
 * own to post the removal notices with, so it schedules the job Lien runs (once across processes).
 */
async function requestMembershipCheck(db: Database, logger: Logger, teamId?: string): Promise<void> {
  const mongo = db.conn.db;
  if (!mongo) throw new Error('database handle missing after connect');
  const scheduler = new Scheduler({ db: mongo, claims: new Claims(db.models), name: 'admin-cli', processEveryMs: 60_000, logger });
  await scheduler.once(MEMBERSHIP_CHECK_JOB, new Date(), teamId ? { teamId } : {}, `admin:${Date.now()}:${teamId ?? 'all'}`);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const [value] = args.splice(i, 2).slice(1);
  return value;
}

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

async function main(argv: string[]): Promise<string> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger('warn');
  const db = await openDatabase(config, logger, (line) => process.stderr.write(`${line}\n`));
  const secretKey = await resolveSecretKey(config.secretKey, config.dataDir);
  const audit = new AuditLog(db.models, secretKey);
  const actor = { kind: 'system' as const, id: 'admin-cli' };
  try {
    const [command, ...args] = argv;
    switch (command) {
      case 'team:add': {
        const timezone = option(args, 'timezone') ?? 'Europe/Paris';
        const pseudonymousRooms = flag(args, 'pseudonyms');
        const [slug, name] = args;
        if (!slug || !name) throw new UsageError('team:add <slug> "<name>" [--timezone Europe/Paris] [--pseudonyms]');
        const team = await db.models.Team.create({ slug, name, timezone, settings: { pseudonymousRooms } });
        await audit.append({ actor, action: 'team.created', subject: { kind: 'team', id: String(team._id) } });
        return `team ${slug} created`;
      }
      case 'worker:add': {
        const role = (option(args, 'role') ?? 'worker') as WorkerRole;
        const [slug, userId, displayName] = args;
        if (!slug || !userId || !displayName || !WORKER_ROLES.includes(role)) throw new UsageError('worker:add <team-slug> <@user:server> "<display name>" [--role worker|manager|admin]');
        const team = await db.models.Team.findOne({ slug });
        if (!team) throw new UsageError(`no team ${slug}`);
        const worker = await db.models.Worker.create({ matrixUserId: userId, displayName, team: team._id, role });
        await audit.append({ actor, action: 'worker.created', subject: { kind: 'worker', id: String(worker._id) } });
        await requestMembershipCheck(db, logger, String(team._id));
        return `worker ${userId} added to ${slug}; Lien invites them to the team's rooms (at once if it runs, else when it starts)`;
      }
      case 'worker:deactivate': {
        const [userId] = args;
        if (!userId) throw new UsageError('worker:deactivate <@user:server>');
        const worker = await db.models.Worker.findOneAndUpdate({ matrixUserId: userId }, { $set: { active: false } }, { new: true });
        if (!worker) throw new UsageError(`no worker ${userId}`);
        await audit.append({ actor, action: 'worker.deactivated', subject: { kind: 'worker', id: String(worker._id) } });
        await requestMembershipCheck(db, logger, String(worker.team));
        return `worker ${userId} deactivated; Lien removes them from the team's rooms (at once if it runs, else when it starts)`;
      }
      case 'worker:move': {
        const [userId, slug] = args;
        if (!userId || !slug) throw new UsageError('worker:move <@user:server> <team-slug>');
        const team = await db.models.Team.findOne({ slug });
        if (!team) throw new UsageError(`no team ${slug}`);
        const before = await db.models.Worker.findOneAndUpdate({ matrixUserId: userId }, { $set: { team: team._id } });
        if (!before) throw new UsageError(`no worker ${userId}`);
        await audit.append({ actor, action: 'worker.moved', subject: { kind: 'worker', id: String(before._id) }, details: { from: String(before.team), to: String(team._id) } });
        await requestMembershipCheck(db, logger, String(before.team));
        await requestMembershipCheck(db, logger, String(team._id));
        return `worker ${userId} moved to ${slug}; Lien removes them from their former team's rooms and invites them to ${slug}'s`;
      }
      case 'rooms:check': {
        const fix = flag(args, 'fix');
        const settings = new Settings(db.models);
        const homeserver = await homeserverForAudit(config, settings, new FieldCipher(secretKey));
        try {
          if ('unavailable' in homeserver.access) throw new Error(`rooms:check cannot reach the homeserver: ${homeserver.access.unavailable}`);
          const findings = await new RoomsCheck(homeserver.access.client, homeserver.access.botUserId, db.models).run({ fix });
          if (fix) await requestMembershipCheck(db, logger);
          await audit.append({ actor, action: fix ? 'rooms.fixed' : 'rooms.checked', details: { rooms: findings.length, differing: findings.filter((f) => f.differences.length > 0).length } });
          return formatRoomFindings(findings, fix);
        } finally {
          await homeserver.stop();
        }
      }
      case 'person:add': {
        const language = (option(args, 'language') ?? 'fr') as Language;
        const [slug, phoneInput, referentId, name] = args;
        if (!slug || !phoneInput || !referentId || !name || !LANGUAGES.includes(language)) throw new UsageError(`person:add <team-slug> <phone> <@referent:server> "<name>" [--language ${LANGUAGES.join('|')}]`);
        const team = await db.models.Team.findOne({ slug });
        const referent = await db.models.Worker.findOne({ matrixUserId: referentId });
        if (!team || !referent) throw new UsageError(`no team ${slug} or no worker ${referentId}`);
        const cipher = new FieldCipher(await resolveSecretKey(config.secretKey, config.dataDir));
        const phone = toE164(phoneInput, config.defaultCountry);
        const person = await db.models.Person.create({ phoneIndex: cipher.blindIndex(phone), phoneSealed: cipher.encrypt(phone), displayName: name, pseudonym: `Personne ${randomInt(1000, 10000)}`, team: team._id, referent: referent._id, language });
        await audit.append({ actor, action: 'person.created', subject: { kind: 'person', id: String(person._id) } });
        return `${name} added to ${slug}, referent ${referentId}`;
      }
      case 'team:hours': {
        const holidays = option(args, 'holidays');
        const [slug, spec] = args;
        if (!slug || !spec || (holidays !== undefined && !(HOLIDAY_CALENDARS as readonly string[]).includes(holidays))) throw new UsageError(`team:hours <slug> "lun-ven 09:00-12:30 13:30-17:00; sam 10:00-12:00" [--holidays ${HOLIDAY_CALENDARS.join('|')}]`);
        const officeHours = parseWeeklySlots(spec);
        const team = await db.models.Team.findOneAndUpdate({ slug }, { $set: { officeHours, ...(holidays ? { holidayCalendar: holidays as HolidayCalendar } : {}) } }, { new: true });
        if (!team) throw new UsageError(`no team ${slug}`);
        await audit.append({ actor, action: 'team.hours_set', subject: { kind: 'team', id: String(team._id) }, details: { slots: officeHours.length, holidays: team.holidayCalendar } });
        return `hours of ${slug} set (${team.timezone}, holidays: ${team.holidayCalendar}); next opening: ${nextOpening(teamHours(team), new Date())?.toISOString() ?? 'none within 60 days'}`;
      }
      case 'team:closure': {
        const [slug, fromInput, untilInput, reason] = args;
        const usage = 'team:closure <slug> <from YYYY-MM-DD[THH:MM]> <until YYYY-MM-DD[THH:MM]> ["reason"]';
        if (!slug || !fromInput || !untilInput) throw new UsageError(usage);
        const team = await db.models.Team.findOne({ slug });
        if (!team) throw new UsageError(`no team ${slug}`);
        // Local time of the team; a date alone starts at 00:00 (from) or ends at midnight after it (until).
        const local = (input: string, endOfDay: boolean): Date => {
          const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}))?$/.exec(input);
          if (!m?.[1]) throw new UsageError(`${usage}: cannot read the date ${input}`);
          return zonedInstant(m[1], m[2] ?? (endOfDay ? '24:00' : '00:00'), team.timezone);
        };
        const from = local(fromInput, false);
        const until = local(untilInput, true);
        if (!(until > from)) throw new UsageError(`${usage}: the closure must end after it starts`);
        await db.models.Team.updateOne({ _id: team._id }, { $push: { closures: { from, until, ...(reason ? { reason } : {}) } } });
        await audit.append({ actor, action: 'team.closure_added', subject: { kind: 'team', id: String(team._id) }, details: { from: from.toISOString(), until: until.toISOString() } });
        return `${slug} closed from ${from.toISOString()} until ${until.toISOString()}`;
      }
      case 'person:export':
      case 'person:erase': {
        const out = option(args, 'out') ?? '.';
        const yes = flag(args, 'yes');
        const [phoneInput] = args;
        if (!phoneInput) throw new UsageError(command === 'person:export' ? 'person:export <phone> [--out dir]' : 'person:erase <phone> [--yes]');
        const rights: RightsDeps = { db, cipher: new FieldCipher(secretKey), audit, i18n: new Translator(), defaultCountry: config.defaultCountry, retentionMonths: config.retentionMonths, actor };
        return await (command === 'person:export' ? personExport(rights, phoneInput, out) : personErase(rights, phoneInput, { yes }));
      }
      case 'audit:verify': {
        const settings = new Settings(db.models);
        const homeserver = await homeserverForAudit(config, settings, new FieldCipher(secretKey));
        try {
          const report = await verifyAuditTrail({ models: db.models, audit, settings, homeserver: homeserver.access });
          if (report.exitCode !== 0) throw new ExitError(report.text, report.exitCode);
          return report.text;
        } finally {
          await homeserver.stop();
        }
      }
      default:
        throw new UsageError('commands: team:add, team:hours, team:closure, worker:add, worker:deactivate, worker:move, person:add, person:export, person:erase, rooms:check, audit:verify (see src/admin.ts)');
    }
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (out) => {
    process.stdout.write(`${out}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    const e = err as Error & { code?: number };
    const message = err instanceof UsageError ? `usage: npm run admin -- ${e.message}` : err instanceof ConfigError || err instanceof RightsCommandError ? e.message : e.code === 11000 ? 'already exists' : e.message;
    process.stderr.write(`${message}\n`);
    process.exit(err instanceof UsageError ? 64 : err instanceof ExitError ? err.exitCode : 1);
  },
);
