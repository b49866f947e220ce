import { sql } from 'kysely';
import type { JobRequest } from '../jobs/catalog.js';
import type { Conversation, Message } from '../store/schema.js';
import type { Tx } from '../store/store.js';

/**
 * What an agent's reply leaves for triage to do, decided in the transaction that stores it:
 * - `acknowledgement.settle` judges the acknowledgement's promise by the first reply — only while
 *   the conversation's acknowledgement is not decided yet (it may be being written right now) or
 *   was sent and not judged yet; a skipped or already judged one has nothing left to settle.
 * - `escalation.replied` records the reply on the escalations of the conversation or of its
 *   incidents that are open and not replied to yet.
 * Most replies in a busy chat are not a conversation's first and have no escalation: one read per
 * batch of replies instead of two jobs per reply (each an insert, a fetch, a completion and its
 * own reads). An escalation opened while the reply commits, which the read cannot see on a server
 * database, still learns of the reply: each of its steps looks for one before it runs
 * (EscalationEngine, firstReplySince).
 */
export async function triageJobsOnReplies(tx: Tx, stored: readonly { message: Message; conversation: Conversation }[]): Promise<JobRequest[]> {
  const replies = stored.filter(({ message }) => message.author_kind === 'agent');
  if (replies.length === 0) return [];
  const ids = [...new Set(replies.map(({ conversation }) => conversation.id))];
  const waiting = await sql<{ id: string; settle: boolean; replied: boolean }>`
    SELECT c.id,
      NOT EXISTS (
        SELECT 1 FROM acknowledgements a
        WHERE a.conversation_id = c.id AND NOT (a.decision = 'sent' AND a.first_reply_at IS NULL)
      ) AS settle,
      EXISTS (
        SELECT 1 FROM escalations e
        WHERE e.replied_at IS NULL AND e.status <> 'resolved'
          AND (e.conversation_id = c.id OR e.incident_id IN (SELECT ic.incident_id FROM incident_conversations ic WHERE ic.conversation_id = c.id))
      ) AS replied
    FROM conversations c
    WHERE c.id IN (${sql.join(ids)})`.execute(tx);
  const byId = new Map(waiting.rows.map((row) => [row.id, row]));
  return replies.flatMap(({ message, conversation }): JobRequest[] => {
    const left = byId.get(conversation.id);
    const data = { conversationId: conversation.id, messageId: message.id };
    return [
      ...(left?.settle ? [{ name: 'acknowledgement.settle' as const, data }] : []),
      ...(left?.replied ? [{ name: 'escalation.replied' as const, data }] : []),
    ];
  });
}
