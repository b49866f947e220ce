import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.js';
import type { FakeStripe } from '../../fakes/stripe/index.js';
import { openTestStore } from '../helpscout/support.js';
import { signal, startStripeHarness, type StripeHarness } from './support.js';

/**
 * Stripe's documented limits (docs.stripe.com/rate-limits): 100 requests a second per account in
 * live mode, 25 in a sandbox or test mode; 25 a second per endpoint unless noted; 20 a second over
 * all search endpoints. The fake enforces them (429 with Stripe-Rate-Limited-Reason); the hub
 * budgets them in the shared token buckets of src/vendors/ (in the database, so every hub process
 * draws from one budget).
 */

let harness: StripeHarness;
let fake: FakeStripe;
let store: Store;
let closeStore: () => Promise<void>;
let seq = 0;

beforeAll(async () => {
  // A test key: the sandbox's 25 a second for the whole account, as Stripe documents it.
  harness = await startStripeHarness({ fake: { rateLimitPerSecond: undefined } });
  fake = harness.fake;
  ({ store, close: closeStore } = await openTestStore());
});
afterAll(async () => {
  await harness.close();
  await closeStore();
});
beforeEach(() => {
  fake.requests.length = 0;
});

/** Two hub processes: two capabilities on one database, with the same key. */
const twoProcesses = () => [harness.capability({}, { store }), harness.capability({}, { store })] as const;

describe('Stripe rate limits', () => {
  it('a burst of cold cards from two hub processes gets no 429: every lookup is answered, spread under the documented limits', async () => {
    expect(fake.rateLimitPerSecond).toBe(25);
    const run = ++seq;
    const plan = fake.addProduct({ name: 'Burst plan' });
    const emails: string[] = [];
    for (let i = 0; i < 30; i++) {
      const email = `burst${run}-${i}@example.com`;
      fake.addSubscription(fake.addCustomer({ email }).id, { product: plan.id });
      emails.push(email);
    }
    // Saved with capitals: found through the Search API (its own 20 a second).
    for (let i = 0; i < 10; i++) {
      fake.addSubscription(fake.addCustomer({ email: `Burst${run}-Mixed${i}@Example.com` }).id, { product: plan.id });
      emails.push(`burst${run}-mixed${i}@example.com`);
    }
    const [first, second] = twoProcesses();

    const started = Date.now();
    const results = await Promise.allSettled(emails.map((email, i) => (i % 2 ? first : second).lookup(email, signal())));

    expect(fake.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(results.every((r) => r.status === 'fulfilled' && r.value?.plan?.name === 'Burst plan')).toBe(true);
    // 40 list calls cannot fit in one second of a 25-a-second endpoint: the budget spread them.
    const lists = fake.requests.filter((r) => r.path === '/v1/customers').map((r) => r.at);
    expect(lists).toHaveLength(40);
    for (const at of lists) expect(lists.filter((t) => t > at - 1000 && t <= at).length).toBeLessThanOrEqual(25);
    expect(Date.now() - started).toBeGreaterThan(1000);
  });

  it('a 429 with Retry-After pauses every process’s Stripe calls for all of it; the lookup asks again after it and is answered', async () => {
    const email = `retry${++seq}@example.com`;
    fake.addCustomer({ email });
    const [first, second] = twoProcesses();
    fake.failNext(1, 429, { path: '/v1/customers', retryAfterSeconds: 2, rateLimitedReason: 'global-rate' });

    const answered = first.lookup(email, signal());
    await expect.poll(() => fake.requests.some((r) => r.status === 429)).toBe(true);
    const refusedAt = fake.requests.find((r) => r.status === 429)!.at;
    const other = await second.lookup(`other${seq}@example.com`, signal());

    expect(await answered).toMatchObject({ source: 'stripe' });
    expect(other).toBeNull();
    // Nothing reached Stripe before the Retry-After had passed, from either process.
    const after = fake.requests.filter((r) => r.at > refusedAt);
    expect(after.length).toBeGreaterThanOrEqual(3);
    for (const request of after) expect(request.at - refusedAt).toBeGreaterThanOrEqual(1950);
  });

  it('a Retry-After longer than a lookup may wait: the lookup fails now (the card says Stripe could not be reached), and no process asks Stripe before it passes', async () => {
    const [first, second] = twoProcesses();
    fake.failNext(1, 429, { path: '/v1/customers', retryAfterSeconds: 30, rateLimitedReason: 'global-rate' });
    await expect(first.lookup(`long${++seq}@example.com`, signal())).rejects.toMatchObject({ kind: 'rate_limited' });
    await expect(second.lookup(`long-other${seq}@example.com`, signal())).rejects.toMatchObject({ kind: 'rate_limited' });
    expect(fake.requests.map((r) => r.status)).toEqual([429]);
  });
});
