import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import type { LogEvent } from 'kysely';

/**
 * Database time per job kind and statement, for finding where a bench's time goes
 * (`HUB_QUERY_STATS_FILE=/tmp/q.tsv npm start`; the table is written when the process exits).
 * Off by default: the hook costs a Map update per query.
 *
 * Each statement is timed from when it has the connection to its answer (Kysely's log event;
 * pg-boss's own statements on PGlite by the jobs adapter), so waiting for the embedded store's
 * gate is not counted twice. The kind is the job running the query (`job:sync.push`), else
 * `request` or `other`.
 */
export class QueryStats {
  private readonly kind = new AsyncLocalStorage<string>();
  private readonly totals = new Map<string, { count: number; ms: number }>();

  constructor(private readonly file: string) {
    process.once('exit', () => writeFileSync(this.file, this.report()));
  }

  /** Runs `work` with its queries counted under `kind`. */
  within<T>(kind: string, work: () => T): T {
    return this.kind.run(kind, work);
  }

  record(sqlText: string, ms: number): void {
    const statement = sqlText.replace(/\s+/g, ' ').trim().slice(0, 120);
    const key = `${this.kind.getStore() ?? 'other'}\t${statement}`;
    const total = this.totals.get(key) ?? { count: 0, ms: 0 };
    total.count++;
    total.ms += ms;
    this.totals.set(key, total);
  }

  /** Starts counting afresh (a bench measuring only its steady state). */
  reset(): void {
    this.totals.clear();
  }

  /** Kysely's `log` option. */
  readonly kyselyLog = (event: LogEvent): void => this.record(event.query.sql, event.queryDurationMillis);

  /** Tab-separated: total ms, count, mean ms, kind, statement; by kind first, then the statements, largest first. */
  report(): string {
    const byKind = new Map<string, { count: number; ms: number }>();
    for (const [key, total] of this.totals) {
      const kind = key.slice(0, key.indexOf('\t'));
      const sum = byKind.get(kind) ?? { count: 0, ms: 0 };
      sum.count += total.count;
      sum.ms += total.ms;
      byKind.set(kind, sum);
    }
    const rows = (entries: [string, { count: number; ms: number }][]) =>
      entries
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([key, t]) => `${t.ms.toFixed(0)}\t${t.count}\t${(t.ms / t.count).toFixed(2)}\t${key}`)
        .join('\n');
    return `ms\tcount\tmean_ms\tkind\n${rows([...byKind])}\n\nms\tcount\tmean_ms\tkind\tstatement\n${rows([...this.totals])}\n`;
  }
}

const file = process.env['HUB_QUERY_STATS_FILE'];
/** The process's query statistics, or null (the default: not collected). */
export const queryStats: QueryStats | null = file ? new QueryStats(file) : null;

/** Runs `work` with its queries counted under `kind` when statistics are collected; else just runs it. */
export function countQueriesAs<T>(kind: string, work: () => T): T {
  return queryStats ? queryStats.within(kind, work) : work();
}

/** The Kysely options that feed the statistics (none when they are off). */
export const kyselyQueryStats = queryStats ? { log: queryStats.kyselyLog } : {};
