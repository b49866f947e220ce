import { contactClaimUpdate } from './contact-claims.js';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Contact, Conversation, Message } from '../store/schema.js';
import type { Tx } from '../store/store.js';
import { notFound } from '../errors.js';
import type { ParsedInbound } from './inbound.js';

/**
 * One set-based write of many inbound messages inside one transaction: a handful of multi-row
 * statements however many messages, which is what lets group commit beat one transaction per
 * message (STACK-NOTES: PGlite runs one transaction at a time).
 *
 * Rows are always touched in key order so two batches on a PostgreSQL server cannot deadlock on
 * each other's contacts or conversations.
 */
export interface BatchOutcome {
  /** One entry per input, in input order: the stored rows, or the error for that input alone. */
  results: ({ created: boolean; newConversation: boolean; message: Message; conversation: Conversation; contact: Contact } | Error)[];
}

const messageKey = (m: { source: string; source_message_id: string }) => `${m.source}\u0000${m.source_message_id}`;
const inboundKey = (m: ParsedInbound) => `${m.source}\u0000${m.sourceMessageId}`;
const contactKey = (kind: string, key: string) => `${kind}\u0000${key}`;
const threadKey = (source: string, key: string) => `${source}\u0000${key}`;

export async function writeInboundBatch(tx: Tx, items: readonly ParsedInbound[], now: Date): Promise<BatchOutcome> {
  const results: BatchOutcome['results'] = new Array(items.length);

  // 1. Messages stored before (a retry from the source): return them, write nothing for them.
  const existing = await loadMessagesByKey(tx, items.map((item) => [item.source, item.sourceMessageId] as const));
  const leaders = new Map<string, number>(); // first index of each fresh message key
  for (const [index, item] of items.entries()) {
    const key = inboundKey(item);
    if (existing.has(key) || leaders.has(key)) continue;
    leaders.set(key, index);
  }

  // 2. Conversations named by id must exist; an unknown id fails that input only.
  const byId = [...new Set([...leaders.values()].flatMap((i) => idOf(items[i]!)))];
  const knownConversations = new Map<string, Conversation>();
  if (byId.length > 0) {
    const rows = await tx.selectFrom('conversations').selectAll().where('id', 'in', byId).execute();
    for (const row of rows) knownConversations.set(row.id, row);
  }
  for (const [key, index] of [...leaders]) {
    const id = idOf(items[index]!)[0];
    if (id && !knownConversations.has(id)) {
      results[index] = notFound(`conversation ${id} does not exist`, 'conversation_not_found');
      leaders.delete(key);
    }
  }
  const fresh = [...leaders.values()].map((index) => ({ index, item: items[index]! }));

  // 3. Contacts: one upsert for all distinct identities (later fields win, verified is sticky).
  const contacts = await upsertContacts(tx, fresh.map((f) => f.item), now);

  // 4. Conversations by threading key: created or touched in one statement.
  const threads = await upsertThreads(tx, fresh.map((f) => f.item), contacts, now);

  // 5. Messages: one insert; a row a concurrent transaction stored first comes back as duplicate.
  const messageRows = fresh.map(({ item }) => {
    const conversation = conversationOf(item, knownConversations, threads.rows);
    return {
      id: randomUUID(),
      conversation_id: conversation.id,
      direction: 'inbound' as const,
      author_kind: 'customer' as const,
      author_name: item.contact.name ?? null,
      text: item.text,
      html: item.html ?? null,
      attachments: JSON.stringify(item.attachments),
      source: item.source,
      source_message_id: item.sourceMessageId,
      metadata: JSON.stringify({ ...item.metadata, identityVerified: item.contact.verified }),
      created_at: item.receivedAt ?? now,
    };
  });
  const inserted = new Map<string, Message>();
  if (messageRows.length > 0) {
    const rows = await tx
      .insertInto('messages')
      .values(messageRows)
      .onConflict((oc) => oc.columns(['source', 'source_message_id']).doNothing())
      .returningAll()
      .execute();
    for (const row of rows) inserted.set(messageKey(row), row);
  }
  const raced = fresh.filter(({ item }) => !inserted.has(inboundKey(item)));
  if (raced.length > 0) {
    const late = await loadMessagesByKey(tx, raced.map(({ item }) => [item.source, item.sourceMessageId] as const));
    for (const [key, value] of late) existing.set(key, value);
  }

  // 6. Touch conversations named by id that got a message (threads were touched in step 4): newest
  //    activity, and a customer writing again reopens a closed conversation.
  const touched = new Map<string, Date>();
  for (const row of inserted.values()) {
    if (!knownConversations.has(row.conversation_id)) continue;
    const at = touched.get(row.conversation_id);
    if (!at || row.created_at > at) touched.set(row.conversation_id, row.created_at);
  }
  const updatedConversations = new Map<string, Conversation>();
  if (touched.size > 0) {
    const values = [...touched.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const rows = await sql<Conversation>`
      UPDATE conversations AS c
      SET last_message_at = GREATEST(c.last_message_at, v.at::timestamptz),
          updated_at = ${now},
          status = CASE WHEN c.status = 'closed' THEN 'open' ELSE c.status END
      FROM (VALUES ${sql.join(values.map(([id, at]) => sql`(${id}::uuid, ${at.toISOString()})`))}) AS v (id, at)
      WHERE c.id = v.id
      RETURNING c.*`.execute(tx);
    for (const row of rows.rows) updatedConversations.set(row.id, row);
  }

  // 7. Assemble one result per input. A message may join a conversation whose contact is not
  // the one it came with (mail to the signed reply address from a colleague): that contact is read
  // too, or the stored message would be reported as an error — answered "retry later" to its
  // sender and, found stored on the retry, never triaged or synced.
  const contactsById = new Map([...contacts.values()].map((c) => [c.id, c]));
  const conversationsOfBatch = [...updatedConversations.values(), ...knownConversations.values(), ...threads.rows.values()];
  const missing = [...new Set(conversationsOfBatch.map((c) => c.contact_id).filter((id) => !contactsById.has(id)))];
  if (missing.length > 0) for (const row of await tx.selectFrom('contacts').selectAll().where('id', 'in', missing).execute()) contactsById.set(row.id, row);
  for (const [index, item] of items.entries()) {
    if (results[index]) continue;
    const key = inboundKey(item);
    const created = inserted.get(key);
    const message = created ?? existing.get(key)?.message;
    if (!message) {
      results[index] = new Error(`message ${item.sourceMessageId} from ${item.source} was neither stored nor found`);
      continue;
    }
    const conversation =
      updatedConversations.get(message.conversation_id) ??
      existing.get(key)?.conversation ??
      conversationOf(item, knownConversations, threads.rows);
    // (For a thread, conversationOf returns the row as step 4 left it.)
    const contact = contactsById.get(conversation.contact_id) ?? existing.get(key)?.contact;
    if (!contact) {
      results[index] = new Error(`contact of conversation ${conversation.id} not found`);
      continue;
    }
    const isLeader = leaders.get(key) === index;
    results[index] = {
      created: Boolean(created) && isLeader,
      newConversation: Boolean(created) && isLeader && threads.createdIds.has(conversation.id),
      message,
      conversation,
      contact,
    };
  }
  return { results };
}

function idOf(item: ParsedInbound): string[] {
  return 'conversationId' in item.thread ? [item.thread.conversationId] : [];
}

function conversationOf(
  item: ParsedInbound,
  known: Map<string, Conversation>,
  threads: Map<string, Conversation>,
): Conversation {
  const conversation =
    'conversationId' in item.thread
      ? known.get(item.thread.conversationId)
      : threads.get(threadKey(item.source, item.thread.key));
  if (!conversation) throw new Error(`conversation for ${item.source}/${item.sourceMessageId} missing from batch`);
  return conversation;
}

async function loadMessagesByKey(
  tx: Tx,
  keys: readonly (readonly [string, string])[],
): Promise<Map<string, { message: Message; conversation: Conversation; contact: Contact }>> {
  const found = new Map<string, { message: Message; conversation: Conversation; contact: Contact }>();
  if (keys.length === 0) return found;
  const messages = await tx
    .selectFrom('messages')
    .selectAll()
    .where((eb) =>
      eb(
        eb.refTuple('source', 'source_message_id'),
        'in',
        keys.map(([source, id]) => eb.tuple(source, id)),
      ),
    )
    .execute();
  if (messages.length === 0) return found;
  const conversations = await tx
    .selectFrom('conversations')
    .selectAll()
    .where('id', 'in', [...new Set(messages.map((m) => m.conversation_id))])
    .execute();
  const contacts = await tx
    .selectFrom('contacts')
    .selectAll()
    .where('id', 'in', [...new Set(conversations.map((c) => c.contact_id))])
    .execute();
  const conversationById = new Map(conversations.map((c) => [c.id, c]));
  const contactById = new Map(contacts.map((c) => [c.id, c]));
  for (const message of messages) {
    const conversation = conversationById.get(message.conversation_id)!;
    found.set(messageKey(message), { message, conversation, contact: contactById.get(conversation.contact_id)! });
  }
  return found;
}

async function upsertContacts(tx: Tx, items: readonly ParsedInbound[], now: Date): Promise<Map<string, Contact>> {
  const merged = new Map<string, { kind: string; key: string; email: string | null; name: string | null; verified: boolean }>();
  for (const { contact } of items) {
    const key = contactKey(contact.identityKind, contact.identityKey);
    const previous = merged.get(key);
    // Within one batch, a verified claim outranks an unverified one for the same identity.
    const keep = previous && previous.verified && !contact.verified;
    merged.set(key, {
      kind: contact.identityKind,
      key: contact.identityKey,
      email: keep ? previous.email : (contact.email ?? previous?.email ?? null),
      name: keep ? previous.name : (contact.name ?? previous?.name ?? null),
      verified: keep ? true : contact.verified,
    });
  }
  const byKey = new Map<string, Contact>();
  if (merged.size === 0) return byKey;
  const rows = [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, c]) => ({
      id: randomUUID(),
      identity_kind: c.kind,
      identity_key: c.key,
      email: c.email,
      name: c.name,
      verified: c.verified,
      created_at: now,
      updated_at: now,
    }));
  const stored = await tx
    .insertInto('contacts')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['identity_kind', 'identity_key']).doUpdateSet((eb) => ({ ...contactClaimUpdate, updated_at: eb.ref('excluded.updated_at') })),
    )
    .returningAll()
    .execute();
  for (const contact of stored) byKey.set(contactKey(contact.identity_kind, contact.identity_key), contact);
  return byKey;
}

/**
 * Find-or-create by threading key and touch in one statement: new threads are inserted, existing
 * ones get their newest activity (and a closed one reopens because the customer wrote again).
 * `xmax = 0` tells a row this statement inserted from one it updated.
 */
async function upsertThreads(
  tx: Tx,
  items: readonly ParsedInbound[],
  contacts: Map<string, Contact>,
  now: Date,
): Promise<{ rows: Map<string, Conversation>; createdIds: Set<string> }> {
  const wanted = new Map<string, { item: ParsedInbound; latest: Date }>();
  for (const item of items) {
    if (!('key' in item.thread)) continue;
    const key = threadKey(item.source, item.thread.key);
    const at = item.receivedAt ?? now;
    const seen = wanted.get(key);
    if (!seen) wanted.set(key, { item, latest: at });
    else if (at > seen.latest) seen.latest = at;
  }
  const rows = new Map<string, Conversation>();
  const createdIds = new Set<string>();
  if (wanted.size === 0) return { rows, createdIds };
  const values = [...wanted.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, { item, latest }]) => {
      const contact = contacts.get(contactKey(item.contact.identityKind, item.contact.identityKey))!;
      return {
        id: randomUUID(),
        contact_id: contact.id,
        channel: item.channel,
        source: item.source,
        thread_key: (item.thread as { key: string }).key,
        subject: item.subject ?? null,
        status: 'open' as const,
        metadata: '{}',
        created_at: item.receivedAt ?? now,
        updated_at: now,
        last_message_at: latest,
      };
    });
  const stored = await tx
    .insertInto('conversations')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['source', 'thread_key']).doUpdateSet({
        last_message_at: sql`GREATEST(conversations.last_message_at, excluded.last_message_at)`,
        updated_at: sql`excluded.updated_at`,
        status: sql`CASE WHEN conversations.status = 'closed' THEN 'open' ELSE conversations.status END`,
      }),
    )
    .returningAll()
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .execute();
  for (const { inserted, ...row } of stored) {
    rows.set(threadKey(row.source, row.thread_key), row);
    if (inserted) createdIds.add(row.id);
  }
  return { rows, createdIds };
}
