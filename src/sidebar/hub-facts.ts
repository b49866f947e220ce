import { sql } from 'kysely';
import { conversationSubject } from '../conversations/subject.js';
import type { ChannelKind, ConversationStatus } from '../store/schema.js';
import type { Store } from '../store/store.js';

/** What the hub itself knows about whoever uses these addresses: always available, no vendor involved. */
export interface HubFacts {
  /** Some contact in the hub uses one of the addresses. */
  known: boolean;
  /**
   * At least one of those contacts is proven (user_hash, DMARC pass, helpdesk record). A known
   * address with no proven contact is an unverified claim: account data stays hidden (ARCHITECTURE §7).
   */
  verified: boolean;
  name: string | null;
  conversationCount: number;
  openCount: number;
  /** Newest first. */
  recent: RecentConversation[];
  /** The device of the customer's latest in-app chat message (chat SDK metadata). */
  device: Record<string, string> | null;
  /** The newest escalation of the customer's conversations that is not resolved yet. */
  openEscalation?: OpenEscalation | null;
}

export interface OpenEscalation {
  title: string;
  level: 'urgent' | 'high' | 'normal' | 'low';
  status: 'open' | 'acknowledged';
  openedAt: Date;
}

export interface RecentConversation {
  id: string;
  /** The subject the helpdesk shows too (src/conversations/subject.ts): a chat's is its first line. */
  subject: string;
  channel: ChannelKind;
  status: ConversationStatus;
  lastMessageAt: Date;
  urgency: 'urgent' | 'high' | 'normal' | 'low' | null;
}

const RECENT = 3;

/**
 * `onlyContacts`: the card is about these hub contacts (named by a chat address), not about
 * whoever else uses their email: known, and proven only if each of them proved its own email.
 */
export async function hubFactsFor(store: Store, emails: readonly string[], onlyContacts?: readonly string[], options: { openEscalation?: boolean } = {}): Promise<HubFacts> {
  const none: HubFacts = { known: false, verified: false, name: null, conversationCount: 0, openCount: 0, recent: [], device: null };
  if (emails.length === 0 && !onlyContacts?.length) return none;
  // contacts_email_idx is on lower(email).
  const contacts = await store.db
    .selectFrom('contacts')
    .select(['id', 'name', 'email', 'verified', 'updated_at'])
    .$if(onlyContacts !== undefined, (q) => q.where('id', 'in', [...onlyContacts!]))
    .$if(onlyContacts === undefined, (q) => q.where(sql<string>`lower(email)`, 'in', [...emails]))
    .orderBy('updated_at', 'desc')
    .execute();
  if (contacts.length === 0) return onlyContacts ? { ...none, known: true } : none;
  const ids = contacts.map((c) => c.id);
  const [counts, recent, device, escalation] = await Promise.all([
    store.db
      .selectFrom('conversations')
      .select((eb) => [eb.fn.countAll<string | number>().as('total'), eb.fn.count<string | number>('id').filterWhere('status', '<>', 'closed').as('open')])
      .where('contact_id', 'in', ids)
      .executeTakeFirst(),
    sql<{ id: string; subject: string | null; channel: ChannelKind; status: ConversationStatus; last_message_at: Date; level: RecentConversation['urgency']; first_text: string | null }>`
      SELECT c.id, c.subject, c.channel, c.status, c.last_message_at, t.level, f.text AS first_text
      FROM conversations c
      LEFT JOIN triage_results t ON t.conversation_id = c.id
      -- Without a subject, the helpdesk's is made from the customer's first words (read for the shown rows only).
      LEFT JOIN LATERAL (
        SELECT m.text FROM messages m
        WHERE m.conversation_id = c.id AND m.direction = 'inbound' AND btrim(m.text) <> '' AND COALESCE(btrim(c.subject), '') = ''
        ORDER BY m.position LIMIT 1
      ) f ON TRUE
      WHERE c.contact_id IN (${sql.join(ids)})
      ORDER BY c.last_message_at DESC
      LIMIT ${RECENT}`
      .execute(store.db)
      .then((r) => r.rows),
    sql<{ device: unknown }>`
      SELECT m.metadata -> 'device' AS device
      FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE c.contact_id IN (${sql.join(ids)}) AND c.channel = 'chat' AND m.direction = 'inbound'
        AND jsonb_typeof(m.metadata -> 'device') = 'object' AND m.metadata -> 'device' <> '{}'::jsonb
      ORDER BY m.created_at DESC, m.position DESC
      LIMIT 1`.execute(store.db),
    // Only the fuller views ask (the Help Scout app's side panel): the other cards stay as they were.
    options.openEscalation
      ? sql<{ title: string; level: OpenEscalation['level']; status: OpenEscalation['status']; opened_at: Date }>`
          SELECT e.title, e.level, e.status, e.opened_at
          FROM escalations e JOIN conversations c ON c.id = e.conversation_id
          WHERE c.contact_id IN (${sql.join(ids)}) AND e.status <> 'resolved'
          ORDER BY e.opened_at DESC
          LIMIT 1`
          .execute(store.db)
          .then((r) => r.rows[0])
      : undefined,
  ]);
  const proven = contacts.filter((c) => c.verified && c.email);
  return {
    known: true,
    verified: onlyContacts ? proven.length === contacts.length : proven.length > 0,
    name: (proven[0] ?? contacts[0])?.name ?? null,
    conversationCount: Number(counts?.total ?? 0),
    openCount: Number(counts?.open ?? 0),
    recent: recent.map((r) => ({ id: r.id, subject: conversationSubject(r.subject, r.channel, r.first_text ? [r.first_text] : []), channel: r.channel, status: r.status, lastMessageAt: new Date(r.last_message_at), urgency: r.level ?? null })),
    device: deviceOf(device.rows[0]?.device),
    ...(options.openEscalation ? { openEscalation: escalation ? { title: escalation.title, level: escalation.level, status: escalation.status, openedAt: new Date(escalation.opened_at) } : null } : {}),
  };
}

/** Only the string fields of the SDK's device object (sessions.ts `deviceSchema`), nothing nested. */
function deviceOf(value: unknown): Record<string, string> | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const fields = Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '');
  return fields.length > 0 ? Object.fromEntries(fields) : null;
}
