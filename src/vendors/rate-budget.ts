import { sql } from 'kysely';
import type { Store } from '../store/store.js';
import { budgetUseOf } from './budget-use.js';
import { VendorError } from './error.js';

/** A vendor limit: `limit` request units per `windowSeconds` (Help Scout: 400/60 s, writes cost 2). */
export interface RateLimitSpec {
  limit: number;
  windowSeconds: number;
}

/** Parses "400/60" (units per seconds), the form the *_RATE_LIMIT settings take. */
export function parseRateLimit(text: string): RateLimitSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*s?\s*$/.exec(text);
  if (!match) throw new Error(`rate limit "${text}" must look like 400/60 (requests per seconds)`);
  const limit = Number(match[1]);
  const windowSeconds = Number(match[2]);
  if (limit < 1 || windowSeconds <= 0) throw new Error(`rate limit "${text}" must be positive`);
  return { limit, windowSeconds };
}

/**
 * Bucket shape that never exceeds `limit` in any window of `windowSeconds` — the vendor counts in
 * windows we cannot see the edges of, so a full-rate bucket with a burst would overshoot. In any
 * interval W (plus `jitterSeconds` of skew between taking a token and the vendor counting the
 * request) a bucket hands out at most capacity + rate·(W + jitter); both are chosen so that stays
 * ≤ limit while the sustained rate is `share` of the limit.
 *
 * The skew is not only the network: the token is taken in the database, then the process fetches
 * credentials and sends, and a busy process (or one of several on a loaded host) can take a few
 * hundred milliseconds over that. Half a second is allowed — under 1% of a per-minute limit — but
 * never more than a tenth of the window, which a per-second limit (Stripe's) could not afford.
 */
export function bucketShape(spec: RateLimitSpec, maxCost: number, share = 0.92, jitterSeconds = Math.min(0.5, spec.windowSeconds / 10)) {
  let rate = (share * spec.limit) / spec.windowSeconds;
  let capacity = spec.limit - rate * (spec.windowSeconds + jitterSeconds);
  if (capacity < maxCost) {
    // Tiny windows: keep one request's worth of burst and give up a little sustained rate.
    capacity = maxCost;
    rate = (spec.limit - capacity) / (spec.windowSeconds + jitterSeconds);
  }
  return { capacity, ratePerSecond: rate, limitPerMinute: (spec.limit * 60) / spec.windowSeconds };
}

export interface BucketSpec {
  key: string;
  capacity: number;
  ratePerSecond: number;
  /** The vendor's limit this bucket keeps under, per minute (shown on the Integrations page). */
  limitPerMinute?: number;
}

/**
 * Token buckets kept in the database (`rate_buckets`), so every hub process on one database takes
 * from the same budget. Times are the database's clock, shared by all processes.
 */
export class RateBudget {
  constructor(
    private readonly store: Store,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {}

  /** Names a bucket this hub draws from, so the Integrations page can say how much of it is used. */
  declare(bucket: BucketSpec): void {
    if (bucket.limitPerMinute !== undefined) budgetUseOf(this.store).declare(bucket.key, bucket.limitPerMinute);
  }

  /**
   * Waits until `cost` units are available in the bucket, then takes them. A wait longer than
   * `maxWaitMs` is not started: the caller gets a `rate_limited` VendorError saying how long, so
   * a job hands its work on instead of holding a worker (and outliving its expiry).
   */
  async take(bucket: BucketSpec, cost: number, signal?: AbortSignal, maxWaitMs = Infinity): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const available = sql<number>`LEAST(${bucket.capacity}::float8, tokens + ${bucket.ratePerSecond}::float8 * EXTRACT(EPOCH FROM clock_timestamp() - updated_at))`;
      const taken = await sql<{ tokens: number }>`
        UPDATE rate_buckets SET tokens = ${available} - ${cost}::float8, updated_at = clock_timestamp()
        WHERE key = ${bucket.key} AND ${available} >= ${cost}::float8
        RETURNING tokens`.execute(this.store.db);
      if (taken.rows.length > 0) {
        budgetUseOf(this.store).record(bucket.key, cost);
        return;
      }
      const current = await sql<{ available: number }>`SELECT ${available} AS available FROM rate_buckets WHERE key = ${bucket.key}`.execute(this.store.db);
      if (current.rows.length === 0) {
        await sql`INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (${bucket.key}, ${bucket.capacity}::float8, clock_timestamp()) ON CONFLICT (key) DO NOTHING`.execute(this.store.db);
        continue;
      }
      const missing = cost - Number(current.rows[0]!.available);
      // Wait for the refill, plus a little jitter so waiting processes do not all retry at once.
      const waitMs = Math.max(5, (missing / bucket.ratePerSecond) * 1000) + Math.random() * 20;
      if (waitMs > maxWaitMs) {
        throw new VendorError('rate_limited', `rate budget ${bucket.key} is spent for the next ${Math.round(waitMs)} ms`, { retryAfterMs: waitMs });
      }
      await this.sleep(waitMs, signal);
    }
  }

  /**
   * The vendor said to back off (429 Retry-After, or it reports less left than we think): empty
   * the bucket so that every process waits at least `ms` before its next call.
   */
  async pause(bucket: BucketSpec, ms: number): Promise<void> {
    const debt = -(bucket.ratePerSecond * ms) / 1000;
    await sql`
      INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (${bucket.key}, ${debt}::float8, clock_timestamp())
      ON CONFLICT (key) DO UPDATE SET
        tokens = LEAST(${debt}::float8, LEAST(${bucket.capacity}::float8, rate_buckets.tokens + ${bucket.ratePerSecond}::float8 * EXTRACT(EPOCH FROM clock_timestamp() - rate_buckets.updated_at))),
        updated_at = clock_timestamp()`.execute(this.store.db);
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
