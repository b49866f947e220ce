import { errors } from './errors.js';

/**
 * Stripe's rate limiters as docs.stripe.com/rate-limits describes them: a global limit per
 * account (100 requests per second in live mode, 25 in a sandbox or test mode), a default limit
 * of 25 per second on each endpoint ("each named API operation", so `GET /v1/customers` and
 * `GET /v1/customers/search` are two), and 20 read requests per second across every search
 * endpoint. A refused request answers 429 with `Stripe-Rate-Limited-Reason` naming the limiter
 * (`global-rate`, `endpoint-rate`; the concurrency limiters are not modelled). Counted over a
 * sliding second; refused requests do not count (assumed: Stripe does not say).
 */
export interface FakeRateLimits {
  /** Requests per second for the whole account; null turns every limiter off. */
  global: number | null;
  /** Requests per second per endpoint (Stripe's default 25); null = off. */
  endpoint: number | null;
  /** Requests per second over all search endpoints (Stripe: 20); null = off. */
  search: number | null;
}

export const STRIPE_DOCUMENTED_LIMITS = {
  liveGlobal: 100,
  sandboxGlobal: 25,
  endpoint: 25,
  search: 20,
} as const;

const isSearch = (path: string) => path.endsWith('/search');

export class SlidingLimiters {
  private readonly windows = new Map<string, number[]>();

  constructor(readonly limits: FakeRateLimits) {}

  /** Admits a request at `at` (ms) or throws Stripe's 429 naming the limiter that refused it. */
  admit(method: string, path: string, at: number): void {
    const { global, endpoint, search } = this.limits;
    if (global === null) return;
    const counted: [string, number | null, 'global-rate' | 'endpoint-rate'][] = [
      ['global', global, 'global-rate'],
      isSearch(path) ? ['search', search, 'endpoint-rate'] : [`endpoint ${method} ${path}`, endpoint, 'endpoint-rate'],
    ];
    for (const [key, limit, reason] of counted) {
      if (limit === null) continue;
      const recent = (this.windows.get(key) ?? []).filter((t) => t > at - 1000);
      this.windows.set(key, recent);
      if (recent.length >= limit) throw errors.rateLimited(reason);
    }
    for (const [key, limit] of counted) if (limit !== null) this.windows.get(key)!.push(at);
  }
}
