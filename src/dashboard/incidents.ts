import type { Store } from '../store/store.js';
import { escalationView } from './conversation.js';

export type IncidentFilter = 'open' | 'resolved' | 'merged' | 'any';

/** Incidents, newest first, with how many conversations each holds and its escalation's state. */
export async function incidentList(store: Store, status: IncidentFilter) {
  let query = store.db
    .selectFrom('incidents as i')
    .leftJoin('escalations as e', 'e.incident_id', 'i.id')
    .select((eb) => [
      'i.id',
      'i.number',
      'i.category',
      'i.title',
      'i.status',
      'i.opened_at',
      'i.last_seen_at',
      'i.next_update_at',
      'i.updates_sent',
      'i.resolved_at',
      'e.id as escalation_id',
      'e.status as escalation_status',
      eb.selectFrom('incident_conversations as m').select((m) => m.fn.countAll<number>().as('n')).whereRef('m.incident_id', '=', 'i.id').as('conversations'),
    ])
    .orderBy('i.opened_at', 'desc')
    .limit(200);
  if (status !== 'any') query = query.where('i.status', '=', status);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, conversations: Number(r.conversations) }));
}

/** One incident: its conversations (for split), the other open incidents (for merge), its escalation. */
export async function incidentDetail(store: Store, incidentId: string) {
  const incident = await store.db.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst();
  if (!incident) return null;
  const [conversations, others, escalation] = await Promise.all([
    store.db
      .selectFrom('incident_conversations as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .innerJoin('contacts as p', 'p.id', 'c.contact_id')
      .select(['c.id', 'c.channel', 'c.subject', 'c.created_at', 'p.email', 'p.name', 'm.added_by', 'm.added_at'])
      .select((eb) =>
        eb.selectFrom('messages as x').select('x.text').whereRef('x.conversation_id', '=', 'c.id').where('x.author_kind', '=', 'customer').orderBy('x.position').limit(1).as('first_text'),
      )
      .where('m.incident_id', '=', incidentId)
      .orderBy('m.added_at')
      .limit(1000)
      .execute(),
    store.db.selectFrom('incidents').select(['id', 'number', 'title']).where('status', '=', 'open').where('id', '<>', incidentId).orderBy('number', 'desc').limit(100).execute(),
    store.db.selectFrom('escalations').select('id').where('incident_id', '=', incidentId).executeTakeFirst(),
  ]);
  return { incident, conversations, others, escalation: escalation ? await escalationView(store, escalation.id) : null };
}
