/**
 * The database: the MongoDB at MONGODB_URI, or else the embedded FerretDB in the data directory.
 * Connects fast or fails with a clear message; never loops on a stack trace.
 */
import path from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import type { Config } from '../config.js';
import { startFerretDb, type EmbeddedFerretDb } from '../embedded/ferretdb.js';
import type { Logger } from '../logger.js';
import { createModels, syncIndexes, type Models } from './models/index.js';

export class DatabaseUnavailableError extends Error {
  constructor(where: string, cause: unknown) {
    super(`Cannot reach the database at ${where}: ${(cause as Error).message}. Check that it runs and that MONGODB_URI is right.`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

export interface Database {
  conn: Connection;
  models: Models;
  /** Where the data lives, for the start-up banner (never carries credentials). */
  description: string;
  /** Pings the server; rejects when it does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** "mongodb://user:secret@host/db" → "mongodb://host/db" */
export function describeUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//');
}

export async function connect(uri: string, timeoutMs: number): Promise<Connection> {
  const conn = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    autoIndex: false,
  });
  try {
    await conn.asPromise();
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    throw new DatabaseUnavailableError(describeUri(uri), err);
  }
  return conn;
}

export async function openDatabase(config: Config, logger: Logger, progress: (line: string) => void): Promise<Database> {
  let embedded: EmbeddedFerretDb | undefined;
  let uri = config.mongo.uri;
  if (!uri) {
    embedded = await startFerretDb({ toolsDir: config.toolsDir, dataDir: path.join(config.dataDir, 'ferretdb'), progress });
    uri = embedded.uri;
    logger.info({ port: embedded.port }, 'embedded FerretDB started');
  }
  let conn: Connection;
  try {
    conn = await connect(uri, config.mongo.connectTimeoutMs);
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const models = createModels(conn);
  await syncIndexes(models);
  return {
    conn,
    models,
    description: embedded ? `embedded FerretDB (SQLite) in ${path.join(config.dataDir, 'ferretdb')}` : describeUri(uri),
    async ping() {
      const db = conn.db;
      if (!db) throw new Error('not connected');
      await db.admin().ping({ timeoutMS: 2000 });
    },
    async close() {
      await conn.close();
      await embedded?.stop();
    },
  };
}
