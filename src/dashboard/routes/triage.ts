import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { badRequest, notFound, parseInput } from '../../errors.js';
import type { JobRequest } from '../../jobs/catalog.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { CardService } from '../../sidebar/card-service.js';
import type { Store, Tx } from '../../store/store.js';
import type { Acknowledger } from '../../triage/acknowledge.js';
import type { EscalationEngine } from '../../triage/escalation/engine.js';
import type { Incidents } from '../../triage/incidents.js';
import { changeEscalation, reclassify, type Actor } from '../actions.js';
import { audit } from '../audit.js';
import { conversationDetail } from '../conversation.js';
import { escalationQueue, knownHelpdesks, queueFilters } from '../queue.js';
import { incidentDetail } from '../incidents.js';
import { listIncidents } from '../../triage/incidents.js';
import { renderFragment, renderPage, requirePermission, staffOf } from '../web.js';

export interface TriageRoutesDeps {
  store: Store;
  queue: JobQueue;
  engine: EscalationEngine;
  incidents: Incidents;
  acknowledger: Acknowledger;
  cards: CardService;
  /** Sync jobs that carry a new urgency to the helpdesk. */
  jobsOnTriage(conversationId: string): JobRequest[];
  teamTimeZone: string;
  clock: () => Date;
}

const uuid = z.uuid();
const idOf = (value: unknown) => parseInput(uuid, value, 'id', 'invalid_id');
const text = (max: number) => z.string().trim().max(max);
const reclassifyForm = z.object({
  level: z.enum(['urgent', 'high', 'normal', 'low'], { message: 'choose a level' }),
  reason: text(1000).min(3, 'say why (at least a few words): the reason teaches the classifier'),
});
const resolveForm = z.object({ text: text(5000).optional() });
const updateForm = z.object({ text: text(5000).min(1, 'write the update customers will get') });
const publishForm = z.object({ title: text(120).optional(), message: text(500).optional() });
const mergeForm = z.object({ into: z.uuid('choose the incident to merge into') });
const splitForm = z.object({ conversationIds: z.union([z.uuid(), z.array(z.uuid()).min(1).max(1000)], { message: 'tick the conversations to split off' }) });

/** Words for the notice after an action (a key in the redirect, so nothing typed is echoed). */
const NOTICES: Record<string, string> = {
  acknowledged: 'Escalation acknowledged: no further steps will run.',
  'already-acknowledged': 'Someone had already acknowledged this escalation.',
  resolved: 'Escalation resolved.',
  'already-resolved': 'This escalation was already resolved.',
  reclassified: 'Re-classified. The classifier page counts this correction.',
  'reclassified-escalated': 'Re-classified; the conversation is being escalated.',
  'reclassified-resolved': 'Re-classified; its escalation was resolved with your reason.',
  'incident-resolved': 'Incident resolved; every affected customer gets the follow-up.',
  'incident-updated': 'Update sent to every affected customer.',
  'incident-merged': 'Incidents merged.',
  'incident-split': 'Conversations split off into a new incident.',
  'incident-published': 'The banner is up: customers see it in the chat widget before they write.',
  'incident-unpublished': 'The banner is down. It will not go up again by itself.',
};
const INCIDENT_NOTICE = {
  resolve: 'incident-resolved',
  update: 'incident-updated',
  merge: 'incident-merged',
  split: 'incident-split',
  publish: 'incident-published',
  unpublish: 'incident-unpublished',
} as const;
const noticeOf = (value: unknown) => (typeof value === 'string' ? (NOTICES[value] ?? null) : null);

/** The queue, conversation and incident pages, and the actions on them (triage role and up). */
export function triageRoutes(deps: TriageRoutesDeps): Router {
  const router = Router();
  const act = requirePermission('act');
  const actor = (req: Request, res: Response): Actor => ({ staff: staffOf(res), ip: req.ip });
  const zone = deps.teamTimeZone;

  router.get('/dashboard', (_req, res) => res.redirect(303, '/dashboard/queue'));

  router.get('/dashboard/queue', async (req, res) => {
    const filters = parseInput(queueFilters, req.query, 'filters', 'invalid_filters');
    const [queue, helpdesks] = await Promise.all([escalationQueue(deps, filters), knownHelpdesks(deps.store)]);
    const locals = { ...queue, filters, helpdesks, zone, now: deps.clock() };
    // Live updates fetch just the table (dashboard.js, on a server-sent event).
    if (req.query['fragment'] === 'rows') return renderFragment(res, 'queue-table', locals);
    renderPage(res, 'queue', { title: 'Escalations', section: 'queue', notice: noticeOf(req.query['done']), ...locals });
  });

  router.get('/dashboard/escalations/:id', async (req, res) => {
    const escalation = await deps.store.db.selectFrom('escalations').select(['conversation_id', 'incident_id']).where('id', '=', idOf(req.params['id'])).executeTakeFirst();
    if (!escalation) throw notFound('There is no such escalation.');
    res.redirect(303, `${pageOf(escalation)}#escalation`);
  });

  router.get('/dashboard/conversations/:id', async (req, res) => {
    const detail = await conversationDetail(deps, idOf(req.params['id']));
    if (!detail) throw notFound('There is no such conversation.');
    renderPage(res, 'conversation', { title: detail.conversation.subject ?? 'Conversation', section: 'queue', notice: noticeOf(req.query['done']), zone, now: deps.clock(), ...detail });
  });

  router.post('/dashboard/escalations/:id/:change', act, async (req, res) => {
    const change = req.params['change'];
    if (change !== 'acknowledge' && change !== 'resolve') throw notFound(`There is no escalation action "${String(change)}".`);
    const id = idOf(req.params['id']);
    const form = parseInput(resolveForm, req.body ?? {}, 'form', 'invalid_form');
    const { changed, escalation } = await changeEscalation(deps, id, change, form.text || null, actor(req, res));
    const done = change === 'acknowledge' ? (changed ? 'acknowledged' : 'already-acknowledged') : changed ? 'resolved' : 'already-resolved';
    res.redirect(303, `${pageOf(escalation)}?done=${done}#escalation`);
  });

  router.post('/dashboard/conversations/:id/reclassify', act, async (req, res) => {
    const id = idOf(req.params['id']);
    const form = parseInput(reclassifyForm, req.body ?? {}, 'form', 'invalid_form');
    const outcome = await reclassify(deps, id, form.level, form.reason, actor(req, res));
    const done = outcome.escalated ? 'reclassified-escalated' : outcome.resolvedEscalation ? 'reclassified-resolved' : 'reclassified';
    res.redirect(303, `/dashboard/conversations/${id}?done=${done}`);
  });

  router.get('/dashboard/incidents', async (req, res) => {
    const status = z.enum(['open', 'resolved', 'merged', 'any']).default('open').parse(req.query['status']);
    renderPage(res, 'incidents', { title: 'Incidents', section: 'incidents', notice: noticeOf(req.query['done']), status, incidents: await listIncidents(deps.store, status), zone });
  });

  router.get('/dashboard/incidents/:id', async (req, res) => {
    const detail = await incidentDetail(deps.store, idOf(req.params['id']));
    if (!detail) throw notFound('There is no such incident.');
    renderPage(res, 'incident', {
      title: `Incident #${detail.incident.number}`,
      section: 'incidents',
      notice: noticeOf(req.query['done']),
      zone,
      publishAfterReports: deps.incidents.publishAfterReports,
      ...detail,
    });
  });

  router.post('/dashboard/incidents/:id/:action', act, async (req, res) => {
    const id = idOf(req.params['id']);
    const who = actor(req, res);
    const by = who.staff.name ?? who.staff.email;
    const body = req.body ?? {};
    let goTo = id;
    // The audit row commits with the change itself (a crash cannot keep one without the other).
    const auditIn = (detail: Record<string, unknown>) => (tx: Tx) =>
      audit(tx, { actor: who.staff, action: `incident.${req.params['action']}`, subject: { kind: 'incident', id }, detail, ip: who.ip });
    switch (req.params['action']) {
      case 'resolve': {
        const form = parseInput(resolveForm, body, 'form', 'invalid_form');
        await deps.incidents.resolve(id, form.text || null, by, auditIn({ text: form.text || null }));
        break;
      }
      case 'update': {
        const form = parseInput(updateForm, body, 'form', 'invalid_form');
        await deps.incidents.postUpdate(id, form.text, auditIn({ text: form.text }));
        break;
      }
      case 'publish': {
        const form = parseInput(publishForm, body, 'form', 'invalid_form');
        const banner = { title: form.title || null, message: form.message || null };
        await deps.incidents.publish(id, banner, by, auditIn(banner));
        break;
      }
      case 'unpublish': {
        await deps.incidents.unpublish(id, by, auditIn({}));
        break;
      }
      case 'merge': {
        const form = parseInput(mergeForm, body, 'form', 'invalid_form');
        if (form.into === id) throw badRequest('An incident cannot be merged into itself.');
        await deps.incidents.merge(id, form.into, by, auditIn({ into: form.into }));
        goTo = form.into;
        break;
      }
      case 'split': {
        const form = parseInput(splitForm, body, 'form', 'invalid_form');
        const ids = Array.isArray(form.conversationIds) ? form.conversationIds : [form.conversationIds];
        goTo = await deps.incidents.split(id, ids, by, (tx, newIncident) => auditIn({ conversations: ids.length, newIncident })(tx));
        break;
      }
      default:
        throw notFound(`There is no incident action "${String(req.params['action'])}".`);
    }
    res.redirect(303, `/dashboard/incidents/${goTo}?done=${INCIDENT_NOTICE[req.params['action'] as keyof typeof INCIDENT_NOTICE]}`);
  });
  return router;
}

/** The page an escalation is shown on: its conversation's, or its incident's. */
function pageOf(escalation: { conversation_id: string | null; incident_id: string | null }): string {
  return escalation.conversation_id ? `/dashboard/conversations/${escalation.conversation_id}` : `/dashboard/incidents/${escalation.incident_id}`;
}
