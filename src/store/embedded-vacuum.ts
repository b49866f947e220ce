import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from './store.js';

/**
 * Autovacuum for the embedded store. PGlite runs PostgreSQL in single-user mode, which has no
 * autovacuum launcher: without this, every UPDATE and DELETE leaves its dead row version and index
 * entries behind for good, and nothing ever gathers planner statistics. The job queue's table is
 * the one that hurts first — each job is inserted, taken and completed, so the partial index that
 * every fetch walks ("jobs not yet active") keeps an entry for every job ever run, and fetches and
 * the due-work watch slow down as the day goes on.
 *
 * Every pass reads the cumulative statistics PostgreSQL keeps anyway (`pg_stat_all_tables`) and
 * applies autovacuum's own default rule (PostgreSQL docs, "The Autovacuum Daemon"):
 * VACUUM a table once its dead rows exceed 50 + 20% of its live ones
 * (`autovacuum_vacuum_threshold`, `autovacuum_vacuum_scale_factor`), ANALYZE it once the rows
 * changed since the last analysis exceed 50 + 10% (`autovacuum_analyze_*`). One table at a time,
 * through the store's gate like any query, so each holds the database only briefly. On a
 * PostgreSQL server its own autovacuum does this, and this does not run.
 */
const VACUUM_THRESHOLD = 50;
/**
 * ANALYZE samples 300 × this many rows per table; PostgreSQL's default (100) held the embedded
 * store for ~380 ms on a 100k-message table in bench:chat. The hub's queries are simple lookups
 * by key, which coarse statistics plan just as well.
 */
const STATISTICS_TARGET = 20;
const VACUUM_SCALE = 0.2;
const ANALYZE_THRESHOLD = 50;
const ANALYZE_SCALE = 0.1;

interface TableStats {
  schemaname: string;
  relname: string;
  n_live_tup: number;
  n_dead_tup: number;
  n_mod_since_analyze: number;
}

export interface EmbeddedVacuum {
  /** One pass now (also what the timer runs); returns what it did, e.g. `vacuum pgboss.j1a2b`. */
  pass(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startEmbeddedVacuum(store: Store, log: Logger, everyMs = 10_000): EmbeddedVacuum {
  let running: Promise<string[]> | null = null;
  let stopped = false;
  let targetSet = false;
  const pass = async (): Promise<string[]> => {
    const stats = await sql<TableStats>`
      SELECT schemaname, relname, n_live_tup::int, n_dead_tup::int, n_mod_since_analyze::int
      FROM pg_stat_all_tables WHERE schemaname IN ('public', 'pgboss')
      ORDER BY n_dead_tup DESC`.execute(store.db);
    const done: string[] = [];
    for (const table of stats.rows) {
      if (stopped) break;
      const vacuum = table.n_dead_tup > VACUUM_THRESHOLD + VACUUM_SCALE * table.n_live_tup;
      const analyze = table.n_mod_since_analyze > ANALYZE_THRESHOLD + ANALYZE_SCALE * table.n_live_tup;
      if (!vacuum && !analyze) continue;
      // A session setting: once is enough on the embedded store's one connection.
      if (!targetSet) await sql`SET default_statistics_target = ${sql.lit(STATISTICS_TARGET)}`.execute(store.db);
      targetSet = true;
      const name = sql.table(`${table.schemaname}.${table.relname}`);
      await (vacuum ? sql`VACUUM (ANALYZE) ${name}` : sql`ANALYZE ${name}`).execute(store.db);
      done.push(`${vacuum ? 'vacuum' : 'analyze'} ${table.schemaname}.${table.relname}`);
    }
    return done;
  };
  const runOnce = (): Promise<string[]> => {
    running ??= pass()
      .then((done) => {
        if (done.length > 0) log.debug({ done }, 'embedded store: vacuumed and analysed');
        return done;
      })
      .catch((error: unknown) => {
        if (!stopped) log.warn({ err: error }, 'embedded store: vacuum pass failed; the next pass tries again');
        return [];
      })
      .finally(() => (running = null));
    return running;
  };
  const timer = store.backend === 'pglite' ? setInterval(() => void runOnce(), everyMs) : null;
  timer?.unref();
  return {
    pass: runOnce,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
