import { randomUUID } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { forbidden, notFound, parseInput, unauthorized } from '../errors.js';
import { changeStaffUser, listStaffUsers, saveStaffUser, staffChangeInput, staffUserInput } from '../dashboard/staff-users.js';
import { bearerToken, secretsEqual } from '../http/bearer.js';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import { jobNames } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import { privacyAdminRoutes } from '../privacy/admin-routes.js';
import type { PrivacyService } from '../privacy/index.js';

export interface AdminDeps {
  token: string | undefined;
  store: Store;
  queue: JobQueue;
  registry: IntegrationRegistry;
  /** Helpdesk sync: replay of its failed jobs and a forced reconciliation round. */
  syncReplay?: () => Promise<{ retried: number; requeued: number }>;
  /** Find, export and erase one person (`npm run privacy:*` while a hub holds the store). */
  privacy?: PrivacyService;
}

const retryBody = z.object({ queue: z.enum(jobNames as [string, ...string[]]), id: z.uuid() });

/**
 * The operator API (bearer `HUB_ADMIN_TOKEN`): integration status, failed jobs and their replay,
 * and an end-to-end probe of the job workers. Over HTTP because on the embedded store the running
 * hub holds the data directory, so a second process cannot open it.
 */
/** Bearer `HUB_ADMIN_TOKEN` in front of every operator route (403 while the token is unset). */
export function adminAuth(expected: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (!expected) throw forbidden('the admin API is disabled; set HUB_ADMIN_TOKEN to enable it', 'admin_disabled');
    const token = bearerToken(req.get('authorization'));
    if (!token || !secretsEqual(token, expected)) throw unauthorized('a valid admin bearer token is required');
    next();
  };
}

export function adminRouter(deps: AdminDeps): Router {
  const router = Router();
  router.use('/admin', adminAuth(deps.token));

  router.get('/admin/integrations', (_req, res) => {
    res.json({ integrations: deps.registry.status() });
  });

  router.get('/admin/jobs/failed', async (req, res) => {
    const queue = typeof req.query['queue'] === 'string' ? req.query['queue'] : undefined;
    res.json({ jobs: await deps.queue.listFailed(queue) });
  });

  router.post('/admin/jobs/retry', async (req, res) => {
    const { queue, id } = retryBody.parse(req.body ?? {});
    const retried = await deps.queue.retry(queue as (typeof jobNames)[number], id);
    if (!retried) throw notFound(`no failed ${queue} job ${id}`, 'job_not_found');
    res.json({ retried: true });
  });

  // `npm run sync:replay`: every failed sync job back in the queue, every conversation with work
  // left queued again, and a reconciliation round now (agent replies whose webhook never came).
  router.post('/admin/sync/replay', async (_req, res) => {
    if (!deps.syncReplay) throw notFound('helpdesk sync is not running in this hub', 'sync_disabled');
    res.json(await deps.syncReplay());
  });

  // `npm run user:create` while a hub holds the embedded store: the account is made through it.
  router.post('/admin/staff', async (req, res) => {
    const result = await saveStaffUser(deps.store, parseInput(staffUserInput, req.body ?? {}, 'body', 'invalid_staff_user'), 'admin-api');
    res.status(result.created ? 201 : 200).json(result);
  });

  // `npm run users -- list|disable|enable|role` while a hub holds the embedded store.
  router.get('/admin/staff', async (_req, res) => {
    res.json({ accounts: await listStaffUsers(deps.store) });
  });

  router.post('/admin/staff/change', async (req, res) => {
    res.json({ account: await changeStaffUser(deps.store, parseInput(staffChangeInput, req.body ?? {}, 'body', 'invalid_staff_change'), { id: null, email: 'admin-api', ip: req.ip }) });
  });

  router.post('/admin/probe', async (_req, res) => {
    const probeId = randomUUID();
    await deps.queue.enqueue([{ name: 'ops.probe', data: { probeId } }]);
    res.status(202).json({ probeId });
  });

  router.get('/admin/probe/:probeId', async (req, res) => {
    const rows = await deps.store.db
      .selectFrom('ops_probes')
      .select(['handled_by', 'created_at'])
      .where('probe_id', '=', req.params['probeId']!)
      .execute();
    res.json({ handled: rows.length > 0, handledBy: rows[0]?.handled_by ?? null, at: rows[0]?.created_at ?? null });
  });
  if (deps.privacy) router.use(privacyAdminRoutes(deps.privacy));
  return router;
}
