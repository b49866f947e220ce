import { sql } from 'kysely';
import type { EventBus } from '../conversations/events.js';
import type { InboundFollowUp } from '../conversations/inbound.js';
import type { BatchJobHandler, JobRequest } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import { classify, type UrgencyLevel } from './classify.js';

const RANK: Record<UrgencyLevel, number> = { low: 0, normal: 1, high: 2, urgent: 3 };
const rankSql = (level: ReturnType<typeof sql.ref>) =>
  sql`CASE ${level} WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END`;

/** Every stored customer message asks for an urgency call, in the transaction that stored it. */
export const triageFollowUp: InboundFollowUp = (result) =>
  result.message.direction === 'inbound'
    ? [{ name: 'conversation.triage', data: { conversationId: result.conversation.id, messageId: result.message.id } }]
    : [];

/**
 * `conversation.triage`, a fetched batch at a time: classifies each conversation's subject with
 * the new customer message and stores the call with its evidence in one write. A follow-up can
 * raise the level, never lower it by itself ("no rush, it works now" after an outage report is
 * for staff to judge); the rank is compared in SQL, so racing jobs cannot lower it either.
 * Idempotent: a redelivered job recomputes the same result.
 */
export function triageJob(deps: {
  store: Store;
  bus: EventBus;
  queue?: JobQueue;
  /** Jobs to enqueue with a new or raised call (push it to the helpdesk; respond: escalate, acknowledge). `first`: the conversation's first call. */
  jobsOnTriage?: (conversationId: string, call: { level: UrgencyLevel; first: boolean }) => JobRequest[];
}): BatchJobHandler<'conversation.triage'> {
  return {
    async batch(jobs) {
      const messageIds = jobs.map((j) => j.payload.messageId);
      // Each message with its conversation, and whether the same customer had another
      // conversation active in the 24 hours before it (a repeat contact). Asked of conversations,
      // not messages, so the (contact, last activity) index answers it without a scan.
      const rows = await sql<{
        message_id: string;
        conversation_id: string;
        text: string;
        subject: string | null;
        channel: 'chat' | 'email' | 'helpdesk';
        repeat: boolean;
      }>`
        SELECT m.id AS message_id, c.id AS conversation_id, m.text, c.subject, c.channel,
          EXISTS (
            SELECT 1 FROM conversations oc
            WHERE oc.contact_id = c.contact_id AND oc.id <> c.id
              AND oc.last_message_at >= m.created_at - interval '24 hours' AND oc.created_at <= m.created_at
          ) AS repeat
        FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.id IN (${sql.join(messageIds)})`.execute(deps.store.db);
      // One call per conversation in this batch: the most urgent of its messages.
      const best = new Map<string, { messageId: string; result: ReturnType<typeof classify> }>();
      for (const row of rows.rows) {
        const result = classify({ subject: row.subject, text: row.text, channel: row.channel, repeatContactWithin24h: row.repeat });
        const current = best.get(row.conversation_id);
        if (!current || RANK[result.level] > RANK[current.result.level]) best.set(row.conversation_id, { messageId: row.message_id, result });
      }
      if (best.size > 0) {
        const now = new Date();
        // The call and the jobs reacting to it (sync to the helpdesk) commit together.
        const written = await deps.store.transaction(async (tx) => {
          const rows = await tx
            .insertInto('triage_results')
            .values(
              [...best.entries()].map(([conversationId, { messageId, result }]) => ({
                conversation_id: conversationId,
                message_id: messageId,
                level: result.level,
                score: result.score,
                confidence: result.confidence,
                evidence: JSON.stringify(result.evidence),
                classified_text: result.text,
                classified_at: now,
              })),
            )
            .onConflict((oc) =>
              oc
                .column('conversation_id')
                .doUpdateSet({
                  message_id: sql`excluded.message_id`,
                  level: sql`excluded.level`,
                  score: sql`excluded.score`,
                  confidence: sql`excluded.confidence`,
                  evidence: sql`excluded.evidence`,
                  classified_text: sql`excluded.classified_text`,
                  classified_at: sql`excluded.classified_at`,
                })
                .where(sql<boolean>`${rankSql(sql.ref('triage_results.level'))} < ${rankSql(sql.ref('excluded.level'))}`),
            )
            // xmax is 0 on a row this statement inserted (not updated): the conversation's first call.
            .returning(['conversation_id', 'level', sql<boolean>`(xmax = 0)`.as('first')])
            .execute();
          if (deps.queue && deps.jobsOnTriage) {
            await deps.queue.enqueueIn(tx, rows.flatMap((row) => deps.jobsOnTriage!(row.conversation_id, { level: row.level, first: row.first })));
          }
          return rows;
        });
        if (written.length > 0) {
          await deps.bus.publish(written.map((w) => ({ type: 'triage.updated' as const, conversationId: w.conversation_id, level: w.level })));
        }
      }
      return jobs.map(() => null);
    },
  };
}
