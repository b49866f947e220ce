import type { Store } from '../store/store.js';
import { bannerOutcomes, DEFAULT_BANNER_MESSAGE } from '../triage/incidents.js';
import { escalationView } from './conversation.js';

/** One incident: its conversations (for split), the other open incidents (for merge), its escalation. */
export async function incidentDetail(store: Store, incidentId: string) {
  const incident = await store.db.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst();
  if (!incident) return null;
  const [conversations, others, escalation, banner, helpdeskRecords] = await Promise.all([
    store.db
      .selectFrom('incident_conversations as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .innerJoin('contacts as p', 'p.id', 'c.contact_id')
      .select(['c.id', 'c.contact_id', 'c.channel', 'c.subject', 'c.created_at', 'p.email', 'p.name', 'm.added_by', 'm.added_at'])
      .select((eb) =>
        eb.selectFrom('messages as x').select('x.text').whereRef('x.conversation_id', '=', 'c.id').where('x.author_kind', '=', 'customer').orderBy('x.position').limit(1).as('first_text'),
      )
      .where('m.incident_id', '=', incidentId)
      .orderBy('m.added_at')
      .limit(1000)
      .execute(),
    store.db.selectFrom('incidents').select(['id', 'number', 'title']).where('status', '=', 'open').where('id', '<>', incidentId).orderBy('number', 'desc').limit(100).execute(),
    store.db.selectFrom('escalations').select('id').where('incident_id', '=', incidentId).executeTakeFirst(),
    bannerOutcomes(store, incidentId),
    // Its own record at a helpdesk with problem tickets (Zendesk), for staff to find it there.
    store.db.selectFrom('sync_problems').select(['integration_id', 'external_id', 'solved_at', 'last_error']).where('incident_id', '=', incidentId).orderBy('integration_id').execute(),
  ]);
  const customers = new Set(conversations.map((c) => c.contact_id)).size;
  return { incident, conversations, customers, others, banner, helpdeskRecords, defaultBannerMessage: DEFAULT_BANNER_MESSAGE, escalation: escalation ? await escalationView(store, escalation.id) : null };
}
