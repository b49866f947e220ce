import type { HubMetrics } from '../ops/metrics.js';
import type { RequestObserver } from './request-context.js';

/**
 * Times every finished request (given to requestContext, which already listens for the end of
 * each one); the route label is the matched route pattern, never the raw URL.
 */
export function httpMetrics(metrics: HubMetrics): RequestObserver {
  // One labelled child per (method, route, status): prom-client would otherwise hash the label
  // object on every request. Routes are patterns and statuses few, so the map stays small.
  const children = new Map<string, { observe(value: number): void }>();
  return (req, res, seconds) => {
    const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
    const method = req.method;
    const status = String(res.statusCode);
    const key = `${method} ${route} ${status}`;
    let found = children.get(key);
    if (!found) children.set(key, (found = metrics.httpDuration.labels({ method, route, status })));
    found.observe(seconds);
  };
}
