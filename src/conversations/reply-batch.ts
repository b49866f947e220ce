import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { notFound } from '../errors.js';
import type { Conversation, Message } from '../store/schema.js';
import type { Tx } from '../store/store.js';
import type { ParsedReply } from './reply.js';

export interface StoredReply {
  created: boolean;
  message: Message;
  conversation: Conversation;
}

const keyOf = (source: string, id: string) => `${source}\u0000${id}`;

/**
 * Writes many outbound messages in one transaction with a few multi-row statements. Each
 * conversation and its customer are locked first (in id order, like every writer), so all of one
 * customer's messages commit in the order their positions were assigned and a client resuming
 * "after position N" never skips one that committed late.
 */
export async function writeReplyBatch(
  tx: Tx,
  items: readonly ParsedReply[],
  now: Date,
  /** The conversation's channel delivers as the message commits (ChannelDelivery.deliveredOnStore). */
  deliveredOnStore: (conversation: Conversation) => boolean = () => false,
): Promise<(StoredReply | Error)[]> {
  const results: (StoredReply | Error)[] = new Array(items.length);
  const existing = await tx
    .selectFrom('messages')
    .selectAll()
    .where((eb) => eb(eb.refTuple('source', 'source_message_id'), 'in', items.map((i) => eb.tuple(i.source, i.sourceMessageId))))
    .execute();
  const stored = new Map(existing.map((m) => [keyOf(m.source, m.source_message_id), m]));
  const leaders = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const key = keyOf(item.source, item.sourceMessageId);
    if (!stored.has(key) && !leaders.has(key)) leaders.set(key, index);
  }
  const conversationIds = [...new Set([...items.map((i) => i.conversationId)])].sort();
  const conversations = new Map(
    (
      await tx
        .selectFrom('conversations')
        .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
        .selectAll('conversations')
        .where('conversations.id', 'in', conversationIds)
        .orderBy('conversations.id')
        .forUpdate()
        .execute()
    ).map((c) => [c.id, c]),
  );
  const fresh = [...leaders.values()].filter((index) => {
    if (conversations.has(items[index]!.conversationId)) return true;
    results[index] = notFound(`conversation ${items[index]!.conversationId} does not exist`, 'conversation_not_found');
    return false;
  });
  if (fresh.length > 0) {
    const rows = await tx
      .insertInto('messages')
      .values(
        fresh.map((index) => {
          const item = items[index]!;
          return {
            id: randomUUID(),
            conversation_id: item.conversationId,
            direction: 'outbound' as const,
            author_kind: item.authorKind,
            author_name: item.authorName ?? null,
            text: item.text,
            html: item.html ?? null,
            attachments: JSON.stringify(item.attachments),
            source: item.source,
            source_message_id: item.sourceMessageId,
            metadata: JSON.stringify(item.metadata),
            created_at: now,
            // The helpdesk mails its own replies in conversations that started there (ARCHITECTURE §6);
            // chat hands a reply to its customer as it commits.
            delivered_at: item.deliveredBy === 'helpdesk' || deliveredOnStore(conversations.get(item.conversationId)!) ? now : null,
          };
        }),
      )
      .onConflict((oc) => oc.columns(['source', 'source_message_id']).doNothing())
      .returningAll()
      .execute();
    for (const row of rows) {
      stored.set(keyOf(row.source, row.source_message_id), row);
      results[items.findIndex((i, n) => fresh.includes(n) && keyOf(i.source, i.sourceMessageId) === keyOf(row.source, row.source_message_id))] = {
        created: true,
        message: row,
        conversation: conversations.get(row.conversation_id)!,
      };
    }
    // Newest activity on each conversation; the first agent reply is remembered (response times).
    const touched = [...new Set(rows.map((r) => r.conversation_id))].sort();
    if (touched.length > 0) {
      const agentReplied = new Set(rows.filter((r) => r.author_kind === 'agent').map((r) => r.conversation_id));
      await sql`
        UPDATE conversations AS c
        SET updated_at = ${now}, last_message_at = ${now},
            first_agent_reply_at = CASE WHEN v.agent THEN COALESCE(c.first_agent_reply_at, ${now}) ELSE c.first_agent_reply_at END
        FROM (VALUES ${sql.join(touched.map((id) => sql`(${id}::uuid, ${agentReplied.has(id)}::boolean)`))}) AS v (id, agent)
        WHERE c.id = v.id`.execute(tx);
    }
  }
  // Duplicates (of an earlier call, or within this batch) get the stored message and no new jobs.
  for (const [index, item] of items.entries()) {
    if (results[index]) continue;
    const message = stored.get(keyOf(item.source, item.sourceMessageId)) ??
      (await tx.selectFrom('messages').selectAll().where('source', '=', item.source).where('source_message_id', '=', item.sourceMessageId).executeTakeFirst());
    const conversation = message ? conversations.get(message.conversation_id) : undefined;
    results[index] = message && conversation ? { created: false, message, conversation } : notFound(`conversation ${item.conversationId} does not exist`, 'conversation_not_found');
  }
  return results;
}
