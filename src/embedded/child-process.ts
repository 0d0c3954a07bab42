import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A long-running helper process (FerretDB, Synapse) that Lien starts and stops with itself. */
export interface ManagedProcess {
  readonly pid: number | undefined;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** File that receives the process's stdout and stderr (kept for diagnosis). */
  logFile: string;
}

/**
 * Where Linux's `setpriv` is (util-linux): it starts a command that receives a signal when its parent
 * dies (PR_SET_PDEATHSIG, kept across exec), so that an embedded service does not outlive a Lien killed
 * on the spot. Elsewhere, the next start stops the orphan (see orphans.ts).
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => process.platform === 'linux' && existsSync(p));

export function startProcess(opts: StartOptions): ManagedProcess {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const [command, args] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'TERM', '--', opts.command, ...opts.args]] : [opts.command, opts.args];
  const child: ChildProcess = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  return {
    pid: child.pid,
    alive: () => !exited,
    async stop(graceMs = 5000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      log.end();
    },
  };
}

/** Runs a command to completion; rejects with its stderr on failure. */
export async function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { ...opts, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new ToolMissingError(command);
    throw new Error(`${command} ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-5).join('\n')}`);
  }
}

export class ToolMissingError extends Error {
  constructor(readonly tool: string) {
    super(`${tool} was not found on this machine`);
    this.name = 'ToolMissingError';
  }
}
