import { sql } from 'kysely';
import type { Conversation, Message } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { notFound } from '../../errors.js';

/**
 * Conversations never change owner, so "does this chat conversation belong to this contact" is
 * remembered (bounded) and a customer's every message costs no ownership read.
 */
const owners = new Map<string, string>();

export async function assertOwnConversation(store: Store, contactId: string, conversationId: string): Promise<void> {
  if (owners.get(conversationId) === contactId) return;
  const row = await ownConversation(store, contactId, conversationId);
  if (owners.size > 100_000) owners.clear();
  owners.set(row.id, contactId);
}

/** Reads the SDK API needs, always scoped to the session's contact (another user's id is a 404). */
export async function ownConversation(store: Store, contactId: string, conversationId: string): Promise<Conversation> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(conversationId);
  const row = uuid
    ? await store.db
        .selectFrom('conversations')
        .selectAll()
        .where('id', '=', conversationId)
        .where('contact_id', '=', contactId)
        .where('channel', '=', 'chat')
        .executeTakeFirst()
    : undefined;
  if (!row) throw notFound(`conversation ${conversationId} not found`, 'conversation_not_found');
  return row;
}

export async function unreadCounts(store: Store, conversationIds: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>(conversationIds.map((id) => [id, 0]));
  if (conversationIds.length === 0) return counts;
  const rows = await store.db
    .selectFrom('messages')
    .select(['conversation_id', sql<number>`count(*)::int`.as('n')])
    .where('conversation_id', 'in', conversationIds)
    .where('direction', '=', 'outbound')
    .where('read_at', 'is', null)
    .groupBy('conversation_id')
    .execute();
  for (const row of rows) counts.set(row.conversation_id, row.n);
  return counts;
}

/** Messages after a position, oldest first, across one conversation or all of a contact's. */
export async function messagesAfter(
  store: Store,
  scope: { conversationId: string } | { contactId: string },
  afterPosition: number,
  limit: number,
): Promise<Message[]> {
  let query = store.db.selectFrom('messages').selectAll('messages').where('messages.position', '>', afterPosition);
  query =
    'conversationId' in scope
      ? query.where('messages.conversation_id', '=', scope.conversationId)
      : query
          .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
          .where('conversations.contact_id', '=', scope.contactId)
          .where('conversations.channel', '=', 'chat');
  return query.orderBy('messages.position').limit(limit).execute();
}
