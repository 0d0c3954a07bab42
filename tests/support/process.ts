/**
 * Runs `src/main.ts` as a real process, as `npm start` does (through tsx), and watches what it says.
 * Node is started with tsx's loader rather than through the `tsx` command, which would run Lien in a
 * child process of its own: here the process the test signals is Lien itself, so a SIGKILL kills Lien
 * rather than orphaning it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface LienProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the URL once Lien prints that it listens. */
  listening(timeoutMs?: number): Promise<string>;
  exited(timeoutMs?: number): Promise<number | null>;
}

export function spawnLien(env: Record<string, string>): LienProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    listening: (timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Lien did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
        const check = () => {
          const m = /Lien is listening on (http:\/\/\S+)/.exec(out);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        };
        child.stderr?.on('data', check);
        void exit.then((code) => {
          clearTimeout(timer);
          reject(new Error(`Lien exited with ${code} before listening:\n${out}`));
        });
        check();
      }),
    exited: (timeoutMs = 30_000) =>
      Promise.race([exit, new Promise<number | null>((_, reject) => setTimeout(() => reject(new Error(`Lien did not exit within ${timeoutMs} ms:\n${out}`)), timeoutMs))]),
  };
}

export interface AdminRun {
  code: number | null;
  /** stdout and stderr together, in the order they came. */
  out: string;
  stdout: string;
  stderr: string;
}

/** `npm run admin -- <args>` as a real process with the given environment (and what to type at its prompt). */
export function runAdmin(env: Record<string, string>, args: string[], stdin?: string): Promise<AdminRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin.ts', ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), (out += d.toString())));
    child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), (out += d.toString())));
    if (stdin !== undefined) child.stdin.write(stdin);
    child.stdin.end();
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out, stdout, stderr }));
  });
}
