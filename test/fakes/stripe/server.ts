import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { errors, StripeHttpError } from './errors.js';
import { eventObject, stripeId, type CustomerSeed, type PriceSeed, type ProductSeed, type StripeJson, type StripeObject, type SubscriptionSeed } from './model.js';
import { parseQuery, route, type Permission } from './routes.js';
import { StripeState } from './state.js';
import { sendStripeWebhook, stripeSignature, type WebhookResponse, type WebhookSendOptions } from './webhooks.js';

/**
 * A fake Stripe account over real HTTP on 127.0.0.1 (random port): the endpoints the hub reads,
 * Stripe's auth and error bodies, its read rate limit, and switches for latency, failures and a
 * Stripe that never answers. See README.md in this folder.
 */

export interface FakeStripeOptions {
  /** The key it accepts (default a fresh `sk_test_…`; an `sk_live_…` key makes objects live). */
  apiKey?: string;
  webhookSecret?: string;
  /**
   * Read requests per second (docs.stripe.com/rate-limits: 25 in test mode / sandboxes, 100 in
   * live mode); null = unlimited. Default: by the key's mode.
   */
  rateLimitPerSecond?: number | null;
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
  rateLimitPerSecond: number | null;
  /** The next `count` requests answer `status` with Stripe's error body for it (500 → api_error). */
  failNext(count: number, status?: number): void;
  /** Makes the key a restricted key without read access to `resource` (403 permission_error). */
  deny(resource: Permission): void;

  addCustomer(seed: CustomerSeed): StripeObject;
  addProduct(seed: ProductSeed): StripeObject;
  addPrice(seed: PriceSeed): StripeObject;
  addSubscription(customerId: string, seed?: SubscriptionSeed): StripeObject;
  /** Changes fields in place, returning their previous values (for `previous_attributes`). */
  updateCustomer(id: string, fields: StripeJson): StripeJson;
  updateSubscription(id: string, fields: StripeJson): StripeJson;
  customer(id: string): StripeObject | undefined;
  subscription(id: string): StripeObject | undefined;
  /** An invoice object for a customer (for `invoice.*` events); not stored. */
  invoice(customerId: string, fields?: StripeJson): StripeObject;

  /** A snapshot event (`customer.updated`, `customer.subscription.deleted`, `invoice.paid`, …). */
  event(type: string, object: StripeJson, previousAttributes?: StripeJson): StripeObject;
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
  const failures: number[] = [];
  let acceptedAt: number[] = [];

  const control = {
    latencyMs: 0,
    hang: false,
    rateLimitPerSecond: options.rateLimitPerSecond === undefined ? (livemode ? 100 : 25) : options.rateLimitPerSecond,
  };

  function authenticate(request: IncomingMessage): void {
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/i.exec(header)?.[1];
    // Stripe also takes the key as the Basic auth user name.
    const basic = /^Basic (.+)$/i.exec(header)?.[1];
    const key = bearer ?? (basic ? Buffer.from(basic, 'base64').toString('utf8').replace(/:.*$/, '') : undefined);
    if (!key) throw errors.noKey();
    if (key !== apiKey) throw errors.invalidKey(key);
  }

  function checkRate(at: number): void {
    if (control.rateLimitPerSecond === null) return;
    acceptedAt = acceptedAt.filter((t) => t > at - 1000);
    if (acceptedAt.length >= control.rateLimitPerSecond) throw errors.rateLimited();
    acceptedAt.push(at);
  }

  function answer(response: ServerResponse, record: FakeStripeRequest, status: number, body: unknown): void {
    record.status = status;
    held.delete(response);
    if (response.destroyed) return;
    response.writeHead(status, {
      'content-type': 'application/json',
      'request-id': stripeId('req'),
      ...(record.stripeVersion ? { 'stripe-version': record.stripeVersion } : {}),
    });
    response.end(JSON.stringify(body, null, 2));
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
      const injected = failures.shift();
      if (injected !== undefined) throw errors.injected(injected, apiKey);
      authenticate(request);
      checkRate(Date.now());
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
      if (error instanceof StripeHttpError) answer(response, record, error.status, error.body);
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
      return control.rateLimitPerSecond;
    },
    set rateLimitPerSecond(limit: number | null) {
      control.rateLimitPerSecond = limit;
    },
    failNext(count, status = 500) {
      for (let i = 0; i < count; i++) failures.push(status);
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
    customer: (id) => state.customers.get(id),
    subscription: (id) => state.subscriptions.get(id),
    invoice: (customerId, fields) => state.invoice(customerId, fields),
    event: (type, object, previousAttributes) =>
      eventObject(type, structuredClone(object), { ...(previousAttributes ? { previousAttributes } : {}), apiVersion: Stripe.API_VERSION, now: now() }),
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
