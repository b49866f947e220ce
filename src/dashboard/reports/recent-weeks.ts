import { sql } from 'kysely';
import type { Store } from '../../store/store.js';

/** One ISO week in the team's time zone. */
export interface IsoWeek {
  /** `2025-W10`: ISO year and week number (weeks start on Monday). */
  key: string;
  /** The week's Monday, `YYYY-MM-DD` in the team's zone. */
  monday: string;
}

export interface RecentWeeks {
  /** Newest first; the current (unfinished) week is the first. */
  weeks: IsoWeek[];
  /** Monday 00:00 of the oldest week in the team's zone: the start of the reporting period. */
  since: Date;
}

/**
 * The ISO week a timestamp column falls in, in the team's zone, as `IYYY-"W"IW` (the same key
 * `recentWeeks` gives). The database does the zone arithmetic, so a week is grouped in SQL.
 */
export const isoWeekOf = (column: string, zone: string) => sql<string>`to_char(date_trunc('week', ${sql.ref(column)} AT TIME ZONE ${zone}), 'IYYY-"W"IW')`;

/** The last `count` ISO weeks up to `now` in `zone` (the period the report pages cover). */
export async function recentWeeks(store: Store, zone: string, now: Date, count = 12): Promise<RecentWeeks> {
  const rows = await sql<{ key: string; monday: string; since: Date | string }>`
    WITH bounds AS (SELECT date_trunc('week', ${now}::timestamptz AT TIME ZONE ${zone}) AS latest)
    SELECT to_char(w, 'IYYY-"W"IW') AS key, to_char(w, 'YYYY-MM-DD') AS monday,
      (bounds.latest - make_interval(weeks => ${count - 1}::int)) AT TIME ZONE ${zone} AS since
    FROM bounds, generate_series(bounds.latest - make_interval(weeks => ${count - 1}::int), bounds.latest, interval '1 week') AS w
    ORDER BY w DESC`.execute(store.db);
  const first = rows.rows[0];
  if (!first) throw new Error('recentWeeks: no weeks');
  return { weeks: rows.rows.map((r) => ({ key: r.key, monday: r.monday })), since: new Date(first.since) };
}
