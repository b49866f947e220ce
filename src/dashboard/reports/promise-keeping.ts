import { sql } from 'kysely';
import type { UrgencyLevel } from '../../triage/classify.js';
import type { Store } from '../../store/store.js';
import { DEFAULT_TEAM } from '../../team/teams.js';
import { isoWeekOf, recentWeeks, type IsoWeek } from './recent-weeks.js';

/**
 * How often the first-reply time promised in an acknowledgement was kept, per urgency level and
 * ISO week of the message (in the default team's zone), and per answering team and week. Counted as `/metrics` counts them: kept = the
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

export interface PromiseTeamReport {
  id: string;
  name: string;
  /** Newest first; only weeks in which this team made promises. */
  weeks: PromiseWeek[];
  overall: PromiseCounts;
}

export interface PromiseReport {
  since: Date;
  weekCount: number;
  levels: PromiseLevelReport[];
  /** Per team whose time was promised (src/team/teams.ts); teams that promised nothing are left out. */
  teams: PromiseTeamReport[];
  total: number;
}

const counts = (kept: number, broken: number, open: number): PromiseCounts => ({ kept, broken, open, share: kept + broken > 0 ? kept / (kept + broken) : null });

type Row = { level: UrgencyLevel; team: string; week: string; kept: number | string; broken: number | string; open: number | string };

/** One group's weeks (newest first, weeks without promises left out) and its sum. */
function perWeek(rows: Row[], weeks: IsoWeek[]): { weeks: PromiseWeek[]; overall: PromiseCounts } {
  const found = weeks.flatMap((week) => {
    const mine = rows.filter((r) => r.week === week.key);
    if (mine.length === 0) return [];
    const sum = (key: 'kept' | 'broken' | 'open') => mine.reduce((n, r) => n + Number(r[key]), 0);
    return [{ week, ...counts(sum('kept'), sum('broken'), sum('open')) }];
  });
  const sum = (key: 'kept' | 'broken' | 'open') => found.reduce((n, w) => n + w[key], 0);
  return { weeks: found, overall: counts(sum('kept'), sum('broken'), sum('open')) };
}

export async function promiseKeeping(deps: { store: Store; zone: string; now: Date; teams: readonly { id: string; name: string }[] }, weekCount = 12): Promise<PromiseReport> {
  const { store, zone, now } = deps;
  const { weeks, since } = await recentWeeks(store, zone, now, weekCount);
  const rows = await sql<Row>`
    SELECT level, coalesce(team, ${sql.lit(DEFAULT_TEAM)}) AS team, ${isoWeekOf('received_at', zone)} AS week,
      count(*) FILTER (WHERE kept = true) AS kept,
      count(*) FILTER (WHERE kept = false OR (first_reply_at IS NULL AND due_at < ${now})) AS broken,
      count(*) FILTER (WHERE kept IS NULL AND first_reply_at IS NULL AND due_at >= ${now}) AS open
    FROM acknowledgements
    WHERE decision = 'sent' AND due_at IS NOT NULL AND received_at >= ${since}
    GROUP BY 1, 2, 3`.execute(store.db);
  const levels = REPORT_LEVELS.map((level): PromiseLevelReport => ({ level, ...perWeek(rows.rows.filter((r) => r.level === level), weeks) }));
  const total = levels.reduce((n, l) => n + l.overall.kept + l.overall.broken + l.overall.open, 0);
  // Configured teams in their order, then any that promised before being removed from the configuration.
  const named = new Map(deps.teams.map((t) => [t.id, t.name]));
  for (const row of rows.rows) if (!named.has(row.team)) named.set(row.team, `${row.team} (no longer configured)`);
  const teams = [...named]
    .map(([id, name]): PromiseTeamReport => ({ id, name, ...perWeek(rows.rows.filter((r) => r.team === id), weeks) }))
    .filter((t) => t.weeks.length > 0);
  return { since, weekCount, levels, teams, total };
}
