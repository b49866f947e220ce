import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobCounts } from '../jobs/queue.js';

export interface PromiseCounts {
  level: string;
  /** The team whose time was promised (src/team/teams.ts). */
  team: string;
  kept: number;
  broken: number;
}

/** Kept and broken summed by one label (level or team). */
function sumBy(rows: PromiseCounts[], key: 'level' | 'team'): Map<string, { kept: number; broken: number }> {
  const sums = new Map<string, { kept: number; broken: number }>();
  for (const row of rows) {
    const sum = sums.get(row[key]) ?? { kept: 0, broken: 0 };
    sum.kept += row.kept;
    sum.broken += row.broken;
    sums.set(row[key], sum);
  }
  return sums;
}

export interface BannerCounts {
  views: number;
  wrote: number;
  avoided: number;
}

/**
 * One answer of `load` per second, shared by the gauges that read it in one scrape; a failure
 * answers `fallback` (a scrape while the database is unreachable still answers).
 */
function sharedForASecond<T>(load: () => Promise<T>, fallback: T): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), value: load().catch(() => fallback) };
    return last.value;
  };
}

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
  readonly vendorRateLimits = new Counter({
    name: 'hub_vendor_rate_limited_total',
    help: 'Vendor 429 answers, by integration (each pauses every process for the full Retry-After)',
    labelNames: ['integration'] as const,
    registers: [this.registry],
  });
  readonly vendorRateLimitWait = new Counter({
    name: 'hub_vendor_rate_limited_wait_seconds_total',
    help: 'Seconds of Retry-After the vendors imposed, by integration',
    labelNames: ['integration'] as const,
    registers: [this.registry],
  });
  readonly acknowledgements = new Counter({
    name: 'hub_acknowledgements_total',
    help: 'Acknowledgements of new conversations: sent, or skipped (auto-reply, agent already replied, sender limit, …)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly escalationTargets = new Counter({
    name: 'hub_escalation_target_calls_total',
    help: 'Escalation steps at each target: opened, failed for good, or retry (vendor unavailable)',
    labelNames: ['target', 'outcome'] as const,
    registers: [this.registry],
  });
  private jobCounts: (() => Promise<JobCounts[]>) | null = null;
  private promises: (() => Promise<PromiseCounts[]>) | null = null;
  private banner: (() => Promise<BannerCounts>) | null = null;

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
    // Judged promises only: kept (first reply in time) or broken (late, or unanswered past due).
    // All four gauges below read one query per scrape: the answer is shared for a second.
    const judged = sharedForASecond(() => metrics.promises?.() ?? Promise.resolve([]), [] as PromiseCounts[]);
    const promiseGauges = (by: 'level' | 'team', counts: { name: string; help: string }, ratio: { name: string; help: string }) => {
      new Gauge({
        ...counts,
        labelNames: [by, 'outcome'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const [key, row] of sumBy(await judged(), by)) {
            this.set({ [by]: key, outcome: 'kept' }, row.kept);
            this.set({ [by]: key, outcome: 'broken' }, row.broken);
          }
        },
      });
      new Gauge({
        ...ratio,
        labelNames: [by] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const [key, row] of sumBy(await judged(), by)) if (row.kept + row.broken > 0) this.set({ [by]: key }, row.kept / (row.kept + row.broken));
        },
      });
    };
    promiseGauges(
      'level',
      { name: 'hub_acknowledgement_promises', help: 'First-reply promises made in acknowledgements, by urgency level and outcome (kept, broken)' },
      { name: 'hub_acknowledgement_promises_kept_ratio', help: 'Share of judged first-reply promises that were kept, by urgency level' },
    );
    promiseGauges(
      'team',
      { name: 'hub_team_promises', help: 'First-reply promises made in acknowledgements, by the team whose time was promised and outcome (kept, broken)' },
      { name: 'hub_team_promises_kept_ratio', help: 'Share of judged first-reply promises that were kept, by the team whose time was promised' },
    );
    // The status banner's three figures come from one query per scrape, shared the same way.
    const banner = sharedForASecond(() => metrics.banner?.() ?? Promise.resolve(null), null as BannerCounts | null);
    const bannerGauge = (name: string, help: string, pick: (c: BannerCounts) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const counts = await banner();
          if (counts) this.set(pick(counts));
        },
      });
    bannerGauge('hub_incident_banner_views', 'Contacts whose widget showed an incident banner (once per incident and contact)', (c) => c.views);
    bannerGauge('hub_incident_banner_wrote', 'Contacts who saw an incident banner and wrote in anyway while it was up', (c) => c.wrote);
    bannerGauge('hub_incident_contacts_avoided', 'Contacts who saw an incident banner and did not write before the incident was resolved', (c) => c.avoided);
  }

  bannerFrom(source: () => Promise<BannerCounts>): void {
    this.banner = source;
  }

  promisesFrom(source: () => Promise<PromiseCounts[]>): void {
    this.promises = source;
  }

  countJobsWith(source: () => Promise<JobCounts[]>): void {
    this.jobCounts = source;
  }
}
