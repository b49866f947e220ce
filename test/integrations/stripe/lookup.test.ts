import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import Stripe from 'stripe';
import {
  STRIPE_COLD_LOOKUP_SEQUENTIAL_CALLS,
  STRIPE_NO_CURRENT_SUBSCRIPTION_EXTRA_CALLS,
  STRIPE_WARM_LOOKUP_SEQUENTIAL_CALLS,
} from '../../../integrations/stripe/account-data.js';
import { STRIPE_EVERY_CARD_KEY } from '../../../integrations/stripe/facts.js';
import { DAY_MS, signal, startStripeHarness, type StripeHarness } from './support.js';

let harness: StripeHarness;
let emails = 0;
/** A fresh address per test: the fake account is shared by the file. */
const newEmail = () => `customer${++emails}@example.com`;

beforeAll(async () => {
  harness = await startStripeHarness();
});
afterAll(() => harness.close());
beforeEach(() => {
  harness.fake.requests.length = 0;
  harness.fake.latencyMs = 0;
  harness.fake.hang = false;
});

describe('Stripe account data: finding the customer', () => {
  it('a paying customer: plan, price, status paid, renewal and test-mode dashboard links with the ids', async () => {
    const { fake } = harness;
    const email = newEmail();
    const customer = fake.addCustomer({ email, name: 'Jane Doe', metadata: { company: 'Acme GmbH' }, created: new Date('2024-02-03T10:00:00Z') });
    const product = fake.addProduct({ name: 'Team' });
    const price = fake.addPrice({ product: product.id, unitAmount: 4900, currency: 'eur', interval: 'month' });
    const renews = new Date(Date.now() + 12 * DAY_MS);
    const subscription = fake.addSubscription(customer.id, { price: price.id, currentPeriodEnd: renews });

    const facts = await harness.accountData.lookup(email, signal());

    expect(facts).toMatchObject({
      source: 'stripe',
      company: 'Acme GmbH',
      customerSince: new Date('2024-02-03T10:00:00Z'),
      plan: { name: 'Team', interval: 'month', amountMinor: 4900, currency: 'eur' },
      status: 'paid',
      renewsAt: new Date(Math.floor(renews.getTime() / 1000) * 1000),
      otherMatches: 0,
      keys: [customer.id, subscription.id, STRIPE_EVERY_CARD_KEY],
      extra: { 'Billing name': 'Jane Doe' },
    });
    expect(facts?.trialEndsAt).toBeUndefined();
    expect(facts?.seats).toBeUndefined();
    expect(facts?.links).toEqual([
      { label: 'Stripe customer', text: customer.id, url: `https://dashboard.stripe.com/test/customers/${customer.id}` },
      { label: 'Subscription', text: subscription.id, url: `https://dashboard.stripe.com/test/subscriptions/${subscription.id}` },
    ]);
  });

  it('asks Stripe for the customer by exact email with subscriptions expanded, on the SDK’s pinned API version', async () => {
    const email = newEmail();
    harness.fake.addCustomer({ email });
    await harness.accountData.lookup(email, signal());
    const [first] = harness.fake.requests;
    expect(first).toMatchObject({ method: 'GET', path: '/v1/customers', query: { email: [email], limit: ['10'], expand: ['data.subscriptions'] } });
    expect(first?.stripeVersion).toBe(Stripe.API_VERSION);
  });

  it('seats, a price nickname and a three-monthly interval', async () => {
    const { fake } = harness;
    const email = newEmail();
    const customer = fake.addCustomer({ email });
    const product = fake.addProduct({ name: 'Business' });
    const price = fake.addPrice({ product: product.id, unitAmount: 1500, currency: 'usd', interval: 'month', intervalCount: 3, nickname: 'Quarterly' });
    fake.addSubscription(customer.id, { items: [{ price: price.id, quantity: 7 }] });

    const facts = await harness.accountData.lookup(email, signal());

    expect(facts?.plan).toEqual({ name: 'Business (Quarterly)', interval: '3 months', amountMinor: 10_500, currency: 'usd' });
    expect(facts?.seats).toEqual({ used: null, limit: 7 });
  });

  it('a trial: status trialing with the trial end, and no renewal date beside it', async () => {
    const { fake } = harness;
    const email = newEmail();
    const customer = fake.addCustomer({ email });
    const trialEnd = new Date(Math.floor((Date.now() + 5 * DAY_MS) / 1000) * 1000);
    fake.addSubscription(customer.id, { status: 'trialing', trialEnd, unitAmount: 900 });

    const facts = await harness.accountData.lookup(email, signal());

    expect(facts).toMatchObject({ status: 'trialing', trialEndsAt: trialEnd });
    expect(facts?.renewsAt).toBeUndefined();
  });

  it('several customers with one email: the one Stripe is billing is shown, the others counted, all their ids kept', async () => {
    const { fake } = harness;
    const email = newEmail();
    const paying = fake.addCustomer({ email, name: 'First checkout', created: new Date('2023-01-01T00:00:00Z') });
    fake.addSubscription(paying.id, { status: 'active', unitAmount: 2900 });
    const newer = fake.addCustomer({ email, name: 'Abandoned checkout', created: new Date('2025-06-01T00:00:00Z') });
    const newest = fake.addCustomer({ email, name: 'Test purchase', created: new Date('2025-07-01T00:00:00Z') });
    fake.addSubscription(newest.id, { status: 'incomplete', unitAmount: 2900 });

    const facts = await harness.accountData.lookup(email, signal());

    expect(facts).toMatchObject({ status: 'paid', otherMatches: 2, extra: { 'Billing name': 'First checkout' } });
    expect(facts?.links?.[0]?.url).toContain(paying.id);
    expect(facts?.keys).toEqual(expect.arrayContaining([paying.id, newer.id, newest.id]));
  });

  it('several customers and none subscribed: the newest is shown, with no subscription', async () => {
    const { fake } = harness;
    const email = newEmail();
    fake.addCustomer({ email, created: new Date('2024-01-01T00:00:00Z') });
    const newest = fake.addCustomer({ email, created: new Date('2025-01-01T00:00:00Z') });

    const facts = await harness.accountData.lookup(email, signal());

    expect(facts).toMatchObject({ status: 'none', otherMatches: 1, customerSince: new Date('2025-01-01T00:00:00Z') });
    expect(facts?.keys?.[0]).toBe(newest.id);
    expect(facts?.plan).toBeUndefined();
  });

  it('no customer with this email: null (a lead), after the exact list and the case-insensitive search', async () => {
    expect(await harness.accountData.lookup(newEmail(), signal())).toBeNull();
    expect(harness.fake.requests.map((r) => r.path)).toEqual(['/v1/customers', '/v1/customers/search']);
  });

  it('a customer saved in Stripe as Jane@Example.com is found for jane@example.com (Search API, case-insensitive), and only that address', async () => {
    const { fake } = harness;
    const customer = fake.addCustomer({ email: 'Jane.Case@Example.com', name: 'Jane Case' });
    // Stripe's exact string match is "all the query's words in order": this one matches too, and is not Jane.
    fake.addCustomer({ email: 'jane.case@example.com.au', name: 'Someone in Australia' });
    fake.addSubscription(customer.id, { product: fake.addProduct({ name: 'Mixed case plan' }).id });

    const facts = await harness.accountData.lookup('jane.case@example.com', signal());

    expect(facts).toMatchObject({ status: 'paid', plan: { name: 'Mixed case plan' }, otherMatches: 0, extra: { 'Billing name': 'Jane Case' } });
    expect(facts?.keys?.[0]).toBe(customer.id);
    const search = harness.fake.requests.find((r) => r.path === '/v1/customers/search');
    expect(search?.query).toMatchObject({ query: ['email:"jane.case@example.com"'], expand: ['data.subscriptions'] });
    expect(harness.fake.requests.map((r) => r.path)).toEqual(['/v1/customers', '/v1/customers/search', '/v1/products']);
  });

  it('search is only asked when the exact, strongly consistent list finds nobody', async () => {
    const email = newEmail();
    harness.fake.addCustomer({ email });
    await harness.accountData.lookup(email, signal());
    expect(harness.fake.requests.map((r) => r.path)).not.toContain('/v1/customers/search');
  });

  it('within Stripe’s search lag a mixed-case customer is not found yet; once indexed, it is', async () => {
    const { fake } = harness;
    fake.searchLagMs = 300;
    try {
      fake.addCustomer({ email: 'Just.Paid@Example.com' });
      expect(await harness.accountData.lookup('just.paid@example.com', signal())).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await harness.accountData.lookup('just.paid@example.com', signal())).toMatchObject({ source: 'stripe' });
    } finally {
      fake.searchLagMs = 0;
    }
  });

  it('a Stripe account without search (400, e.g. accounts in India) still gets the exact match’s answer', async () => {
    harness.fake.failNext(1, 400, { path: '/v1/customers/search' });
    expect(await harness.accountData.lookup(newEmail(), signal())).toBeNull();
    expect(harness.fake.requests.map((r) => [r.path, r.status])).toEqual([
      ['/v1/customers', 200],
      ['/v1/customers/search', 400],
    ]);
  });

  it('the card’s keys name the customers and their subscriptions, so a change notification naming only a subscription finds it', async () => {
    const { fake } = harness;
    const email = newEmail();
    const customer = fake.addCustomer({ email });
    const active = fake.addSubscription(customer.id, { status: 'active' });
    const trial = fake.addSubscription(customer.id, { status: 'trialing' });
    const facts = await harness.accountData.lookup(email, signal());
    expect(new Set(facts?.keys)).toEqual(new Set([customer.id, active.id, trial.id, STRIPE_EVERY_CARD_KEY]));
  });

  it('a customer who canceled is shown as canceled, not as never subscribed (one call more for ended subscriptions)', async () => {
    const { fake } = harness;
    const email = newEmail();
    const customer = fake.addCustomer({ email });
    const product = fake.addProduct({ name: 'Legacy plan' });
    const endedAt = new Date('2025-03-01T12:00:00Z');
    const subscription = fake.addSubscription(customer.id, { status: 'canceled', product: product.id, unitAmount: 1000, endedAt });

    const facts = await harness.accountData.lookup(email, signal());

    expect(facts).toMatchObject({ status: 'canceled', plan: { name: 'Legacy plan' }, extra: { Ended: '2025-03-01 12:00 UTC' } });
    expect(facts?.links?.[1]?.url).toContain(subscription.id);
    expect(harness.fake.requests.map((r) => r.path)).toEqual(['/v1/customers', '/v1/subscriptions', '/v1/products']);
    expect(harness.fake.requests[1]?.query).toMatchObject({ customer: [customer.id], status: ['ended'] });
    expect(harness.fake.requests).toHaveLength(STRIPE_COLD_LOOKUP_SEQUENTIAL_CALLS + STRIPE_NO_CURRENT_SUBSCRIPTION_EXTRA_CALLS);
  });
});

describe('Stripe account data: calls and caching', () => {
  it('product names are cached: a cold lookup makes the documented number of calls, a warm one one call', async () => {
    const { fake } = harness;
    const email = newEmail();
    const customer = fake.addCustomer({ email });
    fake.addSubscription(customer.id, { product: fake.addProduct({ name: 'Cached plan' }).id, unitAmount: 100 });

    await harness.accountData.lookup(email, signal());
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/customers', '/v1/products']);
    expect(fake.requests).toHaveLength(STRIPE_COLD_LOOKUP_SEQUENTIAL_CALLS);

    fake.requests.length = 0;
    const warm = await harness.accountData.lookup(email, signal());
    expect(warm?.plan?.name).toBe('Cached plan');
    expect(fake.requests).toHaveLength(STRIPE_WARM_LOOKUP_SEQUENTIAL_CALLS);
  });

  it('product names are fetched again after ten minutes (a renamed product shows)', async () => {
    const { fake } = harness;
    let now = Date.now();
    const accountData = harness.capability({}, { now: () => new Date(now) });
    const email = newEmail();
    const customer = fake.addCustomer({ email });
    const product = fake.addProduct({ name: 'Old name' });
    fake.addSubscription(customer.id, { product: product.id });

    expect((await accountData.lookup(email, signal()))?.plan?.name).toBe('Old name');
    product['name'] = 'New name';
    now += 9 * 60_000;
    expect((await accountData.lookup(email, signal()))?.plan?.name).toBe('Old name');
    now += 2 * 60_000;
    expect((await accountData.lookup(email, signal()))?.plan?.name).toBe('New name');
  });

  it('every call is reported with its status (for /metrics)', async () => {
    const email = newEmail();
    harness.fake.addSubscription(harness.fake.addCustomer({ email }).id, { product: harness.fake.addProduct({ name: 'Metered' }).id });
    harness.calls.length = 0;
    await harness.accountData.lookup(email, signal());
    expect(harness.calls).toEqual([
      { method: 'GET', path: '/v1/customers', status: 200 },
      { method: 'GET', path: '/v1/products', status: 200 },
    ]);
  });
});

describe('Stripe account data: failures', () => {
  it('a 500 from Stripe rejects the lookup (the card says Stripe could not be reached), without a retry', async () => {
    harness.fake.failNext(1, 500);
    await expect(harness.accountData.lookup(newEmail(), signal())).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(harness.fake.requests).toHaveLength(1);
    expect(harness.calls.at(-1)?.status).toBe(500);
  });

  it('a 429 (no Retry-After, as Stripe documents it) is waited out for a second, then asked again; the SDK itself never retries', async () => {
    harness.fake.failNext(1, 429);
    expect(await harness.accountData.lookup(newEmail(), signal())).toBeNull();
    const [refused, again] = harness.fake.requests;
    expect([refused?.status, again?.path]).toEqual([429, '/v1/customers']);
    expect(again!.at - refused!.at).toBeGreaterThanOrEqual(990);
    expect(harness.calls.filter((c) => c.status === 429)).toHaveLength(1);
  });

  it('a wrong key: lookups reject and the connection check says the key was refused, without echoing it', async () => {
    const wrong = harness.capability({ STRIPE_SECRET_KEY: 'sk_test_wrongkey1234567890' });
    await expect(wrong.lookup(newEmail(), signal())).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const check = await wrong.checkConnection();
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/rejected the API key \(401\)/);
    expect(JSON.stringify(check)).not.toContain('wrongkey');
  });

  it('the connection check passes with the right key and fails when a restricted key cannot read products', async () => {
    expect(await harness.accountData.checkConnection()).toMatchObject({ ok: true });
    const restricted = await startStripeHarness();
    try {
      restricted.fake.deny('products');
      const check = await restricted.accountData.checkConnection();
      expect(check).toMatchObject({ ok: false, detail: expect.stringMatching(/lacks a permission \(403\)/) });
      expect(check.hint).toMatch(/Products/);
    } finally {
      await restricted.close();
    }
  });

  it('an unreachable Stripe: the check is not ok and says so', async () => {
    const down = await startStripeHarness();
    const accountData = down.accountData;
    await down.close();
    expect(await accountData.checkConnection()).toMatchObject({ ok: false, detail: expect.stringMatching(/^Stripe/) });
  });

  it('when the sidebar gives up (signal aborted) the request in flight is cancelled, not left open', async () => {
    const { fake } = harness;
    const email = newEmail();
    fake.addCustomer({ email });
    fake.hang = true;
    const abort = new AbortController();
    const lookup = harness.accountData.lookup(email, abort.signal);
    lookup.catch(() => {});
    await vi.waitFor(() => expect(fake.openRequests).toBe(1));
    abort.abort(new DOMException('sidebar budget spent', 'TimeoutError'));
    // Well before the SDK's own request timeout (STRIPE_REQUEST_TIMEOUT_MS) would close it.
    await vi.waitFor(() => expect(fake.openRequests).toBe(0), { timeout: 1000 });
    await expect(lookup).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('an already aborted lookup asks Stripe nothing', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(harness.accountData.lookup(newEmail(), abort.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(harness.fake.requests).toHaveLength(0);
  });

  it('aborted between calls: the products call is not made', async () => {
    const { fake } = harness;
    const email = newEmail();
    fake.addSubscription(fake.addCustomer({ email }).id, { product: fake.addProduct({ name: 'Never fetched' }).id });
    const abort = new AbortController();
    // The budget runs out the moment the customers answer is in.
    const accountData = harness.capability({}, { onVendorRequest: (_method, path) => path === '/v1/customers' && abort.abort() });
    await expect(accountData.lookup(email, abort.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/customers']);
  });
});

describe('Stripe account data: live mode', () => {
  it('live objects link to the live dashboard', async () => {
    const live = await startStripeHarness({ fake: { apiKey: 'rk_live_fakeRestrictedKey123' } });
    try {
      const email = 'buyer@example.com';
      const customer = live.fake.addCustomer({ email });
      const subscription = live.fake.addSubscription(customer.id, {});
      const facts = await live.accountData.lookup(email, signal());
      expect(facts?.links?.map((l) => l.url)).toEqual([
        `https://dashboard.stripe.com/customers/${customer.id}`,
        `https://dashboard.stripe.com/subscriptions/${subscription.id}`,
      ]);
    } finally {
      await live.close();
    }
  });
});
