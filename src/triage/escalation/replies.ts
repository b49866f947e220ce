import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { HubDatabase } from '../../store/schema.js';

type Db = Kysely<HubDatabase> | Transaction<HubDatabase>;

/** A public agent reply that reached the customer (author kind `agent`: helpdesk notes are never messages). */
export interface AgentReply {
  at: Date;
  by: string | null;
}

/**
 * The first public agent reply to the escalation's customer since it opened — for an incident, to
 * any of its customers. Replies from before it opened do not count: a conversation raised to
 * urgent by a later message ("now everything is down") has not been answered about that.
 */
export async function firstReplySince(db: Db, escalation: { conversation_id: string | null; incident_id: string | null; opened_at: Date | string }): Promise<AgentReply | null> {
  const conversations = escalation.conversation_id
    ? sql`SELECT ${escalation.conversation_id}::uuid`
    : sql`SELECT conversation_id FROM incident_conversations WHERE incident_id = ${escalation.incident_id}`;
  const row = await sql<{ created_at: Date | string; author_name: string | null }>`
    SELECT m.created_at, m.author_name FROM messages m
    WHERE m.conversation_id IN (${conversations}) AND m.author_kind = 'agent' AND m.created_at >= ${new Date(escalation.opened_at)}
    ORDER BY m.created_at, m.position LIMIT 1`.execute(db);
  const first = row.rows[0];
  return first ? { at: new Date(first.created_at), by: first.author_name } : null;
}

/**
 * Records the reply on the escalation once, and cancels the steps waiting to run that stop at a
 * reply, each with its reason in the timeline. Steps already queued see the reply when they run.
 * Returns whether this call recorded it (a second call, or a job retried, changes nothing).
 */
export async function recordReply(tx: Transaction<HubDatabase>, escalationId: string, reply: AgentReply, now: Date): Promise<boolean> {
  const updated = await tx
    .updateTable('escalations')
    .set({ replied_at: reply.at, replied_by: reply.by })
    .where('id', '=', escalationId)
    .where('replied_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (!updated) return false;
  await escalationEvent(tx, escalationId, now, 'replied', { by: reply.by ?? 'an agent', at: reply.at.toISOString() });
  const cancelled = await tx
    .updateTable('escalation_steps')
    .set({ status: 'cancelled' })
    .where('escalation_id', '=', escalationId)
    .where('status', '=', 'scheduled')
    .where('until', '=', 'replied')
    .returning(['step', 'targets'])
    .execute();
  for (const step of cancelled.sort((a, b) => a.step - b.step)) {
    await escalationEvent(tx, escalationId, now, 'step.cancelled', { step: step.step, targets: step.targets, reason: cancelReason('replied', reply.by, step.step, step.targets) });
  }
  return true;
}

/** Why a step did not run, as the timeline shows it ("step 2 (email, slack) cancelled: …"). */
export function cancelReason(why: 'replied' | 'acknowledged' | 'resolved', by: string | null, step: number, targets: readonly string[]): string {
  const what = `step ${step} (${targets.join(', ')})`;
  if (why === 'replied') return `${what} not needed: ${by ?? 'an agent'} replied to the customer (the policy runs until replied)`;
  return `${what} not needed: the escalation was ${why}${by ? ` by ${by}` : ''}`;
}

export async function escalationEvent(db: Db, escalationId: string, at: Date, kind: string, detail: Record<string, unknown>): Promise<void> {
  await db.insertInto('escalation_events').values({ id: randomUUID(), escalation_id: escalationId, at, kind, detail: JSON.stringify(detail) }).execute();
}
