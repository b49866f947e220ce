import { AsyncLocalStorage } from 'node:async_hooks';
import Stripe from 'stripe';

/**
 * Every call the hub makes to Stripe goes through here: the official SDK (which pins the API
 * version its types describe, so no `apiVersion` is passed), configured for the sidebar's budget.
 */

/**
 * Per request. The sidebar waits 2 s at most and aborts the lookup's signal then (which cancels
 * the request, below); this only bounds calls made without a signal (checkConnection).
 */
export const STRIPE_REQUEST_TIMEOUT_MS = 3000;

/** Stripe's limit on customers.list / products.list `limit` (docs.stripe.com/api/pagination). */
const MAX_PAGE = 100;

export interface StripeClientOptions {
  secretKey: string;
  /** `https://api.stripe.com`, or a fake's `http://127.0.0.1:port` (the SDK always adds `/v1/`). */
  apiBase: string;
  timeoutMs?: number;
  /** Every call, with its HTTP status (null when no answer came). */
  onRequest?(method: string, path: string, status: number | null): void;
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

const fetchWithLookupSignal: typeof fetch = (input, init) => {
  const signal = lookupSignal.getStore();
  if (!signal) return fetch(input, init);
  return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
};

export class StripeClient {
  readonly stripe: Stripe;

  constructor(private readonly options: StripeClientOptions) {
    this.stripe = new Stripe(options.secretKey, {
      ...stripeHostOptions(options.apiBase),
      // The sidebar has one 2 s budget; a retry after a timeout or 5xx would spend it twice.
      maxNetworkRetries: 0,
      timeout: options.timeoutMs ?? STRIPE_REQUEST_TIMEOUT_MS,
      httpClient: Stripe.createFetchHttpClient(fetchWithLookupSignal),
      // Telemetry headers report our previous request's latency to Stripe; nothing the hub needs.
      telemetry: false,
      appInfo: { name: 'Support Hub' },
    });
  }

  /**
   * Customers whose email is exactly `email`, newest first, with their current subscriptions.
   * `customers.list` is strongly consistent; the Search API lags behind writes (under a minute
   * normally, up to an hour during incidents: docs.stripe.com/search#data-freshness), so a
   * customer who just paid could be missing. The `email` filter is case-sensitive: the hub asks
   * with lowercase addresses, so a customer stored as `Jane@Example.com` is not found.
   * Expanding `subscriptions` brings items with their prices (not products: see products()).
   */
  async customersByEmail(email: string, signal?: AbortSignal): Promise<{ customers: Stripe.Customer[]; hasMore: boolean }> {
    const page = await this.call('GET', '/v1/customers', signal, () => this.stripe.customers.list({ email, limit: 10, expand: ['data.subscriptions'] }));
    return { customers: page.data, hasMore: page.has_more };
  }

  /**
   * The customer's latest ended subscription. A customer's `subscriptions` list holds only current
   * ones, so a customer who canceled would otherwise look like one who never subscribed.
   */
  async latestEndedSubscription(customerId: string, signal?: AbortSignal): Promise<Stripe.Subscription | null> {
    const page = await this.call('GET', '/v1/subscriptions', signal, () => this.stripe.subscriptions.list({ customer: customerId, status: 'ended', limit: 1 }));
    return page.data[0] ?? null;
  }

  /**
   * Products by id, one call. Expansion stops at four levels (docs.stripe.com/api/expanding_objects),
   * and `data.subscriptions.data.items.data.price.product` is seven, so names need this call.
   */
  async products(ids: readonly string[], signal?: AbortSignal): Promise<Stripe.Product[]> {
    if (ids.length === 0) return [];
    const wanted = ids.slice(0, MAX_PAGE);
    const page = await this.call('GET', '/v1/products', signal, () => this.stripe.products.list({ ids: [...wanted], limit: wanted.length }));
    return page.data;
  }

  /**
   * One round trip that needs exactly the permissions a lookup needs (a restricted key with read
   * access to customers, subscriptions and products). `balance` would need a permission lookups don't.
   */
  async probe(): Promise<void> {
    await Promise.all([
      this.call('GET', '/v1/customers', undefined, () => this.stripe.customers.list({ limit: 1, expand: ['data.subscriptions'] })),
      this.call('GET', '/v1/products', undefined, () => this.stripe.products.list({ limit: 1 })),
    ]);
  }

  private async call<T>(method: string, path: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    try {
      const result = signal ? await lookupSignal.run(signal, work) : await work();
      this.options.onRequest?.(method, path, 200);
      return result;
    } catch (error) {
      this.options.onRequest?.(method, path, error instanceof Stripe.errors.StripeError ? (error.statusCode ?? null) : null);
      // The SDK reports a cancelled request as a connection error; the caller asked for the abort.
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  }
}
