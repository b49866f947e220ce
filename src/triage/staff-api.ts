import { Router } from 'express';
import { z } from 'zod';
import { notFound, parseInput } from '../errors.js';
import { adminAuth } from '../ops/admin.js';
import type { Store } from '../store/store.js';
import type { EscalationEngine } from './escalation/engine.js';
import { listIncidents, type Incidents } from './incidents.js';

const uuid = z.uuid();
const byBody = z.object({ by: z.string().min(1).max(200).default('staff') });
const resolveBody = byBody.extend({ text: z.string().max(5000).nullish() });
const updateBody = z.object({ text: z.string().min(1).max(5000) });
const mergeBody = byBody.extend({ into: z.uuid() });
const publishBody = byBody.extend({ title: z.string().trim().min(1).max(120).nullish(), message: z.string().trim().min(1).max(500).nullish() });
const splitBody = byBody.extend({ conversationIds: z.array(z.uuid()).min(1).max(1000) });

/**
 * Staff actions on incidents and escalations over the operator API (bearer HUB_ADMIN_TOKEN), until
 * the dashboard (with staff logins and roles) puts the same actions in front of people.
 */
export function triageStaffRouter(deps: { token: string | undefined; store: Store; incidents: Incidents; engine: EscalationEngine }): Router {
  const router = Router();
  router.use('/admin/incidents', adminAuth(deps.token));
  router.use('/admin/escalations', adminAuth(deps.token));
  const id = (value: unknown) => parseInput(uuid, value, 'id', 'invalid_id');

  router.get('/admin/incidents', async (_req, res) => {
    res.json({ incidents: await listIncidents(deps.store, 'any') });
  });

  router.post('/admin/incidents/:id/resolve', async (req, res) => {
    const body = parseInput(resolveBody, req.body ?? {}, 'body', 'invalid_body');
    await deps.incidents.resolve(id(req.params['id']), body.text ?? null, body.by);
    res.json({ resolved: true });
  });
  router.post('/admin/incidents/:id/update', async (req, res) => {
    const body = parseInput(updateBody, req.body ?? {}, 'body', 'invalid_body');
    await deps.incidents.postUpdate(id(req.params['id']), body.text);
    res.json({ sent: true });
  });
  // The status banner: publish (or change what it says) and take it down.
  router.post('/admin/incidents/:id/publish', async (req, res) => {
    const body = parseInput(publishBody, req.body ?? {}, 'body', 'invalid_body');
    await deps.incidents.publish(id(req.params['id']), { title: body.title ?? null, message: body.message ?? null }, body.by);
    res.json({ published: true });
  });
  router.post('/admin/incidents/:id/unpublish', async (req, res) => {
    const body = parseInput(byBody, req.body ?? {}, 'body', 'invalid_body');
    await deps.incidents.unpublish(id(req.params['id']), body.by);
    res.json({ published: false });
  });
  router.post('/admin/incidents/:id/merge', async (req, res) => {
    const body = parseInput(mergeBody, req.body ?? {}, 'body', 'invalid_body');
    await deps.incidents.merge(id(req.params['id']), body.into, body.by);
    res.json({ merged: true });
  });
  router.post('/admin/incidents/:id/split', async (req, res) => {
    const body = parseInput(splitBody, req.body ?? {}, 'body', 'invalid_body');
    const incidentId = await deps.incidents.split(id(req.params['id']), body.conversationIds, body.by);
    res.status(201).json({ incidentId });
  });

  router.post('/admin/escalations/:id/:action', async (req, res) => {
    const escalationId = id(req.params['id']);
    const action = req.params['action'];
    const body = parseInput(resolveBody, req.body ?? {}, 'body', 'invalid_body');
    const exists = await deps.store.db.selectFrom('escalations').select('status').where('id', '=', escalationId).executeTakeFirst();
    if (!exists) throw notFound('no such escalation', 'no_such_escalation');
    if (action === 'acknowledge') res.json({ changed: await deps.engine.acknowledge(escalationId, body.by, 'staff') });
    else if (action === 'resolve') res.json({ changed: await deps.engine.resolve(escalationId, body.by, 'staff', body.text ?? null) });
    else throw notFound(`no escalation action "${action}" (acknowledge, resolve)`, 'no_such_action');
  });
  return router;
}
