import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '../errors.js';
import type { JobRequest } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store, Tx } from '../store/store.js';
import type { UrgencyLevel } from '../triage/classify.js';
import type { EscalationEngine } from '../triage/escalation/engine.js';
import { primaryCategory } from '../triage/problem.js';
import type { Evidence } from '../triage/classify.js';
import { audit } from './audit.js';
import type { StaffUser } from './auth/sessions.js';

export interface Actor {
  staff: StaffUser;
  ip: string | undefined;
}

const byName = (staff: StaffUser) => staff.name ?? staff.email;

/**
 * Staff say the classifier was wrong. The override is stored with what the classifier read and
 * its evidence (the classifier's feedback: the classifier page and lexicon suggestions read it),
 * and it changes what happens next: raised to a level with an escalation policy, the conversation
 * is escalated now; lowered below every policy, its own open escalation is resolved with the
 * reason. An incident's escalation is left to the incident's resolve. The helpdesk gets staff's
 * level as its urgency tag and note.
 */
export async function reclassify(
  deps: { store: Store; queue: JobQueue; engine: EscalationEngine; clock: () => Date; jobsOnTriage(conversationId: string): JobRequest[] },
  conversationId: string,
  toLevel: UrgencyLevel,
  reason: string,
  actor: Actor,
): Promise<{ escalated: boolean; resolvedEscalation: string | null }> {
  const { store } = deps;
  const result = await store.transaction(async (tx) => {
    const triage = await tx.selectFrom('triage_results').selectAll().where('conversation_id', '=', conversationId).forUpdate().executeTakeFirst();
    if (!triage) {
      const exists = await tx.selectFrom('conversations').select('id').where('id', '=', conversationId).executeTakeFirst();
      if (!exists) throw notFound('no such conversation', 'no_such_conversation');
      throw conflict('the classifier has not judged this conversation yet; try again in a moment', 'not_classified');
    }
    const latest = await tx.selectFrom('triage_overrides').select('to_level').where('conversation_id', '=', conversationId).orderBy('seq', 'desc').executeTakeFirst();
    const current = latest?.to_level ?? triage.level;
    if (current === toLevel) throw conflict(`this conversation is already ${toLevel}`, 'same_level');
    await tx
      .insertInto('triage_overrides')
      .values({
        id: randomUUID(),
        conversation_id: conversationId,
        from_level: triage.level,
        to_level: toLevel,
        reason,
        classified_text: triage.classified_text,
        evidence: JSON.stringify(triage.evidence),
        staff_user_id: actor.staff.id,
        staff_email: actor.staff.email,
        // The hub's clock, like the escalations and promises the classifier page compares it with.
        created_at: deps.clock(),
      })
      .execute();
    // The helpdesk's urgency tag and note follow staff's level (sync pushes it).
    await deps.queue.enqueueIn(tx, deps.jobsOnTriage(conversationId));
    await audit(tx, { actor: actor.staff, action: 'conversation.reclassified', subject: { kind: 'conversation', id: conversationId }, detail: { from: current, to: toLevel, reason }, ip: actor.ip });
    const category = primaryCategory(triage.evidence as Evidence[]);
    const policy = deps.engine.policyFor(toLevel, category);
    const escalation = await tx
      .selectFrom('escalations')
      .select(['id', 'status'])
      .where('conversation_id', '=', conversationId)
      .where('status', 'in', ['open', 'acknowledged'])
      .executeTakeFirst();
    if (policy && !escalation) {
      await deps.queue.enqueueIn(tx, [{ name: 'triage.respond', data: { conversationId, acknowledge: false, level: toLevel } }]);
      return { escalated: true, resolve: null };
    }
    return { escalated: false, resolve: !policy && escalation ? escalation.id : null };
  });
  if (result.resolve) {
    await deps.engine.resolve(result.resolve, byName(actor.staff), 'dashboard', `Re-classified as ${toLevel} by ${byName(actor.staff)}: ${reason}`);
  }
  return { escalated: result.escalated, resolvedEscalation: result.resolve };
}

/** Acknowledge or resolve an escalation from the dashboard; `changed` false when it was already so. */
export async function changeEscalation(
  deps: { store: Store; engine: EscalationEngine },
  escalationId: string,
  change: 'acknowledge' | 'resolve',
  text: string | null,
  actor: Actor,
): Promise<{ changed: boolean; escalation: { conversation_id: string | null; incident_id: string | null } }> {
  const escalation = await deps.store.db.selectFrom('escalations').select(['conversation_id', 'incident_id']).where('id', '=', escalationId).executeTakeFirst();
  if (!escalation) throw notFound('no such escalation', 'no_such_escalation');
  // The audit row commits with the change itself, and only when something changed.
  const record = (tx: Tx) =>
    audit(tx, {
      actor: actor.staff,
      action: change === 'acknowledge' ? 'escalation.acknowledged' : 'escalation.resolved',
      subject: { kind: 'escalation', id: escalationId },
      detail: text ? { text } : {},
      ip: actor.ip,
    });
  const changed =
    change === 'acknowledge'
      ? await deps.engine.acknowledge(escalationId, byName(actor.staff), 'dashboard', record)
      : await deps.engine.resolve(escalationId, byName(actor.staff), 'dashboard', text, record);
  return { changed, escalation };
}
