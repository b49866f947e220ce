import { sql } from 'kysely';
import type { JobHandler } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import type { Acknowledger, IncidentRef } from './acknowledge.js';
import type { Evidence, UrgencyLevel } from './classify.js';
import type { EscalationEngine } from './escalation/engine.js';
import type { Incidents } from './incidents.js';
import { escalationTitle } from './escalation/title.js';
import { LEVEL_LABEL, primaryCategory } from './problem.js';

/**
 * `triage.respond`, after a conversation's first urgency call (or a raised one): an outage report
 * joins its incident; what the policy says to escalate is escalated (the incident, once, rather
 * than each report); then a new conversation is acknowledged — after clustering, so the
 * acknowledgement can name the incident. Every part is idempotent, so a retry repeats nothing.
 */
export function respondJob(deps: { store: Store; queue: JobQueue; engine: EscalationEngine; incidents: Incidents; acknowledger: Acknowledger }): JobHandler<'triage.respond'> {
  return async ({ conversationId, acknowledge, level: staffLevel }) => {
    const row = await sql<{ level: UrgencyLevel; evidence: Evidence[]; subject: string | null; text: string }>`
      SELECT t.level, t.evidence, c.subject, t.classified_text AS text
      FROM triage_results t JOIN conversations c ON c.id = t.conversation_id
      WHERE t.conversation_id = ${conversationId}`.execute(deps.store.db);
    const classified = row.rows[0];
    // A staff re-classification decides the level; the evidence still names the category.
    const triage = classified && staffLevel ? { ...classified, level: staffLevel } : classified;
    let incident: IncidentRef | null = null;
    if (triage) {
      const category = primaryCategory(triage.evidence);
      const policy = deps.engine.policyFor(triage.level, category);
      const clusters = deps.incidents.clusters(category) && (triage.level === 'urgent' || triage.level === 'high');
      if (policy || clusters) {
        incident = await deps.store.transaction(async (tx) => {
          let joined: IncidentRef | null = null;
          if (clusters) {
            joined = await deps.incidents.joinIn(tx, conversationId, category);
            if (policy) {
              const opened = await deps.engine.openIn(tx, { incidentId: joined.id, level: triage.level, category, title: `${LEVEL_LABEL[triage.level]}: incident #${joined.number}, ${joined.title}` }, policy);
              await deps.queue.enqueueIn(tx, opened.jobs);
            }
          } else if (policy) {
            const opened = await deps.engine.openIn(tx, { conversationId, level: triage.level, category, title: escalationTitle(triage.level, triage.subject, triage.text) }, policy);
            await deps.queue.enqueueIn(tx, opened.jobs);
          }
          return joined;
        });
      }
    }
    if (acknowledge) await deps.acknowledger.acknowledge(conversationId, incident ?? (await deps.incidents.of(conversationId)));
  };
}
