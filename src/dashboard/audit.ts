import type { Kysely } from 'kysely';
import type { HubDatabase } from '../store/schema.js';

export interface AuditEntry {
  actor: { id: string | null; email: string | null } | null;
  action: string;
  subject?: { kind: string; id: string };
  detail?: Record<string, unknown>;
  ip?: string | undefined;
}

/** Appends to the audit log; inside the action's own transaction where there is one, so both or neither. */
export async function audit(db: Kysely<HubDatabase>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      staff_user_id: entry.actor?.id ?? null,
      staff_email: entry.actor?.email ?? null,
      action: entry.action,
      subject_kind: entry.subject?.kind ?? null,
      subject_id: entry.subject?.id ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
      ip: entry.ip ?? null,
    })
    .execute();
}
