import { createHash } from 'node:crypto';
import type { VendorBudget } from '../../src/vendors/http.js';
import { abortableSleep, bucketShape, type BucketSpec, type RateBudget, type RateLimitSpec } from '../../src/vendors/rate-budget.js';

/**
 * Stripe's documented limits (docs.stripe.com/rate-limits), budgeted in the hub's shared token
 * buckets (src/vendors/rate-budget.ts, in the database: every hub process on one database draws
 * from the same buckets):
 * - the account: 100 requests a second in live mode, 25 in a sandbox or test mode;
 * - each endpoint ("each named API operation"): 25 a second unless noted;
 * - every search endpoint together: 20 read requests a second (docs.stripe.com/search#rate-limits).
 * A request takes from its narrowest bucket first, then the account's.
 */
export const STRIPE_LIMITS = {
  live: { limit: 100, windowSeconds: 1 },
  sandbox: { limit: 25, windowSeconds: 1 },
  endpoint: { limit: 25, windowSeconds: 1 },
  search: { limit: 20, windowSeconds: 1 },
} as const satisfies Record<string, RateLimitSpec>;

/**
 * Stripe documents no Retry-After and advises backing off; its limits are per second, so a 429
 * without one pauses the limiter that refused for a second. A Retry-After, when sent, is waited
 * out in full.
 */
export const STRIPE_DEFAULT_429_PAUSE_MS = 1000;

/** `Stripe-Rate-Limited-Reason` (docs.stripe.com/rate-limits): which limiter refused the request. */
const ACCOUNT_LIMITERS = new Set(['global-rate', 'global-concurrency']);
const ENDPOINT_LIMITERS = new Set(['endpoint-rate', 'endpoint-concurrency', 'resource-specific']);

const isSearch = (path: string) => path.endsWith('/search');

/** Key mode from its prefix (docs.stripe.com/keys): live keys get live mode's limit. */
export const isLiveKey = (secretKey: string) => /^[sr]k_live_/.test(secretKey);

/**
 * Stripe's limits are per second, and a bucket that may never exceed one in any second it cannot
 * see the edges of keeps almost nothing as burst at the default share (0.92 of the limit as
 * sustained rate leaves capacity 1: one request per endpoint every 46 ms). Stripe's calls come
 * from agents opening cards, several at once, so 0.76 is kept as sustained rate and the rest as a
 * burst: four calls to one endpoint at once (25/s), sixteen across the account in live mode —
 * still never more than the limit in any second (plus 0.1 s of skew), see bucketShape.
 */
const INTERACTIVE_SHARE = 0.76;

/**
 * The buckets for one key. Stripe counts per account; the hub knows the key, not the account (an
 * account id needs a call a restricted key may not be allowed), so processes share a budget when
 * they use the same key: a digest of it, never the key itself, names the buckets.
 */
export function stripeBudgets(secretKey: string): VendorBudget[] {
  const account = `stripe:${createHash('sha256').update(secretKey).digest('hex').slice(0, 16)}`;
  return [
    {
      key: `${account}:search`,
      spec: STRIPE_LIMITS.search,
      cost: (_method, path) => (isSearch(path) ? 1 : 0),
      maxCost: 1,
      share: INTERACTIVE_SHARE,
    },
    {
      key: `${account}:endpoint`,
      spec: STRIPE_LIMITS.endpoint,
      cost: (_method, path) => (isSearch(path) ? 0 : 1),
      // Every call the hub makes has a fixed path (no ids in it), so the path names the endpoint.
      scope: (method, path) => `${method} ${path}`,
      maxCost: 1,
      share: INTERACTIVE_SHARE,
    },
    { key: account, spec: isLiveKey(secretKey) ? STRIPE_LIMITS.live : STRIPE_LIMITS.sandbox, cost: () => 1, maxCost: 1, share: INTERACTIVE_SHARE, accountWide: true },
  ];
}

/** The buckets one request draws from, narrowest first, and which limiter each stands for. */
interface Drawn {
  bucket: BucketSpec;
  accountWide: boolean;
}

/**
 * Takes a request's share of Stripe's limits before it is sent, and after a 429 pauses the
 * limiter Stripe named for the whole wait, in every process. Without a RateBudget (no database:
 * tests of the mapping, tools) it only waits out 429s locally.
 */
export class StripeRateGate {
  private readonly budgets: { budget: VendorBudget; bucket: BucketSpec }[];

  constructor(
    private readonly rate: RateBudget | undefined,
    secretKey: string,
    /** Longest one request waits for its budget before failing with `rate_limited`. */
    private readonly maxWaitMs: number,
  ) {
    this.budgets = stripeBudgets(secretKey).map((budget) => ({ budget, bucket: { key: budget.key, ...bucketShape(budget.spec, budget.maxCost, budget.share) } }));
    for (const { budget, bucket } of this.budgets) if (!budget.scope) rate?.declare(bucket);
  }

  private drawnBy(method: string, path: string): Drawn[] {
    return this.budgets.flatMap(({ budget, bucket }) => {
      if (budget.cost(method, path) <= 0) return [];
      const scope = budget.scope?.(method, path);
      return [{ bucket: scope ? { ...bucket, key: `${bucket.key}:${scope}` } : bucket, accountWide: budget.accountWide === true }];
    });
  }

  /** Waits (at most `maxWaitMs` per bucket) until the request may go; throws VendorError `rate_limited` past that. */
  async take(method: string, path: string, signal?: AbortSignal): Promise<void> {
    if (!this.rate) return;
    for (const { bucket } of this.drawnBy(method, path)) await this.rate.take(bucket, 1, signal, this.maxWaitMs);
  }

  /**
   * Stripe refused with 429: nobody asks again before `waitMs` has passed. The reason header says
   * which limiter refused (the account's or the endpoint's); without one (a lock timeout, or an
   * older answer) every bucket the request drew from waits.
   */
  async pause(method: string, path: string, waitMs: number, reason: string | null): Promise<void> {
    if (!this.rate) return;
    for (const { bucket, accountWide } of this.drawnBy(method, path)) {
      if (reason && ACCOUNT_LIMITERS.has(reason) && !accountWide) continue;
      if (reason && ENDPOINT_LIMITERS.has(reason) && accountWide) continue;
      await this.rate.pause(bucket, waitMs);
    }
  }

  /**
   * Before asking again after a 429. With shared buckets the next take() waits (they were
   * emptied for `waitMs`, for every process); without, this process sleeps it out.
   */
  async waitOut(waitMs: number, signal?: AbortSignal): Promise<void> {
    if (!this.rate) await abortableSleep(waitMs, signal);
  }
}
