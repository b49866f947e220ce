import PgBoss from 'pg-boss';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { afterCommit, type Store, type Tx } from '../store/store.js';
import {
  jobCatalog,
  jobNames,
  type JobContext,
  type JobHandlers,
  type JobName,
  type JobRequest,
} from './catalog.js';
import { countQueriesAs } from '../store/query-stats.js';

const BOSS_SCHEMA = 'pgboss';
/** Jobs fetched per worker poll; they run concurrently. */
const BATCH_SIZE = 10;
/**
 * Workers' own polling, a safety net only: the due-work watch (below) wakes them. pg-boss would
 * otherwise run its fetch query per worker per interval — 11 queues of 4 to 12 workers were ~47
 * fetches a second on an idle hub, ~8% of a core on the embedded store.
 */
const WORKER_SAFETY_POLL_SECONDS = 120;
/**
 * On the embedded store the due-work watch backs off while it finds nothing due, up to this: one
 * process owns the data directory (datadir-lock.ts), so every job it could find was enqueued here
 * and woken already, except a failed job's retry and a job delayed by more than SOON_MS. Each
 * tick plans a query over every queue's partition (~6 ms on PGlite): at 0.5 s that was over 1%
 * of a core on an idle hub. Any wake sets it back to the base interval, and a failure keeps it
 * there until the retry's latest due time (pg-boss's backoff with jitter: between delay × 2^n and
 * twice that, node_modules/pg-boss/src/plans.js failJobs).
 */
const EMBEDDED_IDLE_WATCH_MAX_MS = 4_000;

/** Delayed jobs due within this are woken by a local timer when due; later ones by the due-work watch. */
const SOON_MS = 60_000;
const WAKE_SLOT_MS = 25;
const DUE_SLACK_MS = 10;

export interface QueueOptions {
  /** Workers per queue in this process (0 = enqueue only, e.g. a CLI). */
  concurrency: number;
  maintenanceIntervalSeconds: number;
  pollingIntervalSeconds?: number;
}

export interface JobCounts {
  queue: string;
  state: string;
  count: number;
}

export interface FailedJob {
  id: string;
  queue: string;
  data: unknown;
  error: string | null;
  retryCount: number;
  createdAt: Date;
  failedAt: Date | null;
}

/** Observers a caller can attach (metrics, logs) without the queue knowing about them. */
export interface QueueObserver {
  onJobDone?(name: JobName, outcome: 'completed' | 'failed', seconds: number): void;
}

/**
 * The durable queue: pg-boss on either backend. Jobs caused by a state change are inserted in the
 * same transaction as the change (`enqueueIn`), so a crash cannot separate them.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly workerIds = new Map<JobName, string[]>();
  private readonly pendingWakes = new Set<JobName>();
  private readonly nextWorker = new Map<JobName, number>();
  private wakeScheduled = false;
  /** Queues to wake at a time slot (ms since the epoch): jobs that come due shortly (wakeAt). */
  private readonly dueWakes = new Map<number, Set<JobName>>();
  private watchTimer: NodeJS.Timeout | null = null;
  private watchDelayMs = 0;
  private watchDueAt = 0;
  /** Until then the watch keeps its base interval (a failed job's retry is due by then). */
  private watchCloseUntil = 0;
  private started = false;
  private workersRunning = false;
  private lastError: Error | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly options: QueueOptions,
    private readonly observer: QueueObserver = {},
  ) {
    this.boss = new PgBoss({
      ...store.jobsConnection,
      schema: BOSS_SCHEMA,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds,
      // Cron scheduling is not used; the clock monitor would only add polling.
      schedule: false,
      // Completed jobs move to the archive after 5 minutes instead of pg-boss's 12 hours: the job
      // table stays the size of the work in hand, so fetches and the due-work watch do not slow as
      // the day goes on. Failed jobs stay for the default 12 hours, where `sync:replay` and the
      // dashboard find them.
      archiveCompletedAfterSeconds: 300,
      archiveFailedAfterSeconds: 12 * 3600,
    } as PgBoss.ConstructorOptions);
    this.boss.on('error', (error: Error) => {
      this.lastError = error;
      this.log.error({ err: error }, 'job queue error');
    });
  }

  /** Creates pg-boss's schema and our queues (idempotent), then starts workers if any. */
  async start(handlers: JobHandlers | null): Promise<void> {
    await this.boss.start();
    this.started = true;
    // pg-boss's fetch takes a queue's next jobs in (priority DESC, created_on, id) order
    // (plans.js fetchNextJob), which its own index (name, start_after) cannot give: every fetch
    // read and sorted the whole due backlog (9–20 ms per fetch of 10 at a few thousand waiting on
    // the embedded store, a quarter of its time under chat load — the cost grew with the backlog
    // it was meant to drain). This index hands the planner that order, so a fetch reads about as
    // many rows as it takes; with few jobs due it can still use pg-boss's. On the partitioned job
    // table it is made on every queue's partition, present and future.
    await sql`CREATE INDEX IF NOT EXISTS hub_job_fetch_order ON ${sql.table(`${BOSS_SCHEMA}.job`)} (name, priority DESC, created_on, id) WHERE state < 'active'`.execute(this.store.db);
    for (const name of jobNames) {
      const spec = jobCatalog[name];
      const policy = {
        retryLimit: spec.retryLimit,
        retryDelay: spec.retryDelaySeconds,
        retryBackoff: spec.backoff ?? true,
        expireInSeconds: spec.expireInSeconds,
      };
      if (await this.boss.getQueue(name)) await this.boss.updateQueue(name, { name, ...policy });
      else await this.boss.createQueue(name, { name, policy: spec.policy ?? 'standard', ...policy });
    }
    if (handlers && this.options.concurrency > 0) {
      for (const name of jobNames) await this.startWorkers(name, handlers);
      this.workersRunning = true;
      this.watchDueWork();
    }
  }

  /**
   * The due-work watch: one read-only query per interval for the whole process — which queues
   * have a job ready to fetch (the same predicate as pg-boss's fetch) — and a wake for each of
   * them. It finds what a local wake() cannot: jobs other processes enqueued, retries and delayed
   * jobs coming due. While a queue stays due (its woken worker was busy), the next tick wakes its
   * next worker, so nothing waits for the workers' slow safety polling.
   */
  private watchDueWork(): void {
    this.watchDelayMs = this.watchBaseMs();
    this.scheduleWatch(this.watchDelayMs);
  }

  /** One tick: the next is scheduled only when this one is done, so two never overlap. */
  private async watchOnce(): Promise<void> {
    this.watchTimer = null;
    if (!this.workersRunning) return;
    let found = true;
    try {
      const due = await sql<{ name: string }>`
        SELECT DISTINCT name FROM ${sql.table(`${BOSS_SCHEMA}.job`)}
        WHERE state < 'active' AND start_after < now()`.execute(this.store.db);
      found = due.rows.length > 0;
      this.wake(due.rows.map((row) => row.name).filter((name): name is JobName => name in jobCatalog));
    } catch (error) {
      if (this.workersRunning) this.log.warn({ err: error }, 'job queue: the due-work check failed; workers fall back to their own polling');
    }
    if (!this.workersRunning) return;
    // A wake during the query already set the delay back to the base.
    if (this.store.backend === 'pglite' && !found && Date.now() > this.watchCloseUntil) this.watchDelayMs = Math.min(EMBEDDED_IDLE_WATCH_MAX_MS, this.watchDelayMs * 2);
    this.scheduleWatch(this.watchDelayMs);
  }

  /** The due-work watch's current interval in ms (longer while an embedded store's hub is idle). */
  get dueWatchIntervalMs(): number {
    return this.watchDelayMs;
  }

  private watchBaseMs(): number {
    return (this.options.pollingIntervalSeconds ?? 0.5) * 1000;
  }

  private scheduleWatch(delayMs: number): void {
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watchDueAt = Date.now() + delayMs;
    this.watchTimer = setTimeout(() => void this.watchOnce(), delayMs);
    this.watchTimer.unref();
  }

  /** Work is moving (a wake, a failure): the watch goes back to its base interval (and keeps it until `untilMs`). */
  private watchClosely(untilMs = 0): void {
    if (untilMs > this.watchCloseUntil) this.watchCloseUntil = untilMs;
    const baseMs = this.watchBaseMs();
    if (this.watchDelayMs <= baseMs) return;
    this.watchDelayMs = baseMs;
    if (this.watchTimer && this.watchDueAt > Date.now() + baseMs) this.scheduleWatch(baseMs);
  }

  /** Enqueue inside the caller's transaction (the transactional outbox). */
  async enqueueIn(tx: Tx, requests: readonly JobRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const jobs = requests.map((request) => {
      const data = jobCatalog[request.name].schema.parse(request.data);
      return {
        name: request.name,
        data,
        ...(request.startAfter ? { startAfter: request.startAfter.toISOString() } : {}),
        ...(request.singletonKey ? { singletonKey: request.singletonKey } : {}),
      };
    });
    await this.boss.insert(jobs as PgBoss.JobInsert[], { db: this.store.jobsDbFor(tx) as PgBoss.Db });
    // Every queue written to is woken once the caller's transaction commits — a caller cannot
    // forget one (a reply's settle and escalation jobs once waited for the due-work watch). A job
    // due shortly is woken when it comes due (a sync push's coalescing window), not at the next
    // tick of the watch, which would add up to its interval to the wait.
    afterCommit(tx, () => {
      const now = Date.now();
      const dueNow: JobName[] = [];
      for (const request of requests) {
        const wait = request.startAfter ? request.startAfter.getTime() - now : 0;
        if (wait <= 0) dueNow.push(request.name);
        else if (wait <= SOON_MS) this.wakeAt(request.name, request.startAfter!.getTime());
      }
      this.wake(dueNow);
    });
  }

  /**
   * Wakes a queue's worker when a job comes due (plus a little, so the database's clock agrees).
   * Timers are shared per 25 ms slot: a burst of delayed jobs costs a handful of timers.
   */
  private wakeAt(name: JobName, dueAt: number): void {
    const slot = Math.ceil((dueAt + DUE_SLACK_MS) / WAKE_SLOT_MS) * WAKE_SLOT_MS;
    const names = this.dueWakes.get(slot);
    if (names) {
      names.add(name);
      return;
    }
    this.dueWakes.set(slot, new Set([name]));
    setTimeout(() => {
      const due = this.dueWakes.get(slot);
      this.dueWakes.delete(slot);
      if (due && this.workersRunning) this.wake(due);
    }, Math.max(0, slot - Date.now())).unref();
  }

  /** Enqueue on its own (no surrounding state change). */
  async enqueue(requests: readonly JobRequest[]): Promise<void> {
    await this.store.transaction((tx) => this.enqueueIn(tx, requests));
  }

  /**
   * After a commit that enqueued work: wake one of this process's workers per queue instead of
   * waiting for its next poll. Wakes within one tick are coalesced, so a burst of commits costs one
   * fetch (of up to a batch) rather than one per worker per commit. (Other processes find the jobs
   * at their next poll.)
   */
  wake(names: Iterable<JobName>): void {
    for (const name of names) this.pendingWakes.add(name);
    if (this.pendingWakes.size > 0) this.watchClosely();
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      for (const name of this.pendingWakes) {
        const ids = this.workerIds.get(name) ?? [];
        const next = (this.nextWorker.get(name) ?? 0) % Math.max(1, ids.length);
        this.nextWorker.set(name, next + 1);
        if (ids[next]) this.boss.notifyWorker(ids[next]);
      }
      this.pendingWakes.clear();
    });
  }

  private async startWorkers(name: JobName, handlers: JobHandlers): Promise<void> {
    const ids: string[] = [];
    const oneAtATime = jobCatalog[name].oneAtATime;
    const workers = oneAtATime ? Math.max(oneAtATime.workers, this.options.concurrency) : this.options.concurrency;
    const batchSize = oneAtATime ? 1 : BATCH_SIZE;
    // Workers are woken rather than polling (WORKER_SAFETY_POLL_SECONDS): by wake() after a local
    // commit (round-robin), by the due-work watch, and by a sibling that fetched a full batch (a
    // backlog fans out across the workers at once).
    for (let i = 0; i < workers; i++) {
      let id = '';
      id = await this.boss.work(
        name,
        { batchSize, includeMetadata: true, pollingIntervalSeconds: Math.max(WORKER_SAFETY_POLL_SECONDS, this.options.pollingIntervalSeconds ?? 0) },
        async (jobs: PgBoss.Job<unknown>[]) => {
          await countQueriesAs(`job:${name}`, () => this.runBatch(name, jobs, handlers));
          if (jobs.length === batchSize) {
            // More are probably waiting: fetch again without the pause, and bring in a sibling.
            this.boss.notifyWorker(id);
            const sibling = ids[(i + 1) % ids.length];
            if (sibling && sibling !== id) this.boss.notifyWorker(sibling);
          }
        },
      );
      ids.push(id);
    }
    this.workerIds.set(name, ids);
  }

  /**
   * Runs a fetched batch — each job concurrently, or all at once through a batch handler — and
   * settles each job by itself, so one failure does not fail its neighbours. Nothing is thrown
   * back to pg-boss (its own batch completion is then a no-op).
   */
  private async runBatch(name: JobName, jobs: PgBoss.Job<unknown>[], handlers: JobHandlers): Promise<void> {
    const handler = handlers[name] as
      | ((payload: unknown, context: JobContext) => Promise<void>)
      | { batch(jobs: { payload: unknown; context: JobContext }[]): Promise<(Error | null)[]> };
    const spec = jobCatalog[name];
    const started = performance.now();
    const outcomes = new Map<string, Error | null>();
    const valid: { job: PgBoss.Job<unknown>; payload: unknown; context: JobContext }[] = [];
    for (const job of jobs) {
      const parsed = spec.schema.safeParse(job.data);
      const retryCount = retryCountOf(job);
      if (parsed.success) valid.push({ job, payload: parsed.data, context: { jobId: job.id, name, retryCount } });
      else outcomes.set(job.id, new Error(`payload does not match the ${name} schema: ${parsed.error.message}`));
    }
    if (typeof handler === 'function') {
      await Promise.all(
        valid.map(async ({ job, payload, context }) => {
          try {
            await handler(payload, context);
            outcomes.set(job.id, null);
          } catch (error) {
            outcomes.set(job.id, error as Error);
          }
        }),
      );
    } else if (valid.length > 0) {
      try {
        const results = await handler.batch(valid.map(({ payload, context }) => ({ payload, context })));
        valid.forEach(({ job }, i) => outcomes.set(job.id, results[i] ?? null));
      } catch (error) {
        for (const { job } of valid) outcomes.set(job.id, error as Error);
      }
    }
    const seconds = (performance.now() - started) / 1000 / Math.max(1, jobs.length);
    const completed: string[] = [];
    for (const job of jobs) {
      const error = outcomes.get(job.id);
      if (!error) {
        completed.push(job.id);
        this.observer.onJobDone?.(name, 'completed', seconds);
        continue;
      }
      this.log.warn({ err: error, job: { id: job.id, name } }, 'job failed; it will be retried while retries remain');
      this.observer.onJobDone?.(name, 'failed', seconds);
      // Its retry comes due later: the watch finds it, and must be looking by then.
      this.watchClosely(Date.now() + latestRetryDelayMs(spec, retryCountOf(job)));
      await this.boss
        .fail(name, job.id, { message: error.message })
        .catch((failError: Error) => this.log.error({ err: failError }, 'could not record job failure'));
    }
    if (completed.length > 0) await this.boss.complete(name, completed);
  }

  isRunning(): boolean {
    return this.started && (this.workersRunning || this.options.concurrency === 0);
  }

  health(): { running: boolean; lastError: string | null } {
    return { running: this.isRunning(), lastError: this.lastError?.message ?? null };
  }

  async counts(): Promise<JobCounts[]> {
    const result = await sql<JobCounts>`
      SELECT name AS queue, state::text AS state, count(*)::int AS count
      FROM ${sql.table(`${BOSS_SCHEMA}.job`)}
      WHERE name NOT LIKE '\\_\\_%'
      GROUP BY name, state`.execute(this.store.db);
    return result.rows;
  }

  async listFailed(queue?: string, limit = 100): Promise<FailedJob[]> {
    const result = await sql<{
      id: string;
      name: string;
      data: unknown;
      output: { message?: string; value?: { message?: string } } | null;
      retry_count: number;
      created_on: Date;
      completed_on: Date | null;
    }>`
      SELECT id, name, data, output, retry_count, created_on, completed_on FROM (
        SELECT id, name, data, output, retry_count, created_on, completed_on, state FROM ${sql.table(`${BOSS_SCHEMA}.job`)}
        UNION ALL
        SELECT id, name, data, output, retry_count, created_on, completed_on, state FROM ${sql.table(`${BOSS_SCHEMA}.archive`)}
      ) jobs
      WHERE state = 'failed' ${queue ? sql`AND name = ${queue}` : sql``}
      ORDER BY completed_on DESC NULLS LAST
      LIMIT ${limit}`.execute(this.store.db);
    return result.rows.map((row) => ({
      id: row.id,
      queue: row.name,
      data: row.data,
      error: row.output?.message ?? row.output?.value?.message ?? null,
      retryCount: row.retry_count,
      createdAt: row.created_on,
      failedAt: row.completed_on,
    }));
  }

  /** Puts a failed job back in the queue (it runs again with a fresh retry budget). */
  async retry(queue: JobName, id: string): Promise<boolean> {
    const result = (await this.boss.retry(queue, id)) as { affected?: number } | undefined;
    this.wake([queue]);
    return (result?.affected ?? 0) > 0;
  }

  /**
   * Stops fetching, lets running jobs finish within `timeoutMs`, then hands back what is still
   * running (marked failed, so it is retried) instead of leaving it to expire.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.workersRunning = false;
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watchTimer = null;
    await this.boss.stop({ graceful: true, timeout: timeoutMs, close: true, wait: true });
  }
}

const retryCountOf = (job: PgBoss.Job<unknown>): number => (job as PgBoss.Job<unknown> & { retryCount?: number }).retryCount ?? 0;

/** The longest pg-boss may set a failed job's retry off by (plans.js failJobs: backoff doubles, jitter up to 2×). */
function latestRetryDelayMs(spec: { retryDelaySeconds: number; backoff?: boolean }, retryCount: number): number {
  const seconds = spec.backoff === false ? spec.retryDelaySeconds : spec.retryDelaySeconds * 2 ** Math.min(16, retryCount + 1);
  return seconds * 1000 + 1000;
}
