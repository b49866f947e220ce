import { sql } from 'kysely';
import type { JobRequest } from '../jobs/catalog.js';
import type { Conversation, Message } from '../store/schema.js';
import type { Tx } from '../store/store.js';
import type { Acknowledger } from './acknowledge.js';

type Stored = { message: Message; conversation: Conversation };

/**
 * What agents' replies leave for triage, decided in the transaction that stores them:
 * - The acknowledgement's promise is judged by the conversation's first reply right there, in the
 *   same transaction, when it was sent and not judged yet. Only while no acknowledgement is
 *   visible (triage may be deciding it at this moment, on a server database in another
 *   transaction) is the job `acknowledgement.settle` queued to judge it after both committed. A
 *   skipped or already judged acknowledgement has nothing left to do.
 * - `escalation.replied` records the reply on the escalations of the conversation or of its
 *   incidents that are open and not replied to yet; queued only when there is one. An escalation
 *   opened while the reply commits, which the read cannot see on a server database, still learns
 *   of the reply: each of its steps looks for one before it runs (EscalationEngine, firstReplySince).
 * Most replies in a busy chat are not a conversation's first and have no escalation: one read per
 * batch of replies instead of two jobs per reply. (Jobs per reply were the chat bench's backlog:
 * a settle job waiting in a long queue left the promise unjudged, so every later reply queued one
 * more.)
 */
export function triageOnReplies(acknowledger: Acknowledger) {
  return async (tx: Tx, stored: readonly Stored[]): Promise<JobRequest[]> => {
    const replies = stored.filter(({ message }) => message.author_kind === 'agent');
    if (replies.length === 0) return [];
    const ids = [...new Set(replies.map(({ conversation }) => conversation.id))];
    const waiting = await sql<{ id: string; acknowledgement: 'none' | 'unjudged' | 'done'; escalated: boolean }>`
      SELECT c.id,
        CASE
          WHEN a.conversation_id IS NULL THEN 'none'
          WHEN a.decision = 'sent' AND a.first_reply_at IS NULL THEN 'unjudged'
          ELSE 'done'
        END AS acknowledgement,
        EXISTS (
          SELECT 1 FROM escalations e
          WHERE e.replied_at IS NULL AND e.status <> 'resolved'
            AND (e.conversation_id = c.id OR e.incident_id IN (SELECT ic.incident_id FROM incident_conversations ic WHERE ic.conversation_id = c.id))
        ) AS escalated
      FROM conversations c
      LEFT JOIN acknowledgements a ON a.conversation_id = c.id
      WHERE c.id IN (${sql.join(ids)})`.execute(tx);
    const firstReply = new Map<string, Stored>();
    for (const reply of replies) {
      const known = firstReply.get(reply.conversation.id);
      if (!known || reply.message.position < known.message.position) firstReply.set(reply.conversation.id, reply);
    }
    const jobs: JobRequest[] = [];
    for (const row of waiting.rows) {
      const first = firstReply.get(row.id)!;
      const data = { conversationId: row.id, messageId: first.message.id };
      if (row.acknowledgement === 'unjudged') await acknowledger.settle(row.id, new Date(first.message.created_at), tx);
      else if (row.acknowledgement === 'none') jobs.push({ name: 'acknowledgement.settle', data });
      // The first reply since the escalation opened is the one it records (engine.replied reads it).
      if (row.escalated) jobs.push({ name: 'escalation.replied', data });
    }
    return jobs;
  };
}
