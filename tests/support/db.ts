/** A database of its own for each test file, on the run's FerretDB, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, inject } from 'vitest';
import { connect } from '../../src/store/database.js';
import { createModels, syncIndexes, type Models } from '../../src/store/models/index.js';

export interface TestDatabase {
  uri: string;
  conn: Connection;
  models: Models;
}

export function testDatabaseUri(): string {
  return `${inject('mongoUri')}/t_${randomBytes(6).toString('hex')}`;
}

/** Call at the top of a describe block; the returned object is filled in before the first test. */
export function useTestDatabase(): TestDatabase {
  const ctx = {} as TestDatabase;
  beforeAll(async () => {
    ctx.uri = testDatabaseUri();
    ctx.conn = await connect(ctx.uri, 10_000);
    ctx.models = createModels(ctx.conn);
    await syncIndexes(ctx.models);
  });
  afterAll(async () => {
    await ctx.conn?.dropDatabase().catch(() => undefined);
    await ctx.conn?.close();
  });
  return ctx;
}
