/**
 * A whole IndexedDB database as one value, and back: how the wasm crypto engine's store outlives the
 * process in Node, where IndexedDB exists only in memory (fake-indexeddb). The snapshot holds every
 * object store's schema (key path, auto-increment, indexes) and records (key and value, as stored), so
 * that restoring it into an empty factory gives the crypto library the very database it left.
 *
 * The DOM's IndexedDB types are not part of Node's; the few members used here are declared below.
 */

interface Req<T> {
  result: T;
  error: unknown;
  onsuccess: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
interface OpenReq extends Req<Db> {
  onupgradeneeded: ((ev: unknown) => void) | null;
  onblocked: ((ev: unknown) => void) | null;
}
interface Cursor {
  primaryKey: unknown;
  value: unknown;
  continue(): void;
}
interface Index {
  name: string;
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}
interface Store {
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexNames: ArrayLike<string>;
  index(name: string): Index;
  openCursor(): Req<Cursor | null>;
  put(value: unknown, key?: unknown): Req<unknown>;
  createIndex(name: string, keyPath: string | string[], opts: { unique: boolean; multiEntry: boolean }): Index;
}
interface Tx {
  objectStore(name: string): Store;
  oncomplete: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onabort: ((ev: unknown) => void) | null;
  error: unknown;
}
interface Db {
  name: string;
  version: number;
  objectStoreNames: ArrayLike<string>;
  transaction(stores: string[], mode: 'readonly' | 'readwrite'): Tx;
  createObjectStore(name: string, opts: { keyPath?: string | string[] | null; autoIncrement: boolean }): Store;
  close(): void;
}
export interface IdbFactory {
  open(name: string, version?: number): OpenReq;
  deleteDatabase(name: string): Req<unknown>;
  databases(): Promise<Array<{ name?: string; version?: number }>>;
}

export interface StoreSnapshot {
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexes: Array<{ name: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }>;
  records: Array<[key: unknown, value: unknown]>;
}

export interface DatabaseSnapshot {
  /** The database's name without the store-name prefix it was opened under. */
  suffix: string;
  version: number;
  stores: StoreSnapshot[];
}

function done<T>(req: Req<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error instanceof Error ? req.error : new Error(String(req.error)));
  });
}

function completed(tx: Tx): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error instanceof Error ? tx.error : new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error instanceof Error ? tx.error : new Error('IndexedDB transaction aborted'));
  });
}

function openExisting(factory: IdbFactory, name: string): Promise<Db> {
  return done(factory.open(name));
}

/** Every database whose name starts with `prefix`, read in one read-only transaction each. */
export async function dumpDatabases(factory: IdbFactory, prefix: string): Promise<DatabaseSnapshot[]> {
  const out: DatabaseSnapshot[] = [];
  for (const info of await factory.databases()) {
    if (!info.name?.startsWith(prefix)) continue;
    const db = await openExisting(factory, info.name);
    try {
      const names = Array.from(db.objectStoreNames);
      const stores: StoreSnapshot[] = [];
      if (names.length > 0) {
        const tx = db.transaction(names, 'readonly');
        const finished = completed(tx);
        for (const name of names) {
          const store = tx.objectStore(name);
          const snapshot: StoreSnapshot = {
            name,
            keyPath: store.keyPath,
            autoIncrement: store.autoIncrement,
            indexes: Array.from(store.indexNames).map((n) => {
              const idx = store.index(n);
              return { name: n, keyPath: idx.keyPath, unique: idx.unique, multiEntry: idx.multiEntry };
            }),
            records: [],
          };
          stores.push(snapshot);
          const cursorReq = store.openCursor();
          cursorReq.onsuccess = () => {
            const cursor = cursorReq.result;
            if (!cursor) return;
            snapshot.records.push([cursor.primaryKey, cursor.value]);
            cursor.continue();
          };
        }
        await finished;
      }
      out.push({ suffix: info.name.slice(prefix.length), version: db.version, stores });
    } finally {
      db.close();
    }
  }
  return out;
}

/** Recreates the databases of a snapshot under `prefix` (they must not exist yet). */
export async function restoreDatabases(factory: IdbFactory, prefix: string, snapshots: DatabaseSnapshot[]): Promise<void> {
  for (const snap of snapshots) {
    const req = factory.open(`${prefix}${snap.suffix}`, snap.version);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const s of snap.stores) {
        const store = db.createObjectStore(s.name, { ...(s.keyPath !== null ? { keyPath: s.keyPath } : {}), autoIncrement: s.autoIncrement });
        for (const i of s.indexes) store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry });
      }
    };
    const db = await done(req);
    try {
      const names = snap.stores.map((s) => s.name);
      if (names.length === 0) continue;
      const tx = db.transaction(names, 'readwrite');
      const finished = completed(tx);
      for (const s of snap.stores) {
        const store = tx.objectStore(s.name);
        // In-line keys come with the value; out-of-line keys are given apart.
        for (const [key, value] of s.records) store.put(value, s.keyPath === null ? key : undefined);
      }
      await finished;
    } finally {
      db.close();
    }
  }
}

/** Drops the databases whose name starts with `prefix` (frees their memory). */
export async function deleteDatabases(factory: IdbFactory, prefix: string): Promise<void> {
  for (const info of await factory.databases()) {
    if (info.name?.startsWith(prefix)) await done(factory.deleteDatabase(info.name));
  }
}
