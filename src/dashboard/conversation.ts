import { sql } from 'kysely';
import { deviceFacts } from '../conversations/device-facts.js';
import type { SidebarCard } from '../sidebar/card.js';
import type { CardService } from '../sidebar/card-service.js';
import type { Store } from '../store/store.js';
import type { Evidence, UrgencyLevel } from '../triage/classify.js';
import { syncRowHolds } from './queue.js';

export interface EscalationView {
  id: string;
  title: string;
  level: UrgencyLevel;
  status: 'open' | 'acknowledged' | 'resolved';
  policy: string;
  openedAt: Date;
  acknowledgedBy: string | null;
  incidentId: string | null;
  steps: { step: number; dueAt: Date; targets: string[]; until: string; status: string; ranAt: Date | null }[];
  targets: { step: number; target: string; state: string; attempts: number; url: string | null; lastError: string | null }[];
  events: { at: Date; kind: string; detail: Record<string, unknown> }[];
}

/** One escalation with its steps, what each target holds, and what happened, in order. */
export async function escalationView(store: Store, escalationId: string): Promise<EscalationView | null> {
  const e = await store.db.selectFrom('escalations').selectAll().where('id', '=', escalationId).executeTakeFirst();
  if (!e) return null;
  const [steps, targets, events] = await Promise.all([
    store.db.selectFrom('escalation_steps').selectAll().where('escalation_id', '=', e.id).orderBy('step').execute(),
    store.db.selectFrom('escalation_targets').selectAll().where('escalation_id', '=', e.id).orderBy('step').orderBy('target').execute(),
    store.db.selectFrom('escalation_events').selectAll().where('escalation_id', '=', e.id).orderBy('at').execute(),
  ]);
  return {
    id: e.id,
    title: e.title,
    level: e.level,
    status: e.status,
    policy: e.policy,
    openedAt: new Date(e.opened_at),
    acknowledgedBy: e.acknowledged_by,
    incidentId: e.incident_id,
    steps: steps.map((s) => ({ step: s.step, dueAt: new Date(s.due_at), targets: s.targets, until: s.until, status: s.status, ranAt: s.ran_at ? new Date(s.ran_at) : null })),
    targets: targets.map((t) => ({ step: t.step, target: t.target, state: t.state, attempts: t.attempts, url: t.url, lastError: t.last_error })),
    // Events of one instant keep their causal order: the escalation opens before its first step runs.
    events: events
      .map((v) => ({ at: new Date(v.at), kind: v.kind, detail: v.detail }))
      .sort((a, b) => a.at.getTime() - b.at.getTime() || Number(b.kind === 'opened') - Number(a.kind === 'opened')),
  };
}

/** Everything the conversation page shows, in one load. */
export async function conversationDetail(deps: { store: Store; cards: CardService }, conversationId: string) {
  const { store } = deps;
  const conversation = await store.db
    .selectFrom('conversations as c')
    .innerJoin('contacts as p', 'p.id', 'c.contact_id')
    .select(['c.id', 'c.channel', 'c.source', 'c.subject', 'c.status', 'c.created_at', 'c.first_agent_reply_at', 'c.metadata', 'p.email', 'p.name', 'p.verified'])
    .where('c.id', '=', conversationId)
    .executeTakeFirst();
  if (!conversation) return null;
  const [messages, triage, overrides, acknowledgement, membership, helpdesks] = await Promise.all([
    store.db
      .selectFrom('messages')
      .select(['id', 'direction', 'author_kind', 'author_name', 'text', 'source', 'created_at', 'metadata'])
      .where('conversation_id', '=', conversationId)
      .orderBy('position')
      .limit(500)
      .execute(),
    store.db.selectFrom('triage_results').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst(),
    store.db.selectFrom('triage_overrides').selectAll().where('conversation_id', '=', conversationId).orderBy('seq', 'desc').execute(),
    store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst(),
    store.db
      .selectFrom('incident_conversations as m')
      .innerJoin('incidents as i', 'i.id', 'm.incident_id')
      .select(['i.id', 'i.number', 'i.title', 'i.status'])
      .where('m.conversation_id', '=', conversationId)
      .executeTakeFirst(),
    sql<{ integration_id: string; external_id: string | null; last_error: string | null }>`
      SELECT sc.integration_id, sc.external_id, sc.last_error FROM sync_conversations sc
      WHERE sc.conversation_id = ${conversationId} AND ${syncRowHolds} ORDER BY sc.integration_id`
      .execute(store.db)
      .then((r) => r.rows),
  ]);
  const escalationRow = await store.db
    .selectFrom('escalations')
    .select('id')
    .where((eb) => eb.or([eb('conversation_id', '=', conversationId), ...(membership ? [eb('incident_id', '=', membership.id)] : [])]))
    .orderBy('opened_at', 'desc')
    .executeTakeFirst();
  const escalation = escalationRow ? await escalationView(store, escalationRow.id) : null;
  let card: SidebarCard | null = null;
  if (conversation.email) {
    card = await deps.cards.cardFor({ emails: [conversation.email], name: conversation.name }).catch(() => null);
  }
  // The device of this conversation's latest chat message, labelled as the helpdesk note and the card label it.
  const device = [...messages].reverse().find((m) => m.metadata && typeof m.metadata['device'] === 'object' && m.metadata['device'] !== null)?.metadata['device'] as
    | Record<string, unknown>
    | undefined;
  const deviceLines = device ? deviceFacts(device) : [];
  const effectiveLevel: UrgencyLevel | null = overrides[0]?.to_level ?? triage?.level ?? null;
  return {
    conversation,
    messages,
    triage: triage ? { ...triage, evidence: triage.evidence as Evidence[] } : null,
    effectiveLevel,
    overrides,
    acknowledgement: acknowledgement ?? null,
    incident: membership ?? null,
    helpdesks,
    escalation,
    card,
    device: deviceLines.length > 0 ? deviceLines : null,
  };
}
export type ConversationDetail = NonNullable<Awaited<ReturnType<typeof conversationDetail>>>;
