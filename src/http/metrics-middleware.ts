import type { RequestHandler } from 'express';
import type { HubMetrics } from '../ops/metrics.js';

/** Times every request; the route label is the matched route pattern, never the raw URL. */
export function httpMetrics(metrics: HubMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
    });
    next();
  };
}
