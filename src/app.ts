import express, { type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { errorHandler, notFoundHandler } from './http/errors.js';
import { httpMetrics } from './http/metrics-middleware.js';
import { requestContext } from './http/request-context.js';
import type { HubMetrics } from './ops/metrics.js';
import { queryStats } from './store/query-stats.js';

export interface AppParts {
  log: Logger;
  metrics: HubMetrics;
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** Routers that verify signatures over the raw bytes: mounted before any JSON parser runs. */
  rawBodyRouters: Router[];
  /** Ordinary JSON routers (health, admin, capability APIs). */
  routers: Router[];
}

/**
 * helmet's default headers, worked out once: they depend on nothing in the request, and helmet's
 * thirteen nested middlewares per request were a measurable share of the cheapest routes.
 */
function securityHeaders(): express.RequestHandler {
  const headers: [string, string][] = [];
  const removed: string[] = [];
  const probe = {
    setHeader: (name: string, value: unknown) => void headers.push([name, String(value)]),
    removeHeader: (name: string) => void removed.push(name),
  };
  helmet()({} as never, probe as never, () => {});
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** Builds the Express app from the capability routers. */
export function buildApp(parts: AppParts): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parts.trustProxy);
  // Browsers ask every origin for /favicon.ico; the hub has none. 204 before request logging, so
  // opening the dashboard or the widget demo does not log a 404 warning each time.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  // HUB_QUERY_STATS_FILE: a request's queries count as `request` (src/store/query-stats.ts).
  if (queryStats) app.use((_req, _res, next) => queryStats!.within('request', next));
  app.use(requestContext(parts.log, httpMetrics(parts.metrics)));
  app.use(securityHeaders());
  for (const router of parts.rawBodyRouters) app.use(router);
  app.use(express.json({ limit: parts.bodyLimitBytes, type: ['application/json', 'application/*+json'] }));
  for (const router of parts.routers) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
