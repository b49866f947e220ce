import { sql, type RawBuilder } from 'kysely';
import type { RetentionKind } from '../kind.js';

/** What a message whose body retention removed says instead (agents, the customer's chat history). */
export const REMOVED_BODY_TEXT = '[message removed under the data retention policy]';

/**
 * Message bodies of closed conversations. The schema records no closing time: a status change
 * stamps conversations.updated_at (sync webhooks), and so does every later message — which also
 * reopens a closed conversation. So a closed conversation's clock starts at the later of
 * updated_at and last_message_at: its closing or anything after, never earlier. Open and pending
 * conversations are never touched.
 *
 * A message keeps its row — id, position, times, direction, author, attachments list, metadata
 * (the first message's device and auto-reply flag feed the acknowledgement) — so threads, counts,
 * metrics and ETA history read the same; text becomes REMOVED_BODY_TEXT, html null, and
 * metadata.bodyRemoved says when and why.
 */
export const bodies: RetentionKind = {
  name: 'bodies',
  unit: 'messages',
  async count(db, cutoff) {
    // Per conversation through messages' (conversation_id, position) index: a plain join planned
    // on stale statistics (a fresh or bulk-loaded table) became a 20,000 × 3,600 nested loop.
    const result = await sql<{ messages: number; conversations: number }>`
      SELECT coalesce(sum(b.n), 0)::int AS messages, (count(*) FILTER (WHERE b.n > 0))::int AS conversations
      FROM conversations c
      CROSS JOIN LATERAL (SELECT count(*) AS n FROM messages m WHERE m.conversation_id = c.id AND ${stillHasBody()}) b
      WHERE ${eligible(cutoff)}`.execute(db);
    const row = result.rows[0]!;
    return { items: row.messages, conversations: row.conversations };
  },
  async removeBatch(tx, after, { cutoff, now, days, limit }) {
    // SKIP LOCKED: a conversation a customer is writing to right now is left for tomorrow's run
    // instead of waiting; the lock held to commit keeps a reopening ingest from interleaving.
    const batch = await sql<{ id: string }>`
      SELECT c.id FROM conversations c
      WHERE ${after ? sql`c.id > ${after[0]} AND` : sql``} ${eligible(cutoff)}
        AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND ${stillHasBody()})
      ORDER BY c.id LIMIT ${limit}
      FOR UPDATE OF c SKIP LOCKED`.execute(tx);
    const last = batch.rows.at(-1);
    if (!last) return { items: 0, conversations: 0, next: null };
    const mark = JSON.stringify({ at: now.toISOString(), reason: 'retention', rule: `closed conversation unchanged for ${days} days` });
    const updated = await sql`
      UPDATE messages m SET text = ${REMOVED_BODY_TEXT}, html = NULL, metadata = m.metadata || jsonb_build_object('bodyRemoved', ${mark}::jsonb)
      WHERE m.conversation_id = ANY(${batch.rows.map((r) => r.id)}::uuid[]) AND ${stillHasBody()}`.execute(tx);
    return { items: Number(updated.numAffectedRows ?? 0), conversations: batch.rows.length, next: [last.id] };
  },
};

function eligible(cutoff: Date): RawBuilder<unknown> {
  return sql`c.status = 'closed' AND GREATEST(c.updated_at, c.last_message_at) < ${cutoff}`;
}

function stillHasBody(): RawBuilder<unknown> {
  return sql`m.metadata -> 'bodyRemoved' IS NULL`;
}
