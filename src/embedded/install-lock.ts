import { mkdir, rm, stat } from 'node:fs/promises';

const STALE_MS = 20 * 60 * 1000;

/**
 * Runs `install` unless `isInstalled` says it is already done, holding a lock directory so that two
 * processes (say `npm start` and `npm test`) never install the same tool at once.
 */
export async function installOnce(lockPath: string, isInstalled: () => Promise<boolean>, install: () => Promise<void>): Promise<void> {
  if (await isInstalled()) return;
  for (;;) {
    try {
      await mkdir(lockPath, { recursive: false });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (await stat(lockPath).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > STALE_MS) await rm(lockPath, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 1000));
      if (await isInstalled()) return;
    }
  }
  try {
    if (!(await isInstalled())) await install();
  } finally {
    await rm(lockPath, { recursive: true, force: true });
  }
}

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
