import { sql } from 'kysely';
import type { UrgencyLevel } from '../../triage/classify.js';
import type { Store } from '../../store/store.js';
import { isoWeekOf, recentWeeks, type IsoWeek } from './recent-weeks.js';

/**
 * How often the first-reply time promised in an acknowledgement was kept, per urgency level and
 * ISO week of the message (in the team's zone). Counted as `/metrics` counts them: kept = the
 * first agent reply came by the promised time; broken = it came late, or has not come and the
 * time has passed; open = not answered and not yet due. The share kept is of the decided ones.
 */

export const REPORT_LEVELS: readonly UrgencyLevel[] = ['urgent', 'high', 'normal', 'low'];

export interface PromiseCounts {
  kept: number;
  broken: number;
  open: number;
  /** kept / (kept + broken); null while none is decided. */
  share: number | null;
}

export interface PromiseWeek extends PromiseCounts {
  week: IsoWeek;
}

export interface PromiseLevelReport {
  level: UrgencyLevel;
  /** Newest first; only weeks in which this level made promises. */
  weeks: PromiseWeek[];
  overall: PromiseCounts;
}

export interface PromiseReport {
  since: Date;
  weekCount: number;
  levels: PromiseLevelReport[];
  total: number;
}

const counts = (kept: number, broken: number, open: number): PromiseCounts => ({ kept, broken, open, share: kept + broken > 0 ? kept / (kept + broken) : null });

export async function promiseKeeping(deps: { store: Store; zone: string; now: Date }, weekCount = 12): Promise<PromiseReport> {
  const { store, zone, now } = deps;
  const { weeks, since } = await recentWeeks(store, zone, now, weekCount);
  const rows = await sql<{ level: UrgencyLevel; week: string; kept: number | string; broken: number | string; open: number | string }>`
    SELECT level, ${isoWeekOf('received_at', zone)} AS week,
      count(*) FILTER (WHERE kept = true) AS kept,
      count(*) FILTER (WHERE kept = false OR (first_reply_at IS NULL AND due_at < ${now})) AS broken,
      count(*) FILTER (WHERE kept IS NULL AND first_reply_at IS NULL AND due_at >= ${now}) AS open
    FROM acknowledgements
    WHERE decision = 'sent' AND due_at IS NOT NULL AND received_at >= ${since}
    GROUP BY 1, 2`.execute(store.db);
  let total = 0;
  const levels = REPORT_LEVELS.map((level): PromiseLevelReport => {
    const mine = rows.rows.filter((r) => r.level === level);
    const perWeek = weeks.flatMap((week) => {
      const row = mine.find((r) => r.week === week.key);
      return row ? [{ week, ...counts(Number(row.kept), Number(row.broken), Number(row.open)) }] : [];
    });
    const sum = (key: 'kept' | 'broken' | 'open') => perWeek.reduce((n, w) => n + w[key], 0);
    const overall = counts(sum('kept'), sum('broken'), sum('open'));
    total += overall.kept + overall.broken + overall.open;
    return { level, weeks: perWeek, overall };
  });
  return { since, weekCount, levels, total };
}
