import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { errors, StripeHttpError, type RateLimitedReason } from './errors.js';
import { SlidingLimiters, STRIPE_DOCUMENTED_LIMITS } from './limits.js';
import { eventObject, objectUrl, thinEventObject, type RelatedObject, type ThinEventType } from './events.js';
import { stripeId, type CustomerSeed, type PriceSeed, type ProductSeed, type StripeJson, type StripeObject, type SubscriptionItemSeed, type SubscriptionSeed } from './model.js';
import { parseQuery, route, type Permission } from './routes.js';
import { StripeState } from './state.js';
import { sendStripeWebhook, stripeSignature, type WebhookResponse, type WebhookSendOptions } from './webhooks.js';

/**
 * A fake Stripe account over real HTTP on 127.0.0.1 (random port): the endpoints the hub reads,
 * Stripe's auth and error bodies, its rate limiters, snapshot and thin webhook events, and
 * switches for latency, failures, search lag and a Stripe that never answers. See README.md in
 * this folder.
 */

export interface FakeStripeOptions {
  /** The key it accepts (default a fresh `sk_test_…`; an `sk_live_…` key makes objects live). */
  apiKey?: string;
  webhookSecret?: string;
  /**
   * The account's global limit in requests per second (docs.stripe.com/rate-limits: 100 in live
   * mode, 25 in a sandbox or test mode); default by the key's mode. null turns every limiter off
   * (the per-endpoint and search ones too).
   */
  rateLimitPerSecond?: number | null;
  /** Each endpoint's limit (Stripe's default: 25 per second); null = off. */
  endpointRateLimitPerSecond?: number | null;
  /** All search endpoints together (Stripe: 20 per second); null = off. */
  searchRateLimitPerSecond?: number | null;
  /** How long a customer write takes to become searchable (default 0; Stripe: under a minute normally). */
  searchLagMs?: number;
}

export interface FailureOptions {
  /** Only requests to this path fail (default: any). */
  path?: string;
  /** For a 429: the `Stripe-Rate-Limited-Reason` (default `global-rate`; null = no header, as a lock timeout). */
  rateLimitedReason?: RateLimitedReason | null;
  /** For a 429: a `Retry-After` header (Stripe documents none). */
  retryAfterSeconds?: number;
}

export interface FakeStripeRequest {
  method: string;
  path: string;
  /** Query parameters, brackets folded (`expand[0]` → `expand`). */
  query: Record<string, string[]>;
  /** Null while unanswered (hang). */
  status: number | null;
  /** Arrival, ms since the epoch. */
  at: number;
  stripeVersion: string | undefined;
}

export interface FakeStripe {
  /** `STRIPE_API_BASE` for the hub: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly apiKey: string;
  readonly webhookSecret: string;
  /** STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE. */
  readonly env: Record<string, string>;
  readonly livemode: boolean;
  /** Every request that reached the fake, oldest first (clear with `requests.length = 0`). */
  readonly requests: FakeStripeRequest[];
  /** Requests received and not answered yet (those held by `hang`, or in their latency). */
  readonly openRequests: number;
  /** Delay before every answer. */
  latencyMs: number;
  /** While true, requests are never answered (until `hang` is false again: they stay stuck; or close()). */
  hang: boolean;
  /** The global limit (null: every limiter off). */
  rateLimitPerSecond: number | null;
  endpointRateLimitPerSecond: number | null;
  searchRateLimitPerSecond: number | null;
  /** How long a customer write takes to become searchable. */
  searchLagMs: number;
  /** The next `count` requests (to `options.path`, if given) answer `status` with Stripe's error body for it (500 → api_error). */
  failNext(count: number, status?: number, options?: FailureOptions): void;
  /** Makes the key a restricted key without read access to `resource` (403 permission_error). */
  deny(resource: Permission): void;

  addCustomer(seed: CustomerSeed): StripeObject;
  addProduct(seed: ProductSeed): StripeObject;
  addPrice(seed: PriceSeed): StripeObject;
  addSubscription(customerId: string, seed?: SubscriptionSeed): StripeObject;
  /** Changes fields in place, returning their previous values (for `previous_attributes`). */
  updateCustomer(id: string, fields: StripeJson): StripeJson;
  updateSubscription(id: string, fields: StripeJson): StripeJson;
  /** Replaces a subscription's items (a plan change); returns `{ items: <previous list> }`. */
  updateSubscriptionItems(id: string, items: SubscriptionItemSeed[]): StripeJson;
  customer(id: string): StripeObject | undefined;
  subscription(id: string): StripeObject | undefined;
  /** An invoice object for a customer (for `invoice.*` events); not stored. */
  invoice(customerId: string, fields?: StripeJson): StripeObject;

  /** A snapshot event (`customer.updated`, `customer.subscription.deleted`, `invoice.paid`, …). */
  event(type: Stripe.Event.Type, object: StripeJson, previousAttributes?: StripeJson): StripeObject;
  /**
   * A thin event (`v1.customer.subscription.updated`, …) about a stored object (its id, `object`
   * and API path become `related_object`) or an explicit related object (null for none).
   */
  thinEvent(type: ThinEventType, about: StripeJson | RelatedObject | null, changes?: { before?: StripeJson; after?: StripeJson }): StripeObject;
  /** The `Stripe-Signature` value for a payload. */
  sign(payload: string, options?: { secret?: string; timestamp?: number }): string;
  /** POSTs an event (or any body) to `url`, signed as Stripe signs it. */
  sendWebhook(url: string, event: StripeJson | string, options?: WebhookSendOptions): Promise<WebhookResponse>;
  close(): Promise<void>;
}

export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const apiKey = options.apiKey ?? `sk_test_fake${randomBytes(12).toString('hex')}`;
  const livemode = /^[sr]k_live_/.test(apiKey);
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(16).toString('hex')}`;
  const now = () => Math.floor(Date.now() / 1000);
  const state = new StripeState(livemode, now);
  const requests: FakeStripeRequest[] = [];
  const denied = new Set<Permission>();
  const held = new Set<ServerResponse>();
  const failures: ({ status: number } & FailureOptions)[] = [];
  const limiters = new SlidingLimiters({
    global: options.rateLimitPerSecond === undefined ? (livemode ? STRIPE_DOCUMENTED_LIMITS.liveGlobal : STRIPE_DOCUMENTED_LIMITS.sandboxGlobal) : options.rateLimitPerSecond,
    endpoint: options.endpointRateLimitPerSecond === undefined ? STRIPE_DOCUMENTED_LIMITS.endpoint : options.endpointRateLimitPerSecond,
    search: options.searchRateLimitPerSecond === undefined ? STRIPE_DOCUMENTED_LIMITS.search : options.searchRateLimitPerSecond,
  });
  state.searchLagMs = options.searchLagMs ?? 0;

  const control = { latencyMs: 0, hang: false };

  function authenticate(request: IncomingMessage): void {
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/i.exec(header)?.[1];
    // Stripe also takes the key as the Basic auth user name.
    const basic = /^Basic (.+)$/i.exec(header)?.[1];
    const key = bearer ?? (basic ? Buffer.from(basic, 'base64').toString('utf8').replace(/:.*$/, '') : undefined);
    if (!key) throw errors.noKey();
    if (key !== apiKey) throw errors.invalidKey(key);
  }

  function answer(response: ServerResponse, record: FakeStripeRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
    record.status = status;
    held.delete(response);
    if (response.destroyed) return;
    response.writeHead(status, {
      'content-type': 'application/json',
      'request-id': stripeId('req'),
      ...(record.stripeVersion ? { 'stripe-version': record.stripeVersion } : {}),
      ...headers,
    });
    response.end(JSON.stringify(body, null, 2));
  }

  function injectedFailure(path: string): StripeHttpError | undefined {
    const index = failures.findIndex((f) => f.path === undefined || f.path === path);
    if (index < 0) return undefined;
    const [failure] = failures.splice(index, 1);
    return errors.injected(failure!.status, apiKey, failure!);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.stripe');
    const params = parseQuery(url.searchParams);
    const record: FakeStripeRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(params),
      status: null,
      at: Date.now(),
      stripeVersion: typeof request.headers['stripe-version'] === 'string' ? request.headers['stripe-version'] : undefined,
    };
    requests.push(record);
    held.add(response);
    response.on('close', () => held.delete(response));
    request.resume();
    if (control.hang) return;
    if (control.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, control.latencyMs));
    if (response.destroyed) return;
    try {
      const injected = injectedFailure(record.path);
      if (injected) throw injected;
      authenticate(request);
      limiters.admit(record.method, record.path, Date.now());
      const handler = route(record.method, record.path);
      const body = handler({
        state,
        params,
        requireRead: (permission) => {
          if (denied.has(permission)) throw errors.permission(apiKey, `rak_${permission.replace(/s$/, '')}_read`);
        },
      });
      answer(response, record, 200, body);
    } catch (error) {
      if (error instanceof StripeHttpError) answer(response, record, error.status, error.body, error.headers);
      else answer(response, record, 500, { error: { type: 'api_error', message: `fake Stripe fault: ${(error as Error).message}` } });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    apiKey,
    webhookSecret,
    livemode,
    env: { STRIPE_SECRET_KEY: apiKey, STRIPE_WEBHOOK_SECRET: webhookSecret, STRIPE_API_BASE: url },
    requests,
    get openRequests() {
      return held.size;
    },
    get latencyMs() {
      return control.latencyMs;
    },
    set latencyMs(ms: number) {
      control.latencyMs = ms;
    },
    get hang() {
      return control.hang;
    },
    set hang(on: boolean) {
      control.hang = on;
    },
    get rateLimitPerSecond() {
      return limiters.limits.global;
    },
    set rateLimitPerSecond(limit: number | null) {
      limiters.limits.global = limit;
    },
    get endpointRateLimitPerSecond() {
      return limiters.limits.endpoint;
    },
    set endpointRateLimitPerSecond(limit: number | null) {
      limiters.limits.endpoint = limit;
    },
    get searchRateLimitPerSecond() {
      return limiters.limits.search;
    },
    set searchRateLimitPerSecond(limit: number | null) {
      limiters.limits.search = limit;
    },
    get searchLagMs() {
      return state.searchLagMs;
    },
    set searchLagMs(ms: number) {
      state.searchLagMs = ms;
    },
    failNext(count, status = 500, failureOptions = {}) {
      for (let i = 0; i < count; i++) failures.push({ status, ...failureOptions });
    },
    deny(resource) {
      denied.add(resource);
    },
    addCustomer: (seed) => state.addCustomer(seed),
    addProduct: (seed) => state.addProduct(seed),
    addPrice: (seed) => state.addPrice(seed),
    addSubscription: (customerId, seed) => state.addSubscription(customerId, seed),
    updateCustomer: (id, fields) => state.update(state.customers, id, fields),
    updateSubscription: (id, fields) => state.update(state.subscriptions, id, fields),
    updateSubscriptionItems: (id, items) => state.updateSubscriptionItems(id, items),
    customer: (id) => state.customers.get(id),
    subscription: (id) => state.subscriptions.get(id),
    invoice: (customerId, fields) => state.invoice(customerId, fields),
    event: (type, object, previousAttributes) =>
      eventObject(type, structuredClone(object), { ...(previousAttributes ? { previousAttributes } : {}), apiVersion: Stripe.API_VERSION, now: now() }),
    thinEvent: (type, about, changes) => {
      const related: RelatedObject | null =
        // A stored object names its kind in `object`; a related object has only id, type and url.
        about === null || !('object' in about) ? (about as RelatedObject | null) : { id: String(about['id']), type: String(about['object']), url: objectUrl(about) };
      return thinEventObject(type, related, { ...(changes ? { changes } : {}), livemode, now: now() });
    },
    sign: (payload, signOptions = {}) => stripeSignature(payload, signOptions.secret ?? webhookSecret, signOptions.timestamp),
    sendWebhook: (target, event, sendOptions) => sendStripeWebhook(target, event, webhookSecret, sendOptions),
    async close() {
      for (const response of held) response.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
