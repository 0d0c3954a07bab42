/**
 * Lien killed on the spot (SIGKILL) on its embedded default: the embedded FerretDB and Synapse do not
 * outlive it, a restart on the same data directory runs exactly one of each (counted by the data-directory
 * arguments of the machine's processes), and it works. A second Lien on a data directory in use is
 * refused, and a FerretDB left running on the data files (an orphan, its pid recorded there) is stopped
 * before a fresh one starts.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ferretDbBinary } from '../../src/embedded/ferretdb.js';
import { PID_FILE } from '../../src/embedded/orphans.js';
import { freePort, waitForPort } from '../../src/embedded/ports.js';
import { spawnLien, type LienProcess } from '../support/process.js';
import { waitFor } from '../support/wait.js';

/** The processes of this machine whose command line names `marker`. */
async function processesOn(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.split('\0').join(' ').includes(marker)) found.push(Number(entry));
  }
  return found;
}

const ferretOn = (dataDir: string) => processesOn(`--state-dir=${path.join(dataDir, 'ferretdb')}`);
const synapseOn = (dataDir: string) => processesOn(path.join(dataDir, 'synapse', 'homeserver.yaml'));

describe('the embedded services of a Lien killed on the spot', () => {
  const dirs: string[] = [];
  const running: LienProcess[] = [];
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function dataDir(): Promise<string> {
    const d = await mkdtemp(path.join(os.tmpdir(), 'lien-orphans-'));
    dirs.push(d);
    return d;
  }
  function start(env: Record<string, string>): LienProcess {
    const p = spawnLien(env);
    running.push(p);
    return p;
  }

  it('leaves one FerretDB and one Synapse on the data directory after kill -9 and a restart, and works', { timeout: 240_000 }, async () => {
    const dir = await dataDir();
    const env = { LIEN_DATA_DIR: dir, LIEN_TOOLS_DIR: inject('toolsDir'), PORT: '0', LOG_LEVEL: 'warn' };
    const first = start(env);
    const url1 = await first.listening();
    expect(await ferretOn(dir)).toHaveLength(1);
    expect(await synapseOn(dir)).toHaveLength(1);

    // While it runs, a second Lien on the same data directory is refused, and starts nothing.
    const second = start(env);
    expect(await second.exited(60_000)).toBe(1);
    expect(second.output()).toContain(`Another Lien (pid ${first.child.pid}) is running on the data directory`);
    expect(await ferretOn(dir)).toHaveLength(1);
    expect(await synapseOn(dir)).toHaveLength(1);

    first.child.kill('SIGKILL');
    expect(await first.exited()).toBeNull();
    await expect(fetch(`${url1}/healthz`)).rejects.toThrow();

    const third = start(env);
    const url3 = await third.listening();
    expect(await ferretOn(dir)).toHaveLength(1);
    expect(await synapseOn(dir)).toHaveLength(1);
    const res = await fetch(`${url3}/healthz`);
    const health = (await res.json()) as { checks: Record<string, { status: string }> };
    expect(res.status, JSON.stringify(health)).toBe(200);
    expect(health.checks.database?.status).toBe('ok');
    expect(health.checks.matrix?.status).toBe('ok');

    third.child.kill('SIGTERM');
    expect(await third.exited()).toBe(0);
    expect(await ferretOn(dir)).toEqual([]);
    expect(await synapseOn(dir)).toEqual([]);
  });

  it('stops a FerretDB left running on the data files before starting its own', { timeout: 240_000 }, async () => {
    const dir = await dataDir();
    const ferretDir = path.join(dir, 'ferretdb');
    // An orphan as a killed Lien leaves it where the children cannot be told (no parent-death signal):
    // a FerretDB of its own session, on the data files, its pid recorded in the data directory.
    const port = await freePort();
    await mkdir(ferretDir, { recursive: true });
    const orphan = spawn(ferretDbBinary(inject('toolsDir')), ['--handler=sqlite', `--sqlite-url=file:${ferretDir}/`, `--state-dir=${ferretDir}`, `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable'], { detached: true, stdio: 'ignore' });
    orphan.unref();
    await waitForPort('127.0.0.1', port, 30_000, () => orphan.exitCode === null);
    await writeFile(path.join(ferretDir, PID_FILE), `${orphan.pid}\n`);
    expect(await ferretOn(dir)).toEqual([orphan.pid]);

    const lien = start({ LIEN_DATA_DIR: dir, LIEN_TOOLS_DIR: inject('toolsDir'), PORT: '0', LOG_LEVEL: 'warn' });
    const url = await lien.listening();
    const running = await ferretOn(dir);
    expect(running).toHaveLength(1);
    expect(running).not.toContain(orphan.pid);
    expect(lien.output()).toContain(`Stopped a FerretDB (pid ${orphan.pid})`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    lien.child.kill('SIGTERM');
    expect(await lien.exited()).toBe(0);
    await waitFor('no FerretDB left on the data directory', async () => (await ferretOn(dir)).length === 0 || undefined);
  });
});
