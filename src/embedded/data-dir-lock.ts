/**
 * One Lien at a time on a data directory: the embedded FerretDB and Synapse keep their files there, and
 * two of each on the same files would corrupt them. The lock is a file, `lien.lock`, holding the pid of
 * the Lien that took it; a lock whose process is gone (a `kill -9`, a power cut) is taken over.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from './orphans.js';

export const LOCK_FILE = 'lien.lock';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`Another Lien (pid ${pid}) is running on the data directory ${dataDir}: stop it first, or give this one another LIEN_DATA_DIR.`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/** Locks held by this process: a lock file with our own pid that is not among them is a previous run's (pid 1 in a container). */
const held = new Set<string>();

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(path.resolve(dataDir), { recursive: true });
  const file = path.join(path.resolve(dataDir), LOCK_FILE);
  for (let tries = 0; tries < 5; tries++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      held.add(file);
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          held.delete(file);
          // Only our own lock: never remove one another process took over meanwhile.
          if ((await lockPid(file)) === process.pid) await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = await lockPid(file);
    if (pid !== undefined && held.has(file)) throw new DataDirLockedError(dataDir, pid);
    if (pid !== undefined && pid !== process.pid && processAlive(pid)) throw new DataDirLockedError(dataDir, pid);
    // Left by a process that is gone (or half-written): removed, by one taker at a time (an exclusive
    // directory), which reads it again first, so that nobody removes a lock another taker just wrote.
    await takingOver(`${file}.takeover`, async () => {
      const again = await lockPid(file);
      if (again === pid) await rm(file, { force: true });
    });
  }
  throw new Error(`Could not take the lock ${file}: it keeps changing hands`);
}

async function lockPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function takingOver(dir: string, work: () => Promise<void>): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another taker is at it (it takes milliseconds); one that died at it left the directory behind.
    const age = Date.now() - (await stat(dir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > 10_000) await rm(dir, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    return;
  }
  try {
    await work();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
