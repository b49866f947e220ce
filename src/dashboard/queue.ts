import { sql } from 'kysely';
import { z } from 'zod';
import type { Acknowledger } from '../triage/acknowledge.js';
import type { UrgencyLevel } from '../triage/classify.js';
import type { Store } from '../store/store.js';

/** The queue's filters, from the query string (unknown values are refused, not ignored). */
export const queueFilters = z.object({
  level: z.enum(['urgent', 'high', 'normal', 'low', 'any']).default('any'),
  status: z.enum(['waiting', 'open', 'acknowledged', 'resolved', 'any']).default('waiting'),
  channel: z.enum(['chat', 'email', 'helpdesk', 'any']).default('any'),
  helpdesk: z.string().max(64).regex(/^[\w-]+$/).or(z.literal('any')).default('any'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});

/** Rows per queue page: a phone at 2 a.m. gets the most urgent quickly; the rest is a page away. */
export const QUEUE_PAGE_SIZE = 50;

export interface QueuePage {
  rows: QueueRow[];
  /** Escalations matching the filters, on every page. */
  total: number;
  page: number;
  pageSize: number;
}
export type QueueFilters = z.infer<typeof queueFilters>;

export interface QueueRow {
  id: string;
  title: string;
  /** The staff override's level where there is one, else the escalation's. */
  level: UrgencyLevel;
  status: 'open' | 'acknowledged' | 'resolved';
  openedAt: Date;
  acknowledgedBy: string | null;
  conversationId: string | null;
  incidentId: string | null;
  incidentNumber: number | null;
  reports: number;
  channel: string | null;
  helpdesk: string | null;
  /** When the first reply is due: the promise made to the customer (or the level's target). */
  replyDueAt: Date | null;
  /**
   * A conversation's escalation once an agent replied to the customer (after it opened): the
   * customer-facing clock has stopped. Incidents stay null: one answered customer is not all.
   */
  answeredAt: Date | null;
  answeredBy: string | null;
  /** The promise judged as the conversation page judges it (acknowledgement's first reply); null while open. */
  promiseKept: boolean | null;
  stepsDone: number;
  steps: number;
  nextStepAt: Date | null;
  nextTargets: string[];
}

/**
 * A `sync_conversations` row (alias `sc`) that means "this helpdesk holds the conversation": it
 * has the helpdesk's id for it, or it is dirty (being created there, or waiting while the
 * integration is paused). Older versions left a clean row without an id for every enabled helpdesk
 * a triage push reached (issue 22 item 4); such a row holds nothing and names no helpdesk.
 */
export const syncRowHolds = sql<boolean>`(sc.external_id IS NOT NULL OR sc.dirty)`;

const LEVEL_RANK = sql<number>`CASE COALESCE(o.to_level, e.level) WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`;

/**
 * The escalation queue: urgent first, then the longest waiting. Incidents are one row (their
 * escalation), counting their reports; channel and helpdesk filters match an incident when any of
 * its conversations does.
 */
export async function escalationQueue(deps: { store: Store; acknowledger: Acknowledger }, filters: QueueFilters, limit = QUEUE_PAGE_SIZE): Promise<QueuePage> {
  const statuses = filters.status === 'waiting' ? ['open', 'acknowledged'] : filters.status === 'any' ? ['open', 'acknowledged', 'resolved'] : [filters.status];
  const conversationMatch = (alias: string) => {
    const parts = [];
    if (filters.channel !== 'any') parts.push(sql`${sql.ref(`${alias}.channel`)} = ${filters.channel}`);
    if (filters.helpdesk !== 'any')
      parts.push(sql`EXISTS (SELECT 1 FROM sync_conversations sc WHERE sc.conversation_id = ${sql.ref(`${alias}.id`)} AND sc.integration_id = ${filters.helpdesk} AND ${syncRowHolds})`);
    return parts.length ? sql.join(parts, sql` AND `) : sql`TRUE`;
  };
  const rows = await sql<{
    id: string;
    title: string;
    level: UrgencyLevel;
    category: string | null;
    status: QueueRow['status'];
    opened_at: Date;
    acknowledged_by: string | null;
    conversation_id: string | null;
    incident_id: string | null;
    incident_number: number | null;
    reports: number | string;
    channel: string | null;
    helpdesk: string | null;
    due_at: Date | null;
    steps_done: number | string;
    steps: number | string;
    replied_at: Date | null;
    replied_by: string | null;
    kept: boolean | null;
    first_reply_at: Date | null;
    next_step_at: Date | null;
    next_targets: string[] | null;
    total: number | string;
  }>`
    WITH page AS (
      -- The page first, from the columns that order and filter it; the details below are then
      -- read for its rows only (reading them for the whole backlog cost ~0.7 s at 5,000).
      SELECT e.id, COALESCE(o.to_level, e.level) AS level, ${LEVEL_RANK} AS level_rank, count(*) OVER () AS total,
        -- An answered customer is no longer waiting: after the unanswered of the same status.
        CASE e.status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 2 ELSE 4 END
          + CASE WHEN e.replied_at IS NOT NULL AND e.conversation_id IS NOT NULL THEN 1 ELSE 0 END AS status_rank
      FROM escalations e
      LEFT JOIN conversations c ON c.id = e.conversation_id
      LEFT JOIN LATERAL (SELECT to_level FROM triage_overrides t WHERE t.conversation_id = e.conversation_id ORDER BY t.seq DESC LIMIT 1) o ON TRUE
      WHERE e.status IN (${sql.join(statuses)})
        ${filters.level === 'any' ? sql`` : sql`AND COALESCE(o.to_level, e.level) = ${filters.level}`}
        AND (
          (e.conversation_id IS NOT NULL AND ${conversationMatch('c')})
          OR (e.incident_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM incident_conversations ic JOIN conversations ic_c ON ic_c.id = ic.conversation_id
            WHERE ic.incident_id = e.incident_id AND ${conversationMatch('ic_c')}))
        )
      ORDER BY level_rank, status_rank, e.opened_at
      LIMIT ${limit} OFFSET ${(filters.page - 1) * limit}
    )
    SELECT e.id, e.title, page.level, page.total, e.category, e.status, e.opened_at, e.acknowledged_by,
      e.conversation_id, e.incident_id, i.number AS incident_number,
      CASE WHEN e.incident_id IS NULL THEN 0 ELSE (SELECT count(*) FROM incident_conversations ic WHERE ic.incident_id = e.incident_id) END AS reports,
      c.channel, (SELECT sc.integration_id FROM sync_conversations sc WHERE sc.conversation_id = e.conversation_id AND ${syncRowHolds} ORDER BY sc.external_id IS NULL LIMIT 1) AS helpdesk,
      COALESCE(a.due_at, i.next_update_at) AS due_at, e.replied_at, e.replied_by, a.kept, a.first_reply_at,
      st.done AS steps_done, st.total AS steps, st.next_due AS next_step_at, st.next_targets
    FROM page
    JOIN escalations e ON e.id = page.id
    LEFT JOIN conversations c ON c.id = e.conversation_id
    LEFT JOIN incidents i ON i.id = e.incident_id
    LEFT JOIN acknowledgements a ON a.conversation_id = e.conversation_id AND a.decision = 'sent'
    -- One pass over the escalation's steps for the counts and the next one due. A step that stops
    -- at a reply is not "next" once the customer was answered (its job may not have run yet).
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE s.status IN ('queued', 'done')) AS done, count(*) AS total,
        (array_agg(s.due_at ORDER BY s.step) FILTER (WHERE s.status = 'scheduled' AND NOT (s.until = 'replied' AND e.replied_at IS NOT NULL)))[1] AS next_due,
        (array_agg(s.targets ORDER BY s.step) FILTER (WHERE s.status = 'scheduled' AND NOT (s.until = 'replied' AND e.replied_at IS NOT NULL)))[1] AS next_targets
      FROM escalation_steps s WHERE s.escalation_id = e.id
    ) st ON TRUE
    ORDER BY page.level_rank, page.status_rank, e.opened_at`.execute(deps.store.db);
  const page = await Promise.all(
    rows.rows.map(async (r): Promise<QueueRow> => {
      const replyDueAt = r.due_at ? new Date(r.due_at) : r.conversation_id ? await targetDue(deps.acknowledger, r.level, r.category, new Date(r.opened_at)) : null;
      const answeredAt = r.conversation_id && r.replied_at ? new Date(r.replied_at) : null;
      return {
      id: r.id,
      title: r.title,
      level: r.level,
      status: r.status,
      openedAt: new Date(r.opened_at),
      acknowledgedBy: r.acknowledged_by,
      conversationId: r.conversation_id,
      incidentId: r.incident_id,
      incidentNumber: r.incident_number,
      reports: Number(r.reports),
      channel: r.channel,
      helpdesk: r.helpdesk,
      replyDueAt,
      answeredAt,
      answeredBy: answeredAt ? r.replied_by : null,
      promiseKept: promiseKept(r, answeredAt, replyDueAt),
      stepsDone: Number(r.steps_done),
      steps: Number(r.steps),
      nextStepAt: r.next_step_at ? new Date(r.next_step_at) : null,
      nextTargets: r.next_targets ?? [],
      };
    }),
  );
  // Past the last page there are no rows to carry the total: count it on its own.
  const total = rows.rows[0] ? Number(rows.rows[0].total) : filters.page > 1 ? (await escalationQueue(deps, { ...filters, page: 1 }, limit)).total : 0;
  return { rows: page, total, page: filters.page, pageSize: limit };
}

/**
 * Kept or not, as the conversation page says it: the acknowledgement's own verdict once its first
 * reply is recorded; before that job has run (or without an acknowledgement), the reply the
 * escalation saw against the same due time.
 */
function promiseKept(r: { incident_id: string | null; kept: boolean | null; first_reply_at: Date | null }, answeredAt: Date | null, due: Date | null): boolean | null {
  if (r.incident_id) return null;
  if (r.first_reply_at && r.kept !== null) return r.kept;
  return answeredAt && due ? answeredAt.getTime() <= due.getTime() : null;
}

/** No promise was sent (acknowledgement skipped): the level's own first-response target. */
async function targetDue(acknowledger: Acknowledger, level: UrgencyLevel, category: string | null, at: Date): Promise<Date | null> {
  try {
    return (await acknowledger.expectedReply(level, category, null, at)).due;
  } catch {
    return null;
  }
}

/** Helpdesks that hold any conversation (the helpdesk filter's choices). */
export async function knownHelpdesks(store: Store): Promise<string[]> {
  const result = await sql<{ integration_id: string }>`
    SELECT DISTINCT sc.integration_id FROM sync_conversations sc WHERE ${syncRowHolds} ORDER BY sc.integration_id`.execute(store.db);
  return result.rows.map((r) => r.integration_id);
}
