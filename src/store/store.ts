import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { acquireDataDirLock, type DataDirLock } from './datadir-lock.js';
import { pgliteDialect, pgliteJobsDb, PgliteGate } from './pglite-driver.js';
import type { HubDatabase } from './schema.js';

export type Backend = 'pglite' | 'postgres';
export type Tx = Transaction<HubDatabase>;

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

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  poolSize: number;
}

// int8 (counts, positions) as a JS number on both backends; PGlite already does this.
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (value: string) => Number(value));

export async function openStore(options: StoreOptions): Promise<Store> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

async function openPglite(options: StoreOptions): Promise<Store> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // The lock comes first: opening PGlite beside a live hub would already risk its files.
  const lock: DataDirLock = acquireDataDirLock(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(join(dataDir, 'pg'));
  } catch (error) {
    lock.release();
    throw error;
  }
  const gate = new PgliteGate();
  const db = new Kysely<HubDatabase>({ dialect: pgliteDialect(pglite, gate) });
  return {
    backend: 'pglite',
    db,
    transaction: (work) => gate.scope(() => db.transaction().execute(work)),
    jobsConnection: { db: pgliteJobsDb(pglite, gate) },
    jobsDbFor: txJobsDb,
    databaseUrl: null,
    dataDir,
    async close() {
      await db.destroy();
      await gate.run(() => pglite.close());
      lock.release();
    },
  };
}

async function openPostgres(databaseUrl: string, options: StoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize });
  // Fail at start, with the server's own words, rather than on the first request.
  const client = await pool.connect();
  client.release();
  const db = new Kysely<HubDatabase>({ dialect: new PostgresDialect({ pool }) });
  const dataDir = resolve(options.dataDir);
  return {
    backend: 'postgres',
    db,
    transaction: (work) => db.transaction().execute(work),
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
