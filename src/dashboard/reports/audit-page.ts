import { sql } from 'kysely';
import { z } from 'zod';
import type { Store } from '../../store/store.js';
import type { Redactor } from './redaction.js';

/**
 * The audit log, newest first, a page at a time: `before` is the id of the last entry on the
 * previous page (ids only grow), and `action` keeps entries whose action is that prefix
 * ("incident" keeps incident.resolved, incident.merged, …).
 */

export const PAGE_SIZE = 100;
const DETAIL_LENGTH = 200;

export const auditFilters = z.object({
  action: z
    .string()
    .max(64)
    .regex(/^[a-z][a-z0-9_-]*$/, 'choose an action from the list')
    .or(z.literal(''))
    .default(''),
  before: z
    .string()
    .regex(/^[1-9]\d{0,17}$/, 'must be an entry number')
    .or(z.literal(''))
    .default(''),
});
export type AuditFilters = z.infer<typeof auditFilters>;

export interface AuditRow {
  id: string;
  at: Date;
  who: string | null;
  action: string;
  subject: { kind: string; id: string; href: string | null } | null;
  /** The detail as short JSON text (escaped by the template, like everything else). */
  detail: string;
  ip: string | null;
}

export interface AuditPage {
  rows: AuditRow[];
  /** `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
  /** Action prefixes present in the log, for the filter. */
  prefixes: string[];
}

const SUBJECT_PAGES: Record<string, string> = {
  conversation: '/dashboard/conversations/',
  incident: '/dashboard/incidents/',
  escalation: '/dashboard/escalations/',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function shortDetail(detail: unknown, redact: Redactor): string {
  if (detail === null || detail === undefined) return '';
  const json = typeof detail === 'string' ? detail : JSON.stringify(detail);
  if (json === '{}' || json === '[]') return '';
  const text = redact(json);
  return text.length > DETAIL_LENGTH ? `${text.slice(0, DETAIL_LENGTH - 1)}…` : text;
}

export async function auditPage(deps: { store: Store; redact: Redactor }, filters: AuditFilters): Promise<AuditPage> {
  const { store, redact } = deps;
  let query = store.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(PAGE_SIZE + 1);
  if (filters.before) query = query.where(sql<boolean>`id < ${filters.before}::bigint`);
  if (filters.action) {
    const prefix = filters.action;
    query = query.where(sql<boolean>`(action = ${prefix} OR left(action, ${prefix.length + 1}::int) = ${`${prefix}.`})`);
  }
  const [rows, prefixes] = await Promise.all([
    query.execute(),
    sql<{ prefix: string }>`SELECT DISTINCT split_part(action, '.', 1) AS prefix FROM audit_log ORDER BY 1`.execute(store.db),
  ]);
  const page = rows.slice(0, PAGE_SIZE);
  return {
    rows: page.map((r) => ({
      id: String(r.id),
      at: new Date(r.at),
      who: r.staff_email,
      action: r.action,
      subject:
        r.subject_kind && r.subject_id
          ? { kind: r.subject_kind, id: r.subject_id, href: SUBJECT_PAGES[r.subject_kind] && UUID.test(r.subject_id) ? `${SUBJECT_PAGES[r.subject_kind]}${r.subject_id}` : null }
          : null,
      detail: shortDetail(r.detail, redact),
      ip: r.ip,
    })),
    nextBefore: rows.length > PAGE_SIZE ? String(page[page.length - 1]!.id) : null,
    prefixes: prefixes.rows.map((p) => p.prefix).filter(Boolean),
  };
}
