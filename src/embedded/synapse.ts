/**
 * The embedded Matrix homeserver: Synapse, pip-installed once into a Python venv at `<tools>/synapse`
 * and started on a free loopback port with a configuration that Lien writes itself (SQLite, no
 * federation, no open registration, rate limits lifted). Accounts are created through Synapse's
 * shared-secret registration API.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import { MatrixClient, MatrixError } from '../channels/matrix/client.js';
import { startProcess, run, ToolMissingError, type ManagedProcess } from './child-process.js';
import { forgetPid, recordPid, stopOrphan } from './orphans.js';
import { exists, installOnce } from './install-lock.js';
import { freePort } from './ports.js';

/** The Synapse release pip installs; an existing venv with another version is replaced. */
export const SYNAPSE_VERSION = '1.163.2';
const START_TIMEOUT_MS = 90_000;
const MIN_PYTHON: readonly [number, number] = [3, 10];

export class SynapseInstallError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SynapseInstallError';
  }
}

/** Python 3 is absent or too old to install Synapse. */
export class PythonMissingError extends SynapseInstallError {
  constructor(detail: string) {
    super(
      `The embedded Matrix homeserver needs Python ${MIN_PYTHON.join('.')}+ with venv to install Synapse once (${detail}). ` +
        'Install it (apt-get install python3 python3-venv), or set MATRIX_HOMESERVER_URL to an existing homeserver.',
    );
    this.name = 'PythonMissingError';
  }
}

export class SynapseStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SynapseStartError';
  }
}

export function synapseVenv(toolsDir: string): string {
  return path.join(toolsDir, 'synapse');
}

export function synapsePython(toolsDir: string): string {
  return path.join(synapseVenv(toolsDir), 'bin', 'python');
}

/**
 * The Synapse version importable with `python`, or undefined when `import synapse` fails. Only the
 * first word of `synapse.__version__` counts: when the venv sits inside a git work tree, Synapse
 * appends that tree's branch and commit, e.g. `1.163.2 (b=main,1270220)`.
 */
async function installedSynapseVersion(python: string): Promise<string | undefined> {
  try {
    const out = await run(python, ['-c', 'import synapse; print(synapse.__version__)']);
    return out.trim().split(/\s+/)[0] || undefined;
  } catch {
    return undefined;
  }
}

async function hasPinnedSynapse(python: string): Promise<boolean> {
  return (await installedSynapseVersion(python)) === SYNAPSE_VERSION;
}

/**
 * Makes sure `<toolsDir>/synapse` is a venv in which Synapse {@link SYNAPSE_VERSION} imports,
 * creating it afresh with the system `python3` otherwise (a venv holding another version, or a
 * broken one, is replaced). The venv is built under a temporary name and renamed into place only
 * once pip has finished, so an interrupted install is never taken for a good one.
 */
export async function ensureSynapse(toolsDir: string, progress: (line: string) => void): Promise<string> {
  const venv = synapseVenv(toolsDir);
  const python = synapsePython(toolsDir);
  await mkdir(toolsDir, { recursive: true });
  await installOnce(path.join(toolsDir, '.synapse.lock'), () => hasPinnedSynapse(python), async () => {
    await checkSystemPython();
    const shown = path.relative(process.cwd(), venv);
    const previous = await installedSynapseVersion(python);
    progress(
      `Installing Synapse ${SYNAPSE_VERSION} into ${shown.startsWith('..') ? venv : shown} with pip ` +
        `(${previous ? `replacing ${previous}` : 'first run only'}, a few minutes)…`,
    );
    await removeStaleTempVenvs(toolsDir);
    const tmp = `${venv}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    try {
      try {
        await run('python3', ['-m', 'venv', '--prompt', 'synapse', tmp]);
      } catch (err) {
        if (err instanceof ToolMissingError) throw new PythonMissingError('python3 was not found');
        throw new PythonMissingError(`python3 -m venv failed: ${(err as Error).message}`);
      }
      try {
        await run(path.join(tmp, 'bin', 'pip'), ['install', '--disable-pip-version-check', '-q', `matrix-synapse==${SYNAPSE_VERSION}`]);
      } catch (err) {
        throw new SynapseInstallError(`Could not install Synapse with pip: ${(err as Error).message}`, { cause: err });
      }
      const built = await installedSynapseVersion(path.join(tmp, 'bin', 'python'));
      if (built !== SYNAPSE_VERSION) {
        throw new SynapseInstallError(
          built
            ? `pip installed Synapse ${built} instead of ${SYNAPSE_VERSION}`
            : 'Synapse was installed with pip but `import synapse` fails in its venv',
        );
      }
      await retargetVenv(tmp, venv);
      // Whatever sits at the final path failed the version check (we hold the lock): replace it.
      await rm(venv, { recursive: true, force: true });
      await rename(tmp, venv);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    if (!(await hasPinnedSynapse(python))) {
      throw new SynapseInstallError(`Synapse ${SYNAPSE_VERSION} does not import from ${venv} after installation`);
    }
  });
  return python;
}

async function checkSystemPython(): Promise<void> {
  let version: string;
  try {
    version = (await run('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'])).trim();
  } catch (err) {
    if (err instanceof ToolMissingError) throw new PythonMissingError('python3 was not found');
    throw new PythonMissingError(`python3 does not run: ${(err as Error).message}`);
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new PythonMissingError(`python3 is version ${version}`);
  }
}

/** Removes temporary venvs left by installs whose process is gone. */
async function removeStaleTempVenvs(toolsDir: string): Promise<void> {
  for (const name of await readdir(toolsDir)) {
    const m = /^synapse\.tmp-(\d+)$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && processAlive(pid)) continue;
    await rm(path.join(toolsDir, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A venv's scripts (pip, synctl, register_new_matrix_user, activate) name the venv's absolute path;
 * rewrites them before the venv is renamed from `from` to `to`. `bin/python` itself is a symlink to
 * the system interpreter and finds the venv through `pyvenv.cfg`, so it needs nothing.
 */
async function retargetVenv(from: string, to: string): Promise<void> {
  const bin = path.join(from, 'bin');
  const files = [...(await readdir(bin)).map((name) => path.join(bin, name)), path.join(from, 'pyvenv.cfg')];
  for (const file of files) {
    const info = await lstat(file).catch(() => undefined);
    if (!info?.isFile() || info.size > 1024 * 1024) continue;
    const content = await readFile(file);
    if (content.includes(0)) continue; // binary
    const text = content.toString('utf8');
    if (text.includes(from)) await writeFile(file, text.split(from).join(to), { mode: info.mode });
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration

type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/**
 * A small YAML writer, enough for Synapse's configuration: strings are double-quoted (JSON escapes
 * are valid YAML), numbers must be integers or have a decimal point (PyYAML reads `1e6` as a string).
 */
function toYaml(value: { [key: string]: YamlValue }, indent = ''): string {
  let out = '';
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v) && v.length > 0) {
      out += `${indent}${key}:\n`;
      for (const item of v) {
        if (isMapping(item) && Object.keys(item).length > 0) {
          const inner = `${indent}    `;
          out += `${indent}  - ${toYaml(item, inner).slice(inner.length)}`;
        } else {
          out += `${indent}  - ${scalar(item)}\n`;
        }
      }
    } else if (isMapping(v) && Object.keys(v).length > 0) {
      out += `${indent}${key}:\n${toYaml(v, `${indent}  `)}`;
    } else {
      out += `${indent}${key}: ${scalar(v)}\n`;
    }
  }
  return out;
}

function isMapping(v: YamlValue): v is { [key: string]: YamlValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(v: YamlValue): string {
  if (Array.isArray(v)) {
    if (v.length > 0) throw new Error('non-empty list in scalar position');
    return '[]';
  }
  if (isMapping(v)) {
    if (Object.keys(v).length > 0) throw new Error('non-empty mapping in scalar position');
    return '{}';
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`cannot write ${v} to YAML`);
  return JSON.stringify(v);
}

/** What must survive restarts: the secrets and the server name the database was created for. */
interface PersistedState {
  serverName: string;
  registrationSharedSecret: string;
  macaroonSecretKey: string;
  formSecret: string;
}

const STATE_FILE = 'lien-synapse.json';

async function loadOrCreateState(dataDir: string, serverName: string | undefined): Promise<PersistedState> {
  const file = path.join(dataDir, STATE_FILE);
  if (await exists(file)) {
    const state = JSON.parse(await readFile(file, 'utf8')) as PersistedState;
    if (serverName !== undefined && serverName !== state.serverName) {
      throw new SynapseStartError(
        `The homeserver data in ${dataDir} belongs to server name "${state.serverName}", not "${serverName}"; ` +
          'a Matrix server name cannot change. Use another data directory to start afresh.',
      );
    }
    return state;
  }
  const secret = () => randomBytes(32).toString('base64url');
  const state: PersistedState = {
    serverName: serverName ?? 'localhost',
    registrationSharedSecret: secret(),
    macaroonSecretKey: secret(),
    formSecret: secret(),
  };
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return state;
}

/** No rate limits worth the name: Lien's own traffic and the tests must never be throttled. */
function unlimited(): { per_second: number; burst_count: number } {
  return { per_second: 1_000_000, burst_count: 1_000_000 };
}

function synapseConfig(dataDir: string, port: number, state: PersistedState): { [key: string]: YamlValue } {
  return {
    server_name: state.serverName,
    public_baseurl: `http://127.0.0.1:${port}/`,
    pid_file: path.join(dataDir, 'homeserver.pid'),
    listeners: [
      {
        port,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        resources: [{ names: ['client'], compress: false }],
      },
    ],
    federation_domain_whitelist: [],
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    database: { name: 'sqlite3', args: { database: path.join(dataDir, 'homeserver.db') } },
    media_store_path: path.join(dataDir, 'media_store'),
    log_config: path.join(dataDir, 'log.config'),
    signing_key_path: path.join(dataDir, 'signing.key'),
    registration_shared_secret: state.registrationSharedSecret,
    macaroon_secret_key: state.macaroonSecretKey,
    form_secret: state.formSecret,
    enable_registration: false,
    report_stats: false,
    enable_metrics: false,
    url_preview_enabled: false,
    presence: { enabled: false },
    rc_message: unlimited(),
    rc_registration: unlimited(),
    rc_login: { address: unlimited(), account: unlimited(), failed_attempts: unlimited() },
    rc_joins: { local: unlimited(), remote: unlimited() },
    rc_joins_per_room: unlimited(),
    rc_invites: { per_room: unlimited(), per_user: unlimited(), per_issuer: unlimited() },
    rc_third_party_invite: unlimited(),
    rc_3pid_validation: unlimited(),
    rc_admin_redaction: unlimited(),
    rc_key_requests: unlimited(),
    rc_media_create: unlimited(),
    rc_delayed_event_mgmt: unlimited(),
    rc_room_creation: unlimited(),
    rc_reports: unlimited(),
    rc_profile: unlimited(),
    rc_user_directory: unlimited(),
  };
}

function logConfig(logFile: string): string {
  return toYaml({
    version: 1,
    formatters: { precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s' } },
    handlers: {
      file: {
        class: 'logging.handlers.RotatingFileHandler',
        formatter: 'precise',
        filename: logFile,
        maxBytes: 10 * 1024 * 1024,
        backupCount: 2,
        encoding: 'utf8',
      },
    },
    root: { level: 'WARNING', handlers: ['file'] },
    disable_existing_loggers: false,
  });
}

// ---------------------------------------------------------------------------------------------
// Running

export interface EmbeddedSynapse {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  serverName: string;
  sharedSecret: string;
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts Synapse with its data in `dataDir` (created if needed) on a free loopback port (or on `port`,
 * e.g. to come back where a client expects it). The configuration is rewritten at each start for the
 * port, from secrets kept in `<dataDir>/lien-synapse.json`, so the database, signing key and accounts
 * persist across restarts.
 */
export async function startSynapse(opts: {
  toolsDir: string;
  dataDir: string;
  progress: (line: string) => void;
  serverName?: string;
  port?: number;
}): Promise<EmbeddedSynapse> {
  const python = await ensureSynapse(opts.toolsDir, opts.progress);
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(path.join(dataDir, 'media_store'), { recursive: true });
  // One Synapse on these files: one a killed Lien left running is stopped first.
  const orphan = await stopOrphan(dataDir, 15_000);
  if (orphan) opts.progress(`Stopped a Synapse (pid ${orphan}) that a previous run left on ${dataDir}.`);
  const state = await loadOrCreateState(dataDir, opts.serverName);
  const port = opts.port ?? (await freePort());
  const configFile = path.join(dataDir, 'homeserver.yaml');
  const homeserverLog = path.join(dataDir, 'homeserver.log');
  const consoleLog = path.join(dataDir, 'synapse-console.log');
  await writeFile(path.join(dataDir, 'log.config'), `# Written by Lien at each start of the embedded Synapse.\n${logConfig(homeserverLog)}`);
  await writeFile(
    configFile,
    '# Written by Lien at each start of the embedded Synapse (the port changes); edits are overwritten.\n' +
      `# Secrets come from ${STATE_FILE}.\n` +
      toYaml(synapseConfig(dataDir, port, state)),
    { mode: 0o600 },
  );
  if (!(await exists(path.join(dataDir, 'signing.key')))) {
    try {
      await run(python, ['-m', 'synapse.app.homeserver', '-c', configFile, '--generate-keys'], { cwd: dataDir });
    } catch (err) {
      throw new SynapseStartError(`Could not generate the Synapse signing key: ${(err as Error).message}`, { cause: err });
    }
  }
  const proc = startProcess({
    command: python,
    args: ['-m', 'synapse.app.homeserver', '-c', configFile],
    cwd: dataDir,
    logFile: consoleLog,
  });
  await recordPid(dataDir, proc.pid);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForClientApi(baseUrl, START_TIMEOUT_MS, () => proc.alive());
  } catch (err) {
    await proc.stop();
    await forgetPid(dataDir);
    throw new SynapseStartError(`Synapse did not start (see ${consoleLog} and ${homeserverLog}): ${(err as Error).message}`, { cause: err });
  }
  return {
    baseUrl,
    serverName: state.serverName,
    sharedSecret: state.registrationSharedSecret,
    port,
    process: proc,
    stop: async () => {
      await proc.stop(15_000);
      await forgetPid(dataDir);
    },
  };
}

async function waitForClientApi(baseUrl: string, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const client = new MatrixClient(baseUrl, undefined);
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (!isAlive()) throw new Error('the Synapse process exited');
    try {
      await client.request('GET', '/_matrix/client/versions', { timeoutMs: 5000, maxRateLimitRetries: 0 });
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${baseUrl}/_matrix/client/versions did not answer within ${timeoutMs / 1000} s (last: ${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---------------------------------------------------------------------------------------------
// Accounts

export interface MatrixSession {
  userId: string;
  accessToken: string;
  deviceId: string;
}

type SessionResponse = { user_id: string; access_token: string; device_id: string };

function toSession(res: SessionResponse): MatrixSession {
  return { userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id };
}

/**
 * Creates an account through Synapse's shared-secret registration API; if the localpart is taken,
 * logs in with the password instead (a new device and access token either way). Failures throw
 * MatrixError (HTTP status and Matrix errcode) or HomeserverUnreachableError.
 */
export async function registerUser(
  baseUrl: string,
  sharedSecret: string,
  user: { localpart: string; password: string; admin?: boolean; displayName?: string },
): Promise<MatrixSession> {
  const client = new MatrixClient(baseUrl, undefined);
  const endpoint = '/_synapse/admin/v1/register';
  const { nonce } = await client.request<{ nonce: string }>('GET', endpoint);
  const admin = user.admin ?? false;
  const mac = createHmac('sha1', sharedSecret)
    .update(`${nonce}\0${user.localpart}\0${user.password}\0${admin ? 'admin' : 'notadmin'}`)
    .digest('hex');
  try {
    return toSession(
      await client.request<SessionResponse>('POST', endpoint, {
        body: { nonce, username: user.localpart, password: user.password, admin, mac, ...(user.displayName ? { displayname: user.displayName } : {}) },
      }),
    );
  } catch (err) {
    if (err instanceof MatrixError && err.status === 400 && err.errcode === 'M_USER_IN_USE') {
      return loginWithPassword(baseUrl, user.localpart, user.password);
    }
    throw err;
  }
}

/** `m.login.password` login; `user` is a localpart or a full user ID. Failures throw MatrixError. */
export async function loginWithPassword(baseUrl: string, user: string, password: string): Promise<MatrixSession> {
  const client = new MatrixClient(baseUrl, undefined);
  return toSession(
    await client.request<SessionResponse>('POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password },
    }),
  );
}
