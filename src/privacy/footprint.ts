import { sql, type Kysely } from 'kysely';
import type { HelpdeskCapability } from '../capabilities/helpdesk.js';
import { HubError } from '../errors.js';
import type { HubDatabase } from '../store/schema.js';

/**
 * Finding one person: every contact that is them, and through those contacts everything the hub
 * holds about them. A person is found by any of the handles support is given — the address they
 * wrote from, the id the product's SDK knows them by, or the id an agent sees in the helpdesk —
 * and the search follows their email addresses across channels: the chat user who gave
 * lee@example.com and the sender of mail from Lee@Example.com are one person.
 */
export type PersonQuery =
  | { email: string }
  /** `<app id>:<user id>`, as the chat SDK identifies a user (anonymous visitors too). */
  | { chatUser: string }
  /** The helpdesk's own id for the customer (Zendesk user id, Help Scout customer id). */
  | { helpdesk: string; customerId: string };

export interface PersonContact {
  id: string;
  identityKind: string;
  identityKey: string;
  email: string | null;
  name: string | null;
}

export interface Footprint {
  contacts: PersonContact[];
  /** Lower-cased, distinct. */
  emails: string[];
  names: string[];
  conversationIds: string[];
  /** How much of each kind the hub holds: what `privacy:export` and `privacy:erase` report. */
  counts: FootprintCounts;
}

export interface FootprintCounts {
  contacts: number;
  conversations: number;
  messages: number;
  attachments: number;
  rawMails: number;
  triageResults: number;
  triageOverrides: number;
  acknowledgements: number;
  incidentMemberships: number;
  escalations: number;
  helpdeskConversations: number;
  chatSessions: number;
  auditRows: number;
}

export function describeQuery(query: PersonQuery): string {
  if ('email' in query) return query.email;
  if ('chatUser' in query) return `chat user ${query.chatUser}`;
  return `${query.helpdesk} customer ${query.customerId}`;
}

/** The person's footprint, or a 404 HubError naming what was looked for when nothing is theirs. */
export async function findPerson(
  db: Kysely<HubDatabase>,
  query: PersonQuery,
  helpdesks: ReadonlyMap<string, Pick<HelpdeskCapability, 'customerIdsIn'>> = new Map(),
): Promise<Footprint> {
  const seeds = await seedContacts(db, query, helpdesks);
  const contacts = await closeOverEmails(db, seeds);
  if (contacts.length === 0) throw new HubError(404, 'person_not_found', `nothing in the hub concerns ${describeQuery(query)}`);
  const contactIds = contacts.map((c) => c.id);
  const conversations = await db.selectFrom('conversations').select('id').where('contact_id', 'in', contactIds).orderBy('created_at').execute();
  const conversationIds = conversations.map((c) => c.id);
  const emails = distinct(contacts.flatMap((c) => (c.email ? [c.email.toLowerCase()] : [])));
  return {
    contacts,
    emails,
    names: distinct(contacts.flatMap((c) => (c.name ? [c.name] : []))),
    conversationIds,
    counts: await countFootprint(db, contactIds, conversationIds),
  };
}

async function seedContacts(db: Kysely<HubDatabase>, query: PersonQuery, helpdesks: ReadonlyMap<string, Pick<HelpdeskCapability, 'customerIdsIn'>>): Promise<PersonContact[]> {
  if ('email' in query) return contactsByEmail(db, [query.email.trim().toLowerCase()]);
  if ('chatUser' in query) {
    return selectContacts(db).where('identity_kind', 'in', ['chat', 'chat-visitor']).where('identity_key', '=', query.chatUser.trim()).execute().then(toContacts);
  }
  const helpdesk = helpdesks.get(query.helpdesk);
  if (!helpdesk) throw new HubError(400, 'unknown_helpdesk', `"${query.helpdesk}" is not a connected helpdesk (connected: ${[...helpdesks.keys()].join(', ') || 'none'})`);
  if (!helpdesk.customerIdsIn) throw new HubError(400, 'unsupported', `${query.helpdesk} cannot be searched by customer id`);
  // The vendor's id for the customer lives in the adapter's metadata of each conversation it
  // synced: read every row of that helpdesk once (a rare, operator-run search).
  const rows = await db.selectFrom('sync_conversations').select(['conversation_id', 'metadata']).where('integration_id', '=', query.helpdesk).execute();
  const wanted = query.customerId.trim();
  const conversationIds = rows.filter((r) => helpdesk.customerIdsIn!(r.metadata ?? {}).includes(wanted)).map((r) => r.conversation_id);
  if (conversationIds.length === 0) return [];
  return selectContacts(db)
    .where('id', 'in', (eb) => eb.selectFrom('conversations').select('contact_id').where('id', 'in', conversationIds))
    .execute()
    .then(toContacts);
}

/** Adds every contact that shares an address with one already found, until nothing new turns up. */
async function closeOverEmails(db: Kysely<HubDatabase>, seeds: PersonContact[]): Promise<PersonContact[]> {
  const found = new Map(seeds.map((c) => [c.id, c]));
  for (let round = 0; round < 5; round++) {
    const emails = distinct([...found.values()].flatMap((c) => (c.email ? [c.email.toLowerCase()] : [])));
    if (emails.length === 0) break;
    const more = (await contactsByEmail(db, emails)).filter((c) => !found.has(c.id));
    if (more.length === 0) break;
    for (const c of more) found.set(c.id, c);
  }
  return [...found.values()];
}

function selectContacts(db: Kysely<HubDatabase>) {
  return db.selectFrom('contacts').select(['id', 'identity_kind', 'identity_key', 'email', 'name']);
}

function contactsByEmail(db: Kysely<HubDatabase>, emails: string[]): Promise<PersonContact[]> {
  return selectContacts(db)
    .where((eb) => eb.or([eb(sql<string>`lower(email)`, 'in', emails), eb.and([eb('identity_kind', '=', 'email'), eb(sql<string>`lower(identity_key)`, 'in', emails)])]))
    .execute()
    .then(toContacts);
}

function toContacts(rows: { id: string; identity_kind: string; identity_key: string; email: string | null; name: string | null }[]): PersonContact[] {
  return rows.map((r) => ({ id: r.id, identityKind: r.identity_kind, identityKey: r.identity_key, email: r.email, name: r.name }));
}

async function countFootprint(db: Kysely<HubDatabase>, contactIds: string[], conversationIds: string[]): Promise<FootprintCounts> {
  // `= ANY(array)` keeps one parameter however many conversations a person has.
  const conv = sql`ANY(${conversationIds}::uuid[])`;
  const contact = sql`ANY(${contactIds}::uuid[])`;
  const row = await sql<Record<keyof FootprintCounts, number>>`
    SELECT
      ${contactIds.length}::int AS contacts,
      ${conversationIds.length}::int AS conversations,
      (SELECT count(*) FROM messages WHERE conversation_id = ${conv})::int AS messages,
      (SELECT count(*) FROM attachments WHERE contact_id = ${contact})::int AS attachments,
      (SELECT count(*) FROM mail_message_ids WHERE conversation_id = ${conv} AND raw IS NOT NULL)::int AS "rawMails",
      (SELECT count(*) FROM triage_results WHERE conversation_id = ${conv})::int AS "triageResults",
      (SELECT count(*) FROM triage_overrides WHERE conversation_id = ${conv})::int AS "triageOverrides",
      (SELECT count(*) FROM acknowledgements WHERE conversation_id = ${conv})::int AS acknowledgements,
      (SELECT count(*) FROM incident_conversations WHERE conversation_id = ${conv})::int AS "incidentMemberships",
      (SELECT count(*) FROM escalations WHERE conversation_id = ${conv})::int AS escalations,
      (SELECT count(*) FROM sync_conversations WHERE conversation_id = ${conv} AND external_id IS NOT NULL)::int AS "helpdeskConversations",
      (SELECT count(*) FROM chat_sessions WHERE contact_id = ${contact})::int AS "chatSessions",
      (SELECT count(*) FROM audit_log WHERE subject_id = ANY(${[...contactIds, ...conversationIds]}::text[]))::int AS "auditRows"`.execute(db);
  return row.rows[0]!;
}

function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}
