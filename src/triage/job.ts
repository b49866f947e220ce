import { sql } from 'kysely';
import type { EventBus } from '../conversations/events.js';
import type { InboundFollowUp } from '../conversations/inbound.js';
import type { JobHandler } from '../jobs/catalog.js';
import type { Store } from '../store/store.js';
import { classify } from './classify.js';

const rankSql = (level: ReturnType<typeof sql.ref>) =>
  sql`CASE ${level} WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END`;

/** Every stored customer message asks for an urgency call, in the transaction that stored it. */
export const triageFollowUp: InboundFollowUp = (result) =>
  result.message.direction === 'inbound'
    ? [{ name: 'conversation.triage', data: { conversationId: result.conversation.id, messageId: result.message.id } }]
    : [];

/**
 * `conversation.triage`: classifies the conversation's subject with the new customer message and
 * stores the call with its evidence. A follow-up can raise the level, never lower it by itself
 * ("no rush, it works now" after an outage report is for staff to judge). Idempotent: a
 * redelivered job recomputes the same result.
 */
export function triageJob(deps: { store: Store; bus: EventBus }): JobHandler<'conversation.triage'> {
  return async ({ conversationId, messageId }) => {
    const row = await deps.store.db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select(['m.text', 'm.created_at', 'c.subject', 'c.channel', 'c.contact_id'])
      .where('m.id', '=', messageId)
      .where('c.id', '=', conversationId)
      .executeTakeFirst();
    if (!row) return;
    // The same customer already wrote in another conversation in the last 24 hours.
    const repeat = await sql<{ repeat: boolean }>`
      SELECT EXISTS (
        SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.contact_id = ${row.contact_id} AND c.id <> ${conversationId} AND m.direction = 'inbound'
          AND m.created_at BETWEEN ${row.created_at}::timestamptz - interval '24 hours' AND ${row.created_at}::timestamptz
      ) AS repeat`.execute(deps.store.db);
    // Plan tier joins when account data (Stripe, product lookup) is wired into triage.
    const result = classify({ subject: row.subject, text: row.text, channel: row.channel, repeatContactWithin24h: repeat.rows[0]?.repeat ?? false });
    // One statement: insert, or replace only a lower call (rank compared in SQL, so two racing
    // jobs for one conversation cannot lower it either).
    const values = {
      message_id: messageId,
      level: result.level,
      score: result.score,
      confidence: result.confidence,
      evidence: JSON.stringify(result.evidence),
      classified_text: result.text,
      classified_at: new Date(),
    };
    const written = await deps.store.db
      .insertInto('triage_results')
      .values({ conversation_id: conversationId, ...values })
      .onConflict((oc) =>
        oc
          .column('conversation_id')
          .doUpdateSet(values)
          .where(sql<boolean>`${rankSql(sql.ref('triage_results.level'))} < ${rankSql(sql.ref('excluded.level'))}`),
      )
      .returning('conversation_id')
      .executeTakeFirst();
    const stored = Boolean(written);
    if (stored) await deps.bus.publish([{ type: 'triage.updated', conversationId, level: result.level }]);
  };
}
