import type { Logger } from 'pino';
import { abortableSleep, bucketShape, RateBudget, type BucketSpec, type RateLimitSpec } from './rate-budget.js';
import { VendorError } from './error.js';

/** A budget a request draws from: which requests it covers and what each costs. */
export interface VendorBudget {
  /** Stable key shared by every process talking to the same vendor account, e.g. `helpscout:<client id>`. */
  key: string;
  spec: RateLimitSpec;
  /** Units this request costs against the budget (0 = not counted). */
  cost(method: string, path: string): number;
  /** Largest cost of one request (sizes the bucket's burst). */
  maxCost: number;
  /**
   * For a limit the vendor keeps per object (Zendesk: updates per ticket): which object this
   * request counts against, appended to `key` (one bucket each); null = not counted.
   */
  scope?(method: string, path: string): string | null;
  /** Share of the limit kept as sustained rate (the rest is burst); see bucketShape. */
  share?: number;
  /** The vendor's account-wide limit, whose remaining count its rate headers report. */
  accountWide?: boolean;
}

export interface VendorHttpOptions {
  /** Names the vendor in errors and logs. */
  vendor: string;
  baseUrl: string;
  log: Logger;
  /** Shared rate budgets (omit for no client-side limiting); the first is the account-wide one the vendor's remaining header reports on. */
  budgets?: { rate: RateBudget; list: VendorBudget[] };
  /** Authorization headers for the next request. */
  auth(signal?: AbortSignal): Promise<Record<string, string>>;
  /** Called on a 401: refresh credentials and return true to retry once. */
  onUnauthorized?(signal?: AbortSignal): Promise<boolean>;
  /** The vendor's rate headers: how much is left in its window, and how long to wait after a 429. */
  rateHeaders(headers: Headers): { remaining: number | null; retryAfterMs: number | null };
  timeoutMs?: number;
  /**
   * Longest a call holds its worker waiting for its rate budget or out 429s (in total) before
   * giving up with `rate_limited` and the full wait left (default 10 s, well inside a sync job's
   * expiry). It never shortens a vendor's Retry-After: only who waits it out.
   */
  maxRateWaitMs?: number;
  fetch?: typeof fetch;
  /** Counts every request sent (benchmarks report vendor calls per message). */
  onRequest?(method: string, path: string, status: number | null): void;
  /** Counts every 429 and the pause it imposed on every process (metrics). */
  onRateLimited?(method: string, path: string, waitMs: number): void;
}

export interface VendorRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: Buffer | string;
  headers?: Record<string, string>;
  /**
   * Safe to resend after an unknown outcome (reads; writes carrying an idempotency key). Other
   * writes are never resent here: their failure is reported with `outcomeUnknown` so the engine
   * can look up what landed first.
   */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface VendorResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * The thin HTTP client every adapter's `client.ts` builds on: auth headers, shared rate budgets,
 * 429 handling (Retry-After honoured, every process paused), retries with backoff and jitter for
 * requests that are safe to resend, and vendor failures mapped to `VendorError` kinds.
 */
export class VendorHttp {
  private readonly buckets: { budget: VendorBudget; bucket: BucketSpec }[];
  /** Narrowest first: a request refused by a per-object budget has not spent the account's. */
  private readonly takeOrder: { budget: VendorBudget; bucket: BucketSpec }[];
  private readonly timeoutMs: number;
  private readonly maxRateWaitMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: VendorHttpOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxRateWaitMs = options.maxRateWaitMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.buckets = (options.budgets?.list ?? []).map((budget) => ({
      budget,
      bucket: { key: budget.key, ...bucketShape(budget.spec, budget.maxCost, budget.share) },
    }));
    this.takeOrder = [...this.buckets].reverse();
    // Budgets kept per object (a bucket per ticket) are not one budget to show.
    for (const { budget, bucket } of this.buckets) if (!budget.scope) options.budgets?.rate.declare(bucket);
  }

  async request<T = unknown>(request: VendorRequest): Promise<VendorResponse<T>> {
    const { vendor } = this.options;
    let rateWaited = 0;
    let refreshed = false;
    let transientAttempts = 0;
    for (;;) {
      request.signal?.throwIfAborted();
      await this.takeBudget(request);
      // Credentials first, outside the network-error handling: a failed token request is the
      // vendor refusing us (auth) or unreachable, never "a write whose outcome is unknown".
      const authHeaders = await this.options.auth(request.signal);
      let response: Response;
      try {
        response = await this.send(request, authHeaders);
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        this.options.onRequest?.(request.method, request.path, null);
        const detail = `${vendor} ${request.method} ${request.path}: ${(error as Error).message}`;
        if (request.idempotent && transientAttempts < 3) {
          await abortableSleep(backoffMs(transientAttempts++), request.signal);
          continue;
        }
        throw new VendorError('unavailable', detail, { outcomeUnknown: request.method !== 'GET', cause: error });
      }
      this.options.onRequest?.(request.method, request.path, response.status);
      const { remaining, retryAfterMs } = this.options.rateHeaders(response.headers);
      if (response.status === 429) {
        await response.body?.cancel();
        // The whole Retry-After, never less: Help Scout ("wait the number of seconds in
        // X-RateLimit-Retry-After") and Zendesk ("wait until the Retry-After period has passed")
        // both count a retry sent earlier against the limit again. Every process sharing the budget
        // pauses for all of it; a wait longer than a call may hold its worker goes back to the
        // caller as `rate_limited`, and the job is parked until then.
        const waitMs = Math.max(250, retryAfterMs ?? 1000) + Math.random() * 250;
        await this.pauseBudgets(request, waitMs, remaining);
        this.options.onRateLimited?.(request.method, request.path, waitMs);
        if (rateWaited + waitMs > this.maxRateWaitMs) {
          throw new VendorError('rate_limited', `${vendor} ${request.method} ${request.path}: 429 Too Many Requests; retry in ${Math.ceil(waitMs / 1000)} s`, { status: 429, retryAfterMs: waitMs });
        }
        this.options.log.warn({ vendor, path: request.path, waitMs: Math.round(waitMs) }, 'vendor rate limit hit; waiting');
        rateWaited += waitMs;
        await abortableSleep(waitMs, request.signal);
        continue;
      }
      // The vendor's "remaining" header is not acted on: our buckets are shaped to use the whole
      // window (so a low or zero count is normal), and when someone else spends the account's
      // budget the vendor's 429 says exactly how long to wait — every process then waits.
      void remaining;
      if (response.status === 401 && !refreshed && this.options.onUnauthorized) {
        await response.body?.cancel();
        refreshed = true;
        if (await this.options.onUnauthorized(request.signal)) continue;
      }
      if (response.status === 401) {
        const text = await safeText(response);
        throw new VendorError('auth', `${vendor} ${request.method} ${request.path}: 401 ${text}`, { status: 401 });
      }
      if (response.status === 403) {
        // Authenticated, but this user may not do this (Zendesk: the incremental export is for
        // admins only): a permission to grant, never a reason to park everything as "re-auth".
        const text = await safeText(response);
        throw new VendorError('forbidden', `${vendor} ${request.method} ${request.path}: 403 ${text}`, { status: 403 });
      }
      if (response.status >= 500) {
        const text = await safeText(response);
        const detail = `${vendor} ${request.method} ${request.path}: ${response.status} ${text}`;
        if (request.idempotent && transientAttempts < 3) {
          await abortableSleep(backoffMs(transientAttempts++), request.signal);
          continue;
        }
        throw new VendorError('unavailable', detail, { status: response.status, outcomeUnknown: request.method !== 'GET' });
      }
      if (response.status === 404) {
        const text = await safeText(response);
        throw new VendorError('not_found', `${vendor} ${request.method} ${request.path}: 404 ${text}`, { status: 404 });
      }
      if (response.status >= 400) {
        const text = await safeText(response);
        throw new VendorError('rejected', `${vendor} ${request.method} ${request.path}: ${response.status} ${text}`, { status: response.status });
      }
      const raw = await response.text();
      let body: unknown = null;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      return { status: response.status, headers: response.headers, body: body as T };
    }
  }

  private async send(request: VendorRequest, authHeaders: Record<string, string>): Promise<Response> {
    const url = new URL(request.path.replace(/^\//, ''), this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...authHeaders, ...request.headers };
    let body: string | Buffer | undefined = request.body;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json; charset=UTF-8';
      body = JSON.stringify(request.json);
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    return this.fetchImpl(url, { method: request.method, headers, body: body as BodyInit | undefined, signal });
  }

  private async takeBudget(request: VendorRequest): Promise<void> {
    const rate = this.options.budgets?.rate;
    if (!rate) return;
    for (const { budget, bucket } of this.drawnBy(request, this.takeOrder)) {
      await rate.take(bucket, budget.cost(request.method, request.path), request.signal, this.maxRateWaitMs);
    }
  }

  /**
   * After a 429 every budget the request drew from waits — except the account-wide one when the
   * vendor says the account still has room (`remaining` > 0): then a narrower limit (an endpoint's,
   * a ticket's) refused it, and pausing the whole account for one ticket would stall every other.
   * And the other way round: when the vendor says the account is spent (`remaining` 0), the
   * account's limit explains the 429, so a per-object budget (one ticket's) is not paused — a pause
   * is a debt that takes its saved burst too, and the ticket would then get one update a minute
   * or so long after the account recovered.
   */
  private async pauseBudgets(request: VendorRequest, ms: number, remaining: number | null): Promise<void> {
    const rate = this.options.budgets?.rate;
    if (!rate) return;
    const accountHasRoom = remaining !== null && remaining > 0;
    const accountSpent = remaining === 0;
    for (const { budget, bucket } of this.drawnBy(request, this.buckets)) {
      if (budget.accountWide && accountHasRoom) continue;
      if (budget.scope && accountSpent) continue;
      await rate.pause(bucket, ms);
    }
  }

  /** The buckets a request draws from, per-object ones keyed by their object. */
  private drawnBy(request: VendorRequest, buckets: { budget: VendorBudget; bucket: BucketSpec }[]): { budget: VendorBudget; bucket: BucketSpec }[] {
    return buckets.flatMap(({ budget, bucket }) => {
      if (budget.cost(request.method, request.path) <= 0) return [];
      if (!budget.scope) return [{ budget, bucket }];
      const scope = budget.scope(request.method, request.path);
      return scope === null ? [] : [{ budget, bucket: { ...bucket, key: `${bucket.key}:${scope}` } }];
    });
  }

}

/** Exponential backoff with full jitter: 0–200 ms, 0–400 ms, 0–800 ms … */
export function backoffMs(attempt: number, baseMs = 200, capMs = 10_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

async function safeText(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, 300);
  } catch {
    return '';
  }
}
