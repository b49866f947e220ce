import { Router } from 'express';
import { sql } from 'kysely';
import type { EventBus } from '../conversations/events.js';
import type { JobQueue } from '../jobs/queue.js';
import { bearerToken, secretsEqual } from '../http/bearer.js';
import { migrationStatus } from '../store/migrate.js';
import type { Store } from '../store/store.js';
import type { HubMetrics } from './metrics.js';

interface Check {
  ok: boolean;
  detail: string;
}

export interface HealthDeps {
  store: Store;
  queue: JobQueue;
  bus: EventBus;
  metrics: HubMetrics;
  shuttingDown: () => boolean;
  /** Helpdesk integrations' sync state; a paused one ("needs re-auth") is reported, not made unready. */
  integrations?: () => Promise<Record<string, { status: string; reason?: string; since?: Date }>>;
  /** When set, `/metrics` and `/readyz`'s integration details need `Authorization: Bearer <it>`. */
  opsToken?: string;
}

const DATABASE_TIMEOUT_MS = 2000;

/**
 * `/healthz`: the process answers. `/readyz`: it can do its work — database reachable, migrations
 * applied, job workers running, cross-process events connected — else 503 with the reasons, so a
 * load balancer stops sending traffic. `/metrics`: Prometheus text.
 */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const mayRead = (header: string | undefined) => {
    if (!deps.opsToken) return true;
    const given = bearerToken(header);
    return given !== null && secretsEqual(given, deps.opsToken);
  };

  router.get('/readyz', async (req, res) => {
    const checks: Record<string, Check> = {};
    checks['database'] = await withTimeout(
      sql`SELECT 1`.execute(deps.store.db).then(() => ({ ok: true, detail: deps.store.backend })),
      DATABASE_TIMEOUT_MS,
      `no answer within ${DATABASE_TIMEOUT_MS} ms`,
    );
    if (checks['database'].ok) {
      const status = await migrationStatus(deps.store);
      checks['migrations'] = {
        ok: status.current >= status.latest,
        detail: `schema version ${status.current}, code expects ${status.latest}`,
      };
    }
    const jobs = deps.queue.health();
    checks['jobs'] = { ok: jobs.running, detail: jobs.running ? 'workers running' : `workers stopped${jobs.lastError ? `: ${jobs.lastError}` : ''}` };
    checks['events'] = { ok: deps.bus.connected(), detail: deps.bus.connected() ? 'connected' : 'LISTEN connection down; reconnecting' };
    if (deps.shuttingDown()) checks['process'] = { ok: false, detail: 'shutting down' };
    const ready = Object.values(checks).every((c) => c.ok);
    // Another process serving traffic would not fix a revoked vendor token, so a paused
    // integration does not make the hub unready; it is shown for operators and `npm run doctor`.
    // Integration states can name a vendor's refusal: behind the ops token when one is set.
    const integrations = checks['database'].ok && deps.integrations && mayRead(req.get('authorization')) ? await deps.integrations().catch(() => ({})) : {};
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks, integrations });
  });

  router.get('/metrics', async (req, res) => {
    if (!mayRead(req.get('authorization'))) {
      res.set('WWW-Authenticate', 'Bearer').status(401).type('text/plain').send('metrics need HUB_OPS_TOKEN as a bearer token\n');
      return;
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}

async function withTimeout(work: Promise<Check>, ms: number, onTimeout: string): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Check>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: onTimeout }), ms);
  });
  try {
    return await Promise.race([work.catch((error: Error) => ({ ok: false, detail: error.message })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
