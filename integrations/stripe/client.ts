import { AsyncLocalStorage } from 'node:async_hooks';
import Stripe from 'stripe';
import { VendorError } from '../../src/vendors/error.js';
import type { RateBudget } from '../../src/vendors/rate-budget.js';
import { STRIPE_DEFAULT_429_PAUSE_MS, StripeRateGate } from './rate-limits.js';

/**
 * Every call the hub makes to Stripe goes through here: the official SDK (which pins the API
 * version its types describe, so no `apiVersion` is passed), configured for the sidebar's budget,
 * with Stripe's rate limits taken from the shared budget before each call (rate-limits.ts).
 */

/**
 * Per request. The sidebar waits 2 s at most and aborts the lookup's signal then (which cancels
 * the request, below); this only bounds calls made without a signal (checkConnection).
 */
export const STRIPE_REQUEST_TIMEOUT_MS = 3000;

/**
 * Longest one call waits for its share of Stripe's limits, and in total out 429s, before it fails
 * with `rate_limited` (the card then says Stripe could not be reached). A lookup outlives the
 * card's 2 s budget (SIDEBAR_LOOKUP_TIMEOUT_MS) so its answer fills the cache for the next load.
 */
export const STRIPE_MAX_RATE_WAIT_MS = 3000;

/** Stripe's limit on customers.list / products.list `limit` (docs.stripe.com/api/pagination). */
const MAX_PAGE = 100;

export interface StripeClientOptions {
  secretKey: string;
  /** `https://api.stripe.com`, or a fake's `http://127.0.0.1:port` (the SDK always adds `/v1/`). */
  apiBase: string;
  timeoutMs?: number;
  /** The hub's shared token buckets (in the database); without one, 429s are only waited out locally. */
  rateBudget?: RateBudget;
  maxRateWaitMs?: number;
  /** Every call, with its HTTP status (null when no answer came). */
  onRequest?(method: string, path: string, status: number | null): void;
  /** Every 429, with the pause it imposed on every process (metrics). */
  onRateLimited?(method: string, path: string, waitMs: number): void;
  /** The fetch under the SDK's HTTP client (tests record traffic through it); default the global one. */
  fetch?: typeof fetch;
}

/** host/port/protocol for the SDK, which takes no base URL. */
export function stripeHostOptions(apiBase: string): { host: string; port: string; protocol: 'http' | 'https' } {
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? '80' : '443'), protocol };
}

/**
 * The SDK takes no AbortSignal per request (RequestOptions has none in v23). Its fetch client
 * accepts our fetch function, and AsyncLocalStorage carries the lookup's signal from the call
 * site to it, so an aborted lookup closes its connection instead of waiting for the timeout.
 */
const lookupSignal = new AsyncLocalStorage<AbortSignal>();

const withLookupSignal =
  (inner: typeof fetch): typeof fetch =>
  (input, init) => {
    const signal = lookupSignal.getStore();
    if (!signal) return inner(input, init);
    return inner(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  };

/** A 429's Retry-After in ms (seconds or an HTTP date), if Stripe sent one; it documents none. */
function retryAfterMs(headers: Record<string, string> | undefined): number | null {
  const value = headers?.['retry-after'];
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

export class StripeClient {
  readonly stripe: Stripe;
  private readonly gate: StripeRateGate;
  private readonly maxRateWaitMs: number;

  constructor(private readonly options: StripeClientOptions) {
    this.maxRateWaitMs = options.maxRateWaitMs ?? STRIPE_MAX_RATE_WAIT_MS;
    this.gate = new StripeRateGate(options.rateBudget, options.secretKey, this.maxRateWaitMs);
    this.stripe = new Stripe(options.secretKey, {
      ...stripeHostOptions(options.apiBase),
      // No SDK retries. Its retry (for 409, 5xx, network errors, and a 429 only with
      // `Stripe-Should-Retry: true`) sleeps its own 0.5–5 s backoff and never reads Retry-After;
      // the sidebar's 2 s budget has no room for a blind backoff. 429s are handled in call():
      // the whole wait is honoured by every process through the shared budget.
      maxNetworkRetries: 0,
      timeout: options.timeoutMs ?? STRIPE_REQUEST_TIMEOUT_MS,
      httpClient: Stripe.createFetchHttpClient(withLookupSignal(options.fetch ?? ((input, init) => fetch(input, init)))),
      // Telemetry headers report our previous request's latency to Stripe; nothing the hub needs.
      telemetry: false,
      appInfo: { name: 'Support Hub' },
    });
  }

  /**
   * Customers whose email is exactly `email`, newest first, with their current subscriptions.
   * `customers.list` is strongly consistent, but its `email` filter is case-sensitive ("A
   * case-sensitive filter on the list based on the customer's email field"): the hub asks with
   * the lowercase address, so a customer saved as `Jane@Example.com` needs searchCustomers().
   * Expanding `subscriptions` brings items with their prices (not products: see products()).
   */
  async customersByEmail(email: string, signal?: AbortSignal): Promise<{ customers: Stripe.Customer[]; hasMore: boolean }> {
    const params = { email, limit: 10, expand: ['data.subscriptions'] } satisfies Stripe.CustomerListParams;
    const page = await this.call('GET', '/v1/customers', signal, () => this.stripe.customers.list(params));
    return { customers: page.data, hasMore: page.has_more };
  }

  /**
   * Customers whose email is `email` in any case, through the Search API: its string match is
   * case-insensitive (docs.stripe.com/search, field types), but it lags behind writes (under a
   * minute normally, longer during incidents: docs.stripe.com/search#data-freshness) and an exact
   * match means "all of the words from the query in the same order" (`jane@example.com` also
   * matches `jane@example.com.au`), so only addresses equal to `email` once lowercased are kept.
   * Search is not offered everywhere (not to accounts in India): a 400/403/404 answers "none
   * found", and the exact match's answer stands.
   */
  async searchCustomers(email: string, signal?: AbortSignal): Promise<Stripe.Customer[]> {
    // docs.stripe.com/search: string values are quoted; quotes inside escaped with a backslash.
    const params = { query: `email:"${email.replace(/["\\]/g, '\\$&')}"`, limit: 10, expand: ['data.subscriptions'] } satisfies Stripe.CustomerSearchParams;
    const wanted = email.trim().toLowerCase();
    try {
      const page = await this.call('GET', '/v1/customers/search', signal, () => this.stripe.customers.search(params));
      return page.data.filter((customer) => customer.email?.trim().toLowerCase() === wanted);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripePermissionError) return [];
      throw error;
    }
  }

  /**
   * The customer's latest ended subscription. A customer's `subscriptions` list holds only current
   * ones, so a customer who canceled would otherwise look like one who never subscribed.
   */
  async latestEndedSubscription(customerId: string, signal?: AbortSignal): Promise<Stripe.Subscription | null> {
    const params = { customer: customerId, status: 'ended', limit: 1 } satisfies Stripe.SubscriptionListParams;
    const page = await this.call('GET', '/v1/subscriptions', signal, () => this.stripe.subscriptions.list(params));
    return page.data[0] ?? null;
  }

  /**
   * Products by id, one call. Expansion stops at four levels (docs.stripe.com/api/expanding_objects),
   * and `data.subscriptions.data.items.data.price.product` is seven, so names need this call.
   */
  async products(ids: readonly string[], signal?: AbortSignal): Promise<Stripe.Product[]> {
    if (ids.length === 0) return [];
    const wanted = ids.slice(0, MAX_PAGE);
    const params = { ids: [...wanted], limit: wanted.length } satisfies Stripe.ProductListParams;
    const page = await this.call('GET', '/v1/products', signal, () => this.stripe.products.list(params));
    return page.data;
  }

  /**
   * One round trip that needs exactly the permissions a lookup needs (a restricted key with read
   * access to customers, subscriptions and products). `balance` would need a permission lookups don't.
   */
  async probe(): Promise<void> {
    const customers = { limit: 1, expand: ['data.subscriptions'] } satisfies Stripe.CustomerListParams;
    const products = { limit: 1 } satisfies Stripe.ProductListParams;
    await Promise.all([
      this.call('GET', '/v1/customers', undefined, () => this.stripe.customers.list(customers)),
      this.call('GET', '/v1/products', undefined, () => this.stripe.products.list(products)),
    ]);
  }

  /**
   * One SDK call: its share of Stripe's limits first; a 429 makes every process wait the whole
   * Retry-After (Stripe documents none: then a second, its limits' window), and the call is made
   * again after it when the wait fits `maxRateWaitMs`; otherwise it fails with `rate_limited`.
   */
  private async call<T>(method: string, path: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    let rateWaited = 0;
    for (;;) {
      signal?.throwIfAborted();
      await this.gate.take(method, path, signal);
      try {
        const result = signal ? await lookupSignal.run(signal, work) : await work();
        this.options.onRequest?.(method, path, 200);
        return result;
      } catch (error) {
        const status = error instanceof Stripe.errors.StripeError ? (error.statusCode ?? null) : null;
        this.options.onRequest?.(method, path, status);
        // The SDK reports a cancelled request as a connection error; the caller asked for the abort.
        if (signal?.aborted) throw signal.reason;
        if (status !== 429 || !(error instanceof Stripe.errors.StripeError)) throw error;
        const waitMs = retryAfterMs(error.headers) ?? STRIPE_DEFAULT_429_PAUSE_MS;
        await this.gate.pause(method, path, waitMs, error.headers?.['stripe-rate-limited-reason'] ?? null);
        this.options.onRateLimited?.(method, path, waitMs);
        if (rateWaited + waitMs > this.maxRateWaitMs) {
          throw new VendorError('rate_limited', `stripe ${method} ${path}: 429 Too Many Requests; retry in ${Math.ceil(waitMs / 1000)} s`, { status: 429, retryAfterMs: waitMs, cause: error });
        }
        rateWaited += waitMs;
        await this.gate.waitOut(waitMs, signal);
      }
    }
  }
}
