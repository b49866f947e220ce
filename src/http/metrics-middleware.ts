import type { RequestHandler } from 'express';
import type { HubMetrics } from '../ops/metrics.js';

/** Times every request; the route label is the matched route pattern, never the raw URL. */
export function httpMetrics(metrics: HubMetrics): RequestHandler {
  // One labelled child per (method, route, status): prom-client would otherwise hash the label
  // object on every request. Routes are patterns and statuses few, so the map stays small.
  const children = new Map<string, { observe(value: number): void }>();
  const child = (method: string, route: string, status: string) => {
    const key = `${method} ${route} ${status}`;
    let found = children.get(key);
    if (!found) children.set(key, (found = metrics.httpDuration.labels({ method, route, status })));
    return found;
  };
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      child(req.method, route, String(res.statusCode)).observe(seconds);
    });
    next();
  };
}
