/**
 * Starts the real services the tests talk to, once per run, on free loopback ports: a FerretDB (the
 * database) and a Synapse (the Matrix homeserver). Both binaries are installed on first use under
 * `.tools/` by the same installers `npm start` uses, and cached there; their data lives in a temporary
 * directory that is removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startFerretDb, type EmbeddedFerretDb } from '../src/embedded/ferretdb.js';
import { startSynapse, type EmbeddedSynapse } from '../src/embedded/synapse.js';

const toolsDir = path.resolve('.tools');
const say = (line: string) => process.stderr.write(`${line}\n`);

let ferret: EmbeddedFerretDb | undefined;
let synapse: EmbeddedSynapse | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'lien-test-'));
  [ferret, synapse] = await Promise.all([
    startFerretDb({ toolsDir, dataDir: path.join(dataDir, 'ferretdb'), progress: say, database: 'test' }),
    startSynapse({ toolsDir, dataDir: path.join(dataDir, 'synapse'), progress: say }),
  ]);
  project.provide('mongoUri', `mongodb://127.0.0.1:${ferret.port}`);
  project.provide('synapseUrl', synapse.baseUrl);
  project.provide('synapseSharedSecret', synapse.sharedSecret);
  project.provide('toolsDir', toolsDir);
}

export async function teardown(): Promise<void> {
  await Promise.all([ferret?.stop(), synapse?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
