import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite, Results } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { queryStats } from './query-stats.js';

/**
 * PGlite is one connection in this process. Everything that talks to it — Kysely queries, our
 * transactions, pg-boss — goes through this gate, so a pg-boss poll can never run between our
 * BEGIN and COMMIT and land inside our transaction.
 */
const YIELD_AFTER_MS = 4;

export class PgliteGate {
  private tail: Promise<void> = Promise.resolve();
  private readonly holder = new AsyncLocalStorage<{ holding: boolean }>();
  private lastYield = performance.now();

  async acquire(): Promise<() => void> {
    const mark = this.holder.getStore();
    if (mark?.holding) {
      // On PostgreSQL this would just use another pooled connection; on PGlite it would wait for
      // itself forever. Fail loudly so the caller passes its transaction instead.
      throw new Error('database accessed outside the current transaction while holding it; use the transaction handle');
    }
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    // PGlite answers through promise microtasks, so a queue of waiting queries would drain
    // back to back without ever letting timers or sockets run (measured: 300 ms stalls under chat
    // load). Hand the loop a turn whenever the database has held it for a few milliseconds.
    if (performance.now() - this.lastYield > YIELD_AFTER_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
    }
    if (mark) mark.holding = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (mark) mark.holding = false;
      release();
    };
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Marks the async context of a transaction so nested access outside it is caught. */
  scope<T>(work: () => Promise<T>): Promise<T> {
    return this.holder.run({ holding: false }, work);
  }
}

class PgliteConnection implements DatabaseConnection {
  constructor(
    private readonly pglite: PGlite,
    readonly release: () => void,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiled.sql, [...compiled.parameters]);
    return {
      rows: result.rows,
      numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on PGlite');
  }
}

class PgliteDriver implements Driver {
  constructor(
    private readonly pglite: PGlite,
    private readonly gate: PgliteGate,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PgliteConnection(this.pglite, await this.gate.acquire());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` ISOLATION LEVEL ${settings.isolationLevel.toUpperCase()}` : '';
    await connection.executeQuery(CompiledQuery.raw(`BEGIN${isolation}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PgliteConnection).release();
  }

  async destroy(): Promise<void> {}
}

export function pgliteDialect(pglite: PGlite, gate: PgliteGate): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PgliteDriver(pglite, gate),
    createIntrospector: (db: Kysely<unknown>) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

/**
 * pg-boss's database adapter for PGlite (STACK-NOTES): parameterised SQL through `query`, other
 * text through `exec` (pg-boss sends multi-statement scripts), all behind the gate.
 *
 * After each batch pg-boss fires its own `complete()` without awaiting it (ours already settled
 * every job). If the hub closes the database in that moment, the late call finds it closed; it is
 * answered with nothing — exactly what pg-boss's own database wrapper answers once closed, and
 * what its callers handle — instead of becoming an unhandled rejection.
 */
export function pgliteJobsDb(pglite: PGlite, gate: PgliteGate) {
  return {
    async executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] } | { rows: unknown[] }[] | undefined> {
      return gate.run(async () => {
        if (pglite.closed) return undefined;
        const started = performance.now();
        try {
          if (values && values.length > 0) return await pglite.query(text, values);
          const results: Results[] = await pglite.exec(text);
          return results.length === 1 ? results[0]! : results;
        } finally {
          queryStats?.record(text, performance.now() - started);
        }
      });
    },
  };
}
