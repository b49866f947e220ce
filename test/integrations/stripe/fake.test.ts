import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { startFakeStripe, type FakeStripe } from '../../fakes/stripe/index.js';

/**
 * The fake behaves as Stripe does where the hub (and the sidebar benchmark) depend on it. Raw
 * HTTP for the protocol details, the official SDK for what its error classes make of them.
 */

let fake: FakeStripe;
const get = (path: string, key: string | null = fake.apiKey) => fetch(`${fake.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.rateLimitPerSecond = null;
});

describe('fake Stripe', () => {
  it('answers 401 with Stripe’s error body for a wrong key, masking it, and for no key', async () => {
    const wrong = await get('/v1/customers', 'sk_test_thisIsWrong9876');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_***********9876' } });
    const none = await get('/v1/customers', null);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/You did not provide an API key/);
  });

  it('filters customers by exact, case-sensitive email, newest first', async () => {
    const older = fake.addCustomer({ email: 'case@example.com', created: 1_700_000_000 });
    const newer = fake.addCustomer({ email: 'case@example.com', created: 1_700_000_100 });
    fake.addCustomer({ email: 'Case@example.com' });
    const body = (await (await get('/v1/customers?email=case%40example.com')).json()) as { object: string; data: { id: string }[]; has_more: boolean };
    expect(body).toMatchObject({ object: 'list', has_more: false });
    expect(body.data.map((c) => c.id)).toEqual([newer.id, older.id]);
  });

  it('nests subscriptions in customers only when expanded, as a list object without canceled ones', async () => {
    const customer = fake.addCustomer({ email: 'expand@example.com' });
    const active = fake.addSubscription(customer.id, { status: 'active' });
    fake.addSubscription(customer.id, { status: 'canceled' });
    const plain = (await (await get('/v1/customers?email=expand%40example.com')).json()) as { data: Record<string, unknown>[] };
    expect(plain.data[0]).not.toHaveProperty('subscriptions');
    const expanded = (await (await get('/v1/customers?email=expand%40example.com&expand[0]=data.subscriptions')).json()) as {
      data: { subscriptions: { object: string; data: { id: string }[]; has_more: boolean; url: string } }[];
    };
    expect(expanded.data[0]?.subscriptions).toMatchObject({ object: 'list', has_more: false, url: `/v1/customers/${customer.id}/subscriptions` });
    expect(expanded.data[0]?.subscriptions.data.map((s) => s.id)).toEqual([active.id]);
  });

  it('refuses unknown parameters, too-deep expansions and bad limits with 400s', async () => {
    const unknown = await get('/v1/customers?emial=x%40example.com');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'parameter_unknown', param: 'emial' } });
    const deep = await get('/v1/customers?expand[]=data.subscriptions.data.items.data.price.product');
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: { message: string } }).error.message).toMatch(/more than 4 levels/);
    expect((await get('/v1/products?limit=101')).status).toBe(400);
  });

  it('lists products by ids', async () => {
    const a = fake.addProduct({ name: 'A' });
    fake.addProduct({ name: 'B' });
    const c = fake.addProduct({ name: 'C' });
    const body = (await (await get(`/v1/products?ids[0]=${a.id}&ids[1]=${c.id}`)).json()) as { data: { id: string; name: string }[] };
    expect(body.data.map((p) => p.name).sort()).toEqual(['A', 'C']);
  });

  it('rate limit: the request over the limit in one second gets Stripe’s 429 (rate_limit), which the SDK raises as StripeRateLimitError', async () => {
    fake.rateLimitPerSecond = 3;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get('/v1/products')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const client = new Stripe(fake.apiKey, { host: '127.0.0.1', port: new URL(fake.url).port, protocol: 'http', maxNetworkRetries: 0 });
    const error = await client.products.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error).toMatchObject({ code: 'rate_limit', statusCode: 429 });
  });

  it('limits each endpoint to Stripe’s default 25 requests a second, under a live account’s 100, naming the limiter in Stripe-Rate-Limited-Reason', async () => {
    const live = await startFakeStripe({ apiKey: 'sk_live_endpointLimit123' });
    const call = (path: string) => fetch(`${live.url}${path}`, { headers: { authorization: `Bearer ${live.apiKey}` } });
    try {
      const customers = await Promise.all(Array.from({ length: 26 }, () => call('/v1/customers')));
      expect(customers.filter((r) => r.status === 200)).toHaveLength(25);
      const refused = customers.find((r) => r.status === 429)!;
      expect(refused.headers.get('stripe-rate-limited-reason')).toBe('endpoint-rate');
      expect(await refused.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'rate_limit' } });
      // Another endpoint has its own 25 in the same second.
      expect((await call('/v1/products')).status).toBe(200);
    } finally {
      await live.close();
    }
  });

  it('the account’s global limit refuses with global-rate; search endpoints share 20 a second', async () => {
    const sandbox = await startFakeStripe();
    const call = (path: string) => fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } });
    try {
      const spread = await Promise.all(Array.from({ length: 26 }, (_, i) => call(i % 2 ? '/v1/products' : '/v1/subscriptions')));
      expect(spread.filter((r) => r.status === 429).map((r) => r.headers.get('stripe-rate-limited-reason'))).toEqual(['global-rate']);
    } finally {
      await sandbox.close();
    }
    const live = await startFakeStripe({ apiKey: 'sk_live_searchLimit123' });
    try {
      const searches = await Promise.all(Array.from({ length: 21 }, () => fetch(`${live.url}/v1/customers/search?query=${encodeURIComponent('email:"a@example.com"')}`, { headers: { authorization: `Bearer ${live.apiKey}` } })));
      expect(searches.filter((r) => r.status === 429).map((r) => r.headers.get('stripe-rate-limited-reason'))).toEqual(['endpoint-rate']);
    } finally {
      await live.close();
    }
  });

  it('searches customers by email whatever its case, matching the query’s words in order, after the search lag', async () => {
    const jane = fake.addCustomer({ email: 'Jane.Search@Example.com' });
    const longer = fake.addCustomer({ email: 'jane.search@example.com.au' });
    fake.addCustomer({ email: 'someone@example.com' });
    const search = async (query: string) => {
      const response = await get(`/v1/customers/search?query=${encodeURIComponent(query)}`);
      return { status: response.status, body: (await response.json()) as { object: string; data: { id: string }[]; next_page: string | null } };
    };
    const found = await search('email:"jane.search@example.com"');
    expect(found.body).toMatchObject({ object: 'search_result', next_page: null });
    // Stripe: an exact string match is any record holding all the query's words in order.
    expect(new Set(found.body.data.map((c) => c.id))).toEqual(new Set([jane.id, longer.id]));
    expect((await search('name:"Jane"')).status).toBe(400);

    fake.searchLagMs = 60_000;
    try {
      fake.addCustomer({ email: 'Fresh@Example.com' });
      expect((await search("email:'fresh@example.com'")).body.data).toEqual([]);
    } finally {
      fake.searchLagMs = 0;
    }
  });

  it('defaults to Stripe’s read limits: 25/s for a test key, 100/s for a live key', async () => {
    const test = await startFakeStripe();
    const live = await startFakeStripe({ apiKey: 'sk_live_abc123' });
    try {
      expect(test.rateLimitPerSecond).toBe(25);
      expect(live.rateLimitPerSecond).toBe(100);
      expect(live.livemode).toBe(true);
    } finally {
      await Promise.all([test.close(), live.close()]);
    }
  });

  it('failNext, latency and the request log', async () => {
    fake.failNext(2, 503);
    fake.latencyMs = 50;
    const started = Date.now();
    expect((await get('/v1/products')).status).toBe(503);
    expect((await get('/v1/products')).status).toBe(503);
    expect((await get('/v1/products')).status).toBe(200);
    fake.latencyMs = 0;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(fake.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', '/v1/products', 503],
      ['GET', '/v1/products', 503],
      ['GET', '/v1/products', 200],
    ]);
  });

  it('a restricted key without a permission gets 403, which the SDK raises as StripePermissionError', async () => {
    const restricted = await startFakeStripe({ apiKey: 'rk_test_restricted123' });
    try {
      restricted.deny('subscriptions');
      const client = new Stripe(restricted.apiKey, { host: '127.0.0.1', port: new URL(restricted.url).port, protocol: 'http', maxNetworkRetries: 0 });
      await expect(client.customers.list({ expand: ['data.subscriptions'] })).rejects.toBeInstanceOf(Stripe.errors.StripePermissionError);
      await expect(client.customers.list()).resolves.toMatchObject({ object: 'list' });
    } finally {
      await restricted.close();
    }
  });

  it('objects carry the fixture shapes with the seeded values', async () => {
    const customer = fake.addCustomer({ email: 'shape@example.com', name: 'Shape' });
    const subscription = fake.addSubscription(customer.id, { status: 'trialing', quantity: 2 });
    expect(customer).toMatchObject({ object: 'customer', email: 'shape@example.com', name: 'Shape', livemode: false, discount: null, invoice_settings: expect.any(Object) });
    expect(subscription).toMatchObject({ object: 'subscription', customer: customer.id, status: 'trialing', cancel_at_period_end: false, ended_at: null });
    const item = (subscription['items'] as { data: Record<string, unknown>[] }).data[0];
    expect(item).toMatchObject({ object: 'subscription_item', quantity: 2, current_period_end: subscription['trial_end'], price: { object: 'price', recurring: { interval: 'month' } } });
  });
});
