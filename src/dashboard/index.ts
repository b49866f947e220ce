import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { notFound } from '../errors.js';
import type { Logger } from 'pino';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { HubConfig } from '../config.js';
import type { EventBus } from '../conversations/events.js';
import type { CardService } from '../sidebar/card-service.js';
import type { Store } from '../store/store.js';
import type { HelpdeskSync } from '../sync/index.js';
import type { JobQueue } from '../jobs/queue.js';
import type { TriageResponse } from '../triage/index.js';
import { StaffSessions } from './auth/sessions.js';
import { LiveFeed } from './live.js';
import { loginRouter } from './routes/login.js';
import { accountRoutes } from './routes/accounts.js';
import type { HubMetrics } from '../ops/metrics.js';
import { reportRoutes } from './routes/reports.js';
import { privacyRoutes } from './routes/privacy.js';
import type { PrivacyService } from '../privacy/index.js';
import { triageRoutes } from './routes/triage.js';
import { dashboardErrors, loadSession, requireCsrf, requirePermission, requireStaff, securityHeaders } from './web.js';

const ASSETS = fileURLToPath(new URL('../../views/dashboard/assets/', import.meta.url));

export interface DashboardDeps {
  store: Store;
  bus: EventBus;
  log: Logger;
  config: HubConfig;
  secretPaths: readonly string[][];
  registry: IntegrationRegistry;
  sync: HelpdeskSync;
  triage: TriageResponse;
  queue: JobQueue;
  cards: CardService;
  metrics: HubMetrics;
  clock: () => Date;
  /** Data requests: find, export, erase one person (src/privacy). */
  privacy: PrivacyService;
  /** The install's log pseudonym key: the audit log names a person by it. */
  pseudonymKey: Buffer;
}

export interface Dashboard {
  router: Router;
  sessions: StaffSessions;
  close(): void;
}

/**
 * The staff dashboard under /dashboard (ARCHITECTURE §1, "Dashboard"): server-rendered pages whose
 * actions are plain forms (they work without JavaScript); one small script adds live updates.
 * Order matters: assets and the login page are public; everything after `requireStaff` needs a
 * session, every POST a CSRF token, and each action its role.
 */
export function createDashboard(deps: DashboardDeps): Dashboard {
  const { config, store } = deps;
  const sessions = new StaffSessions(store, config.dashboard);
  const live = new LiveFeed({ store, bus: deps.bus, log: deps.log });
  const sweep = setInterval(() => void sessions.sweep().catch(() => {}), 15 * 60_000);
  sweep.unref();

  const router = Router();
  // Someone opening the hub's address in a browser is most likely staff.
  router.get('/', (_req, res) => res.redirect(303, '/dashboard'));
  router.use('/dashboard', securityHeaders);
  router.use('/dashboard/assets', express.static(ASSETS, { index: false, maxAge: '1h', fallthrough: false }));
  router.use('/dashboard', express.urlencoded({ extended: true, limit: config.http.bodyLimitBytes, parameterLimit: 2000 }), loadSession(sessions));
  router.use(loginRouter({ store, sessions, config: config.dashboard }));
  router.use('/dashboard', requireStaff, requirePermission('read'), requireCsrf);
  router.get('/dashboard/events', (_req, res) => live.add(res));
  router.use(
    triageRoutes({
      store,
      queue: deps.queue,
      engine: deps.triage.engine,
      incidents: deps.triage.incidents,
      acknowledger: deps.triage.acknowledger,
      cards: deps.cards,
      jobsOnTriage: (id) => deps.sync.jobsOnTriage(id),
      teamTimeZone: config.team.timeZone,
      clock: deps.clock,
    }),
  );
  router.use(accountRoutes({ store, teamTimeZone: config.team.timeZone }));
  router.use(privacyRoutes({ store, privacy: deps.privacy, pseudonymKey: deps.pseudonymKey, teamTimeZone: config.team.timeZone }));
  router.use(reportRoutes({ store, config, secretPaths: deps.secretPaths, registry: deps.registry, sync: deps.sync, metrics: deps.metrics, teamTimeZone: config.team.timeZone, teams: deps.triage.teams, clock: deps.clock }));
  router.use('/dashboard', (req, _res, next) => next(notFound(`There is no page at ${req.baseUrl}${req.path}.`)));
  router.use('/dashboard', dashboardErrors);
  return {
    router,
    sessions,
    close() {
      clearInterval(sweep);
      live.close();
    },
  };
}
