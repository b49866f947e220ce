import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobCounts } from '../jobs/queue.js';

/** Prometheus metrics of one hub (its own registry, so tests can run several hubs in a process). */
export class HubMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'hub_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly messagesIngested = new Counter({
    name: 'hub_messages_ingested_total',
    help: 'Customer messages stored by ingest(), by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  readonly jobRuns = new Histogram({
    name: 'hub_job_run_duration_seconds',
    help: 'Job handler duration by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly vendorCalls = new Counter({
    name: 'hub_vendor_requests_total',
    help: 'Requests to vendor APIs (helpdesks) by integration and response status (none = no response)',
    labelNames: ['integration', 'status'] as const,
    registers: [this.registry],
  });
  private jobCounts: (() => Promise<JobCounts[]>) | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    new Gauge({
      name: 'hub_jobs',
      help: 'Jobs in the durable queue by queue and state',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        if (!metrics.jobCounts) return;
        this.reset();
        try {
          for (const row of await metrics.jobCounts()) this.set({ queue: row.queue, state: row.state }, row.count);
        } catch {
          // A scrape while the database is unreachable still answers; /readyz reports the outage.
        }
      },
    });
  }

  countJobsWith(source: () => Promise<JobCounts[]>): void {
    this.jobCounts = source;
  }
}
