import { existsSync, mkdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { acquireDataDirLock, type DataDirLock } from './datadir-lock.js';
import { pgliteDialect, pgliteJobsDb, PgliteGate } from './pglite-driver.js';
import { kyselyQueryStats } from './query-stats.js';
import type { HubDatabase } from './schema.js';

export type Backend = 'pglite' | 'postgres';
export type Tx = Transaction<HubDatabase>;

/**
 * A caller's own write that must commit with a change or not at all (the dashboard's audit row for
 * a staff action): passed to the method that owns the transaction, run inside it.
 */
export type AlsoInTransaction = (tx: Tx) => Promise<void>;

/** The `db` adapter shape pg-boss accepts (constructor option and per-call `db` option). */
export interface JobsDb {
  executeSql(text: string, values?: unknown[]): Promise<unknown>;
}

export interface Store {
  backend: Backend;
  db: Kysely<HubDatabase>;
  /** Runs `work` in one transaction; on PGlite it also guards against access outside it. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** What pg-boss should use outside our transactions. */
  jobsConnection: { db: JobsDb } | { connectionString: string; max: number };
  /** pg-boss adapter that runs inside one of our transactions (the transactional outbox). */
  jobsDbFor(tx: Tx): JobsDb;
  /** PostgreSQL URL when on a server (the event bus opens its LISTEN connection with it). */
  databaseUrl: string | null;
  /** Directory for files the hub keeps beside the database (attachments); null on a server without one. */
  dataDir: string;
  close(): Promise<void>;
}

const commitHooks = new WeakMap<Tx, (() => void)[]>();

/**
 * Runs `hook` once `tx` has committed, and never if it rolls back: what must follow a write but
 * only once it is visible (waking the workers for the jobs it enqueued). Outside a transaction the
 * store opened, at once.
 */
export function afterCommit(tx: Tx, hook: () => void): void {
  const hooks = commitHooks.get(tx);
  if (hooks) hooks.push(hook);
  else hook();
}

async function transactionWithHooks<T>(db: Kysely<HubDatabase>, work: (tx: Tx) => Promise<T>): Promise<T> {
  const hooks: (() => void)[] = [];
  const result = await db.transaction().execute((tx) => {
    commitHooks.set(tx, hooks);
    return work(tx);
  });
  for (const hook of hooks) hook();
  return result;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  poolSize: number;
  /**
   * A throwaway embedded store held in memory (`npm run doctor`'s scratch store): no data
   * directory is written or locked (`dataDir` only names where attachments would go). Creating one
   * takes ~3 s; a fresh data directory takes ~8 (initdb in a child, then the reopen).
   */
  inMemory?: boolean;
}

const execFileAsync = promisify(execFile);
// The child resolves '@electric-sql/pglite' from here, wherever the hub was started from.
const moduleDir = dirname(fileURLToPath(import.meta.url));

// int8 (counts, positions) as a JS number on both backends; PGlite already does this.
const INT8_OID = 20;
// bytea as a Buffer on both backends (node-postgres's default; PGlite would give a Uint8Array).
const BYTEA_OID = 17;
const PGLITE_PARSERS = { [BYTEA_OID]: (value: string) => Buffer.from(value.slice(2), 'hex') };
pg.types.setTypeParser(INT8_OID, (value: string) => Number(value));

export async function openStore(options: StoreOptions): Promise<Store> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

async function openPglite(options: StoreOptions): Promise<Store> {
  if (options.inMemory) return pgliteStore(await PGlite.create({ parsers: PGLITE_PARSERS }), resolve(options.dataDir), null);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // The lock comes first: opening PGlite beside a live hub would already risk its files.
  const lock: DataDirLock = acquireDataDirLock(dataDir);
  let pglite: PGlite;
  try {
    const pgDir = join(dataDir, 'pg');
    if (!existsSync(join(pgDir, 'PG_VERSION'))) await initPgliteDir(pgDir);
    pglite = await PGlite.create(pgDir, { parsers: PGLITE_PARSERS });
  } catch (error) {
    lock.release();
    throw error;
  }
  return pgliteStore(pglite, dataDir, lock);
}

function pgliteStore(pglite: PGlite, dataDir: string, lock: DataDirLock | null): Store {
  const gate = new PgliteGate();
  const db = new Kysely<HubDatabase>({ dialect: pgliteDialect(pglite, gate), ...kyselyQueryStats });
  return {
    backend: 'pglite',
    db,
    transaction: (work) => gate.scope(() => transactionWithHooks(db, work)),
    jobsConnection: { db: pgliteJobsDb(pglite, gate) },
    jobsDbFor: txJobsDb,
    databaseUrl: null,
    dataDir,
    async close() {
      await db.destroy();
      await gate.run(() => pglite.close());
      lock?.release();
    },
  };
}

/**
 * initdb leaves its PGlite instance holding ~900 MB of WebAssembly memory that never shrinks. Run
 * it in a short-lived child process, whose memory is returned to the system when it exits, so the
 * hub itself only ever reopens a data directory (~400 MB).
 */
async function initPgliteDir(pgDir: string): Promise<void> {
  const script = `import('@electric-sql/pglite').then(async ({ PGlite }) => { await (await PGlite.create(process.argv[1])).close(); })`;
  try {
    await execFileAsync(process.execPath, ['-e', script, pgDir], { cwd: moduleDir });
  } catch (error) {
    throw new Error(`initialising the embedded database in ${pgDir} failed: ${(error as { stderr?: string }).stderr || (error as Error).message}`);
  }
}

async function openPostgres(databaseUrl: string, options: StoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize });
  // Fail at start, with the server's own words, rather than on the first request.
  const client = await pool.connect();
  client.release();
  const db = new Kysely<HubDatabase>({ dialect: new PostgresDialect({ pool }), ...kyselyQueryStats });
  const dataDir = resolve(options.dataDir);
  return {
    backend: 'postgres',
    db,
    transaction: (work) => transactionWithHooks(db, work),
    // pg-boss keeps a small pool of its own so its polling never starves request handling.
    jobsConnection: { connectionString: databaseUrl, max: Math.max(2, Math.ceil(options.poolSize / 3)) },
    jobsDbFor: txJobsDb,
    databaseUrl,
    dataDir,
    async close() {
      await db.destroy(); // ends the pool
    },
  };
}

function txJobsDb(tx: Tx): JobsDb {
  return {
    async executeSql(text, values) {
      const result = await tx.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows };
    },
  };
}
