/**
 * Embedded services a previous Lien left running. Each one's pid is recorded in its data directory when
 * it starts (`process.pid` there); a Lien killed on the spot cannot stop its children, so the next start
 * stops whatever that record still names, before starting a fresh one on the same files. A pid is only
 * signalled when its command line names that data directory: a recycled pid is somebody else's process.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const PID_FILE = 'process.pid';

/** Is there a process with this pid (whoever it belongs to)? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process (Linux's /proc), or undefined where it cannot be read. */
export async function commandLine(pid: number): Promise<string | undefined> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return raw?.split('\0').join(' ').trim() || undefined;
}

export async function recordPid(dataDir: string, pid: number | undefined): Promise<void> {
  if (pid) await writeFile(path.join(dataDir, PID_FILE), `${pid}\n`);
}

export async function forgetPid(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, PID_FILE), { force: true });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops the process recorded in `dataDir` if it still runs on it (SIGTERM, then SIGKILL after graceMs).
 * Returns its pid when there was one to stop. The caller holds the data directory's lock (data-dir-lock.ts):
 * no live Lien owns what is stopped here.
 */
export async function stopOrphan(dataDir: string, graceMs = 10_000): Promise<number | undefined> {
  const text = await readFile(path.join(dataDir, PID_FILE), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  const cmd = await commandLine(pid);
  if (!cmd?.includes(dataDir)) {
    await forgetPid(dataDir);
    return undefined;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processAlive(pid) && (await commandLine(pid))?.includes(dataDir)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(200);
      break;
    }
    await sleep(100);
  }
  await forgetPid(dataDir);
  return pid;
}
