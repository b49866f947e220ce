import { sql, type Kysely } from 'kysely';
import type { HubDatabase } from '../../src/store/schema.js';

/**
 * A store of N conversations with a known mix, written set-based (INSERT … SELECT generate_series:
 * a handful of statements, not N round trips). Conversation i (1…N):
 * - status: open when i % 5 = 0, pending when i % 5 = 1, else closed;
 * - last activity age(i) = (i · 37) mod 1000 days (+ 12 h, so no age sits on a cutoff), every age
 *   ten times per 10,000;
 * - two messages: the customer's (html, device metadata) and an agent reply;
 * - email when i is even, with its inbound mail's MIME kept unless i % 6 = 0;
 * - an attachment on the customer's message when i % 3 = 0;
 * - an acknowledgement with a first-reply time (the ETA history and promise metrics) when i % 4 = 2.
 * And A audit rows, row k written (k · 7) mod 1500 days (+ 12 h) ago.
 */
export const SEED = { conversations: 10_000, auditRows: 3_000 };

const ageDays = (i: number) => (i * 37) % 1000;
const status = (i: number) => (i % 5 === 0 ? 'open' : i % 5 === 1 ? 'pending' : 'closed');
const auditAgeDays = (k: number) => (k * 7) % 1500;

export interface RetentionDays {
  rawMimeDays: number;
  attachmentDays: number;
  closedConversationBodyDays: number;
  auditDays: number;
}

/** What a run with these periods must remove from the seed, worked out independently of the SQL. */
export function expectedRemovals(days: RetentionDays) {
  let rawMime = 0;
  let attachments = 0;
  let bodyConversations = 0;
  let auditRows = 0;
  let untouchedLiveOld = 0;
  for (let i = 1; i <= SEED.conversations; i++) {
    const age = ageDays(i);
    if (i % 2 === 0 && i % 6 !== 0 && age >= days.rawMimeDays) rawMime++;
    if (i % 3 === 0 && age >= days.attachmentDays) attachments++;
    if (status(i) === 'closed' && age >= days.closedConversationBodyDays) bodyConversations++;
    if (status(i) !== 'closed' && age >= days.closedConversationBodyDays) untouchedLiveOld++;
  }
  for (let k = 1; k <= SEED.auditRows; k++) if (auditAgeDays(k) >= days.auditDays) auditRows++;
  return { rawMime, attachments, bodyMessages: bodyConversations * 2, bodyConversations, auditRows, untouchedLiveOld };
}

export async function seedRetentionStore(db: Kysely<HubDatabase>): Promise<void> {
  const n = SEED.conversations;
  const at = sql`(now() - ((g * 37) % 1000) * interval '1 day' - interval '12 hours')`;
  await sql`INSERT INTO contacts (id, identity_kind, identity_key, email, name)
    SELECT md5('contact' || g)::uuid, 'email', 'seed-' || g || '@example.com', 'seed-' || g || '@example.com', 'Seed ' || g
    FROM generate_series(0, 999) g`.execute(db);
  await sql`INSERT INTO conversations (id, contact_id, channel, source, thread_key, subject, status, created_at, updated_at, last_message_at, first_agent_reply_at)
    SELECT md5('conv' || g)::uuid, md5('contact' || (g % 1000))::uuid,
      CASE WHEN g % 2 = 0 THEN 'email' ELSE 'chat' END, 'seed', 'seed-' || g, 'Subject ' || g,
      CASE WHEN g % 5 = 0 THEN 'open' WHEN g % 5 = 1 THEN 'pending' ELSE 'closed' END,
      ${at} - interval '1 day', ${at}, ${at}, ${at}
    FROM generate_series(1, ${n}) g`.execute(db);
  await sql`INSERT INTO attachments (id, contact_id, filename, content_type, size, sha256, content, created_at)
    SELECT md5('att' || g)::uuid, md5('contact' || (g % 1000))::uuid, 'screen-' || g || '.txt', 'text/plain', 100,
      encode(sha256(convert_to(repeat('a', 100), 'UTF8')), 'hex'), convert_to(repeat('a', 100), 'UTF8'), ${at} - interval '1 hour'
    FROM generate_series(3, ${n}, 3) g`.execute(db);
  await sql`INSERT INTO messages (id, conversation_id, direction, author_kind, author_name, text, html, attachments, source, source_message_id, metadata, created_at)
    SELECT md5('in' || g)::uuid, md5('conv' || g)::uuid, 'inbound', 'customer', 'Seed ' || g,
      'My invoice ' || g || ' is wrong', CASE WHEN g % 2 = 0 THEN '<p>My invoice ' || g || ' is wrong</p>' END,
      CASE WHEN g % 3 = 0
        THEN jsonb_build_array(jsonb_build_object('id', md5('att' || g)::uuid, 'filename', 'screen-' || g || '.txt', 'contentType', 'text/plain', 'size', 100, 'location', 'attachment:' || md5('att' || g)::uuid))
        ELSE '[]'::jsonb END,
      'seed', 'in-' || g, '{"device": {"timeZone": "Europe/Berlin"}}'::jsonb, ${at} - interval '1 hour'
    FROM generate_series(1, ${n}) g`.execute(db);
  await sql`INSERT INTO messages (id, conversation_id, direction, author_kind, author_name, text, source, source_message_id, created_at, delivered_at)
    SELECT md5('out' || g)::uuid, md5('conv' || g)::uuid, 'outbound', 'agent', 'Ana', 'Fixed invoice ' || g, 'seed', 'out-' || g, ${at}, ${at}
    FROM generate_series(1, ${n}) g`.execute(db);
  await sql`INSERT INTO mail_message_ids (mailbox, message_id, conversation_id, direction, raw, hub_message_id, created_at)
    SELECT 'support@seed.test', '<in-' || g || '@seed.test>', md5('conv' || g)::uuid, 'inbound',
      CASE WHEN g % 6 = 0 THEN NULL ELSE convert_to('From: seed-' || g || E'@example.com\r\nSubject: Invoice\r\n\r\nMy invoice ' || g || ' is wrong', 'UTF8') END,
      md5('in' || g)::uuid, ${at}
    FROM generate_series(2, ${n}, 2) g`.execute(db);
  await sql`INSERT INTO acknowledgements (conversation_id, contact_id, decision, message_id, level, basis, received_at, due_at, first_reply_at, first_reply_business_minutes, kept)
    SELECT md5('conv' || g)::uuid, md5('contact' || (g % 1000))::uuid, 'sent', md5('in' || g)::uuid, 'normal', 'history',
      ${at} - interval '1 hour', ${at}, ${at}, 60, true
    FROM generate_series(2, ${n}, 4) g`.execute(db);
  await sql`INSERT INTO audit_log (at, staff_email, action, detail)
    SELECT now() - ((k * 7) % 1500) * interval '1 day' - interval '12 hours', 'admin@seed.test', 'seed.action', jsonb_build_object('k', k)
    FROM generate_series(1, ${SEED.auditRows}) k`.execute(db);
}

/** An order-independent checksum of a whole table (or a query), to prove a dry run changed nothing. */
export async function tableChecksum(db: Kysely<HubDatabase>, relation: string): Promise<string> {
  const result = await sql<{ sum: string | null; n: number }>`
    SELECT md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) AS sum, count(*)::int AS n FROM (${sql.raw(relation)}) t`.execute(db);
  return `${result.rows[0]!.n}:${result.rows[0]!.sum ?? ''}`;
}
