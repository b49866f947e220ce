import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { product } from '../../integrations/product/index.js';
import { stripe } from '../../integrations/stripe/index.js';
import { startFakeStripe, type FakeStripe } from '../fakes/stripe/index.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { dynamicAppBody, helpScoutCardHtml } from './support.js';
import { PRODUCT_SECRET, startProductEndpoint } from './app-support.js';

/**
 * The card end to end: Help Scout's signed callback → the hub → the fake Stripe and the product's
 * own lookup endpoint, both over real HTTP, through the cache and the Stripe webhook.
 */

const SECRET = 'dynamic-app-secret-stripe-01';

async function startCardHub(fake: FakeStripe, productUrl: string, extra: Record<string, string> = {}) {
  const t = await startTestHub('pglite', {
    integrations: [helpscout, stripe, product],
    env: {
      HELPSCOUT_SIDEBAR_SECRET: SECRET,
      ...fake.env,
      PRODUCT_LOOKUP_URL: productUrl,
      PRODUCT_LOOKUP_SECRET: PRODUCT_SECRET,
      PRODUCT_NAME: 'Pancakes app',
      // Generous: a first Stripe lookup under CI load must not miss it (the hang test waits it out).
      SIDEBAR_BUDGET_MS: '3000',
      ...extra,
    },
  });
  const base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  const card = (email: string): Promise<string> => helpScoutCardHtml(base, SECRET, dynamicAppBody({ customer: { email, emails: [email] } }));
  return { t, base, card };
}

const customersAsked = (fake: FakeStripe, email: string) => fake.requests.filter((r) => r.path === '/v1/customers' && r.query['email']?.includes(email)).length;

function seedPayingCustomer(fake: FakeStripe, email: string, company: string) {
  const customer = fake.addCustomer({ email, name: 'Jane Doe', metadata: { company } });
  const team = fake.addProduct({ name: 'Team' });
  const price = fake.addPrice({ product: team.id, unitAmount: 4900, currency: 'eur', interval: 'month' });
  const subscription = fake.addSubscription(customer.id, { price: price.id, quantity: 12, currentPeriodEnd: new Date('2026-12-01T00:00:00Z') });
  return { customer, subscription };
}

/** The fake Stripe, the product's endpoint and a hub using both; `stop` ends all three. */
async function startCardWorld(extra: Record<string, string> = {}) {
  const fake = await startFakeStripe({ rateLimitPerSecond: null });
  const productEndpoint = await startProductEndpoint();
  const hub = await startCardHub(fake, productEndpoint.url, extra);
  const stop = async () => {
    await hub.t.stop();
    await fake.close();
    productEndpoint.server.close();
  };
  return { fake, productEndpoint, hub, stop };
}
type CardWorld = Awaited<ReturnType<typeof startCardWorld>>;

describe('sidebar card with Stripe and the product’s facts', () => {
  let world: CardWorld;
  let fake: FakeStripe;
  let productEndpoint: CardWorld['productEndpoint'];
  let hub: CardWorld['hub'];

  beforeAll(async () => {
    ({ fake, productEndpoint, hub } = world = await startCardWorld());
  });
  afterAll(() => world?.stop());

  it('shows Stripe’s plan, status, renewal and dashboard links beside the product’s own facts', async () => {
    const { customer, subscription } = seedPayingCustomer(fake, 'jane@pancake.example', 'Pancake Palace GmbH');
    productEndpoint.accounts.set('jane@pancake.example', { company: 'Pancake Palace GmbH', role: 'owner', limits: [{ label: 'Employees', used: 48, limit: 50 }], modules: ['payroll'], timeZone: 'Europe/Berlin' });
    const html = await hub.card('jane@pancake.example');
    expect(html).toContain('<h4>Pancake Palace GmbH</h4>');
    expect(html).toContain('<span class="badge green">paid</span>');
    expect(html).toContain('<span class="badge blue">owner</span>');
    expect(html).toContain('Team · €588.00 / month'); // 12 seats × €49
    expect(html).toContain('2026-12-01 00:00 UTC <span class="muted">customer: 2026-12-01 01:00 Europe/Berlin</span>');
    expect(html).toContain('48 of 50');
    expect(html).toContain(`<a href="https://dashboard.stripe.com/test/customers/${customer.id}" target="_blank" rel="noopener noreferrer">${customer.id}</a>`);
    expect(html).toContain(`<a href="https://dashboard.stripe.com/test/subscriptions/${subscription.id}" target="_blank" rel="noopener noreferrer">${subscription.id}</a>`);
    expect(html).toContain('Pancakes app<i class="caret sb-caret"></i>');
  });

  it('shows the customer with a live subscription when several Stripe customers share the email, and says how many others', async () => {
    const email = 'shared@pancake.example';
    fake.addCustomer({ email, name: 'Old duplicate', created: new Date('2021-01-01T00:00:00Z') });
    seedPayingCustomer(fake, email, 'Live Subscription Ltd');
    fake.addCustomer({ email, name: 'Newest, never paid', created: new Date('2026-11-01T00:00:00Z') });
    const html = await hub.card(email);
    expect(html).toContain('<h4>Live Subscription Ltd</h4>');
    expect(html).toContain('<span class="badge green">paid</span>');
    expect(html).toContain('2 more with this email');
  });

  it('answers within the budget with the product’s facts and billing unavailable while Stripe fails or hangs', async () => {
    productEndpoint.accounts.set('outage@pancake.example', { company: 'Outage Diner', limits: [{ label: 'Employees', used: 3, limit: 10 }] });
    seedPayingCustomer(fake, 'outage@pancake.example', 'Outage Diner');
    fake.failNext(1, 500); // the one lookup this card makes
    const failed = await hub.card('outage@pancake.example');
    expect(failed).toContain('<h4>Outage Diner</h4>');
    expect(failed).toContain('3 of 10');
    expect(failed).toContain('Stripe<i class="caret sb-caret"></i></div><div class="c-sb-section__body"><p><span class="badge orange">unavailable</span> <span class="muted">Billing unavailable: Stripe could not be reached.</span>');
    expect(failed).not.toContain('badge green">paid');

    productEndpoint.accounts.set('hang@pancake.example', { company: 'Hanging Grill' });
    seedPayingCustomer(fake, 'hang@pancake.example', 'Hanging Grill');
    fake.hang = true;
    try {
      const hung = await hub.card('hang@pancake.example');
      // The card came back while Stripe still held the request: the hub did not wait for it.
      expect(fake.openRequests).toBeGreaterThan(0);
      expect(hung).toContain('<h4>Hanging Grill</h4>');
      expect(hung).toContain('Billing unavailable: Stripe did not answer in time; it will show next time the card loads.');
    } finally {
      fake.hang = false;
    }
  });

  it('shows no Stripe or product data for an unverified identity, and does not ask either', async () => {
    const email = 'claimed@pancake.example';
    seedPayingCustomer(fake, email, 'Claimed Account Inc');
    productEndpoint.accounts.set(email, { company: 'Claimed Account Inc', modules: ['payroll'] });
    await hub.t.hub.ingest({
      channel: 'chat',
      source: 'chat:app1',
      sourceMessageId: 'anon-visitor-1',
      thread: { key: 'anon-visitor-1' },
      contact: { identityKind: 'chat', identityKey: 'app1:visitor-1', email, name: 'Visitor who typed an email', verified: false },
      text: 'What plan am I on?',
    });
    const html = await hub.card(email);
    expect(html).toContain('<span class="badge red">unverified sender</span>');
    expect(html).not.toContain('Claimed Account Inc');
    expect(html).not.toContain('Stripe');
    expect(html).not.toContain('payroll');
    expect(customersAsked(fake, email)).toBe(0);
    expect(productEndpoint.asked).not.toContain(email);
  });

  it('drops the cached answer on a verified Stripe webhook, in time for the next card; a forged one changes nothing', async () => {
    const email = 'webhook@pancake.example';
    const { subscription } = seedPayingCustomer(fake, email, 'Webhook Waffles');
    expect(await hub.card(email)).toContain('<span class="badge green">paid</span>');
    const asked = customersAsked(fake, email);
    await hub.card(email);
    expect(customersAsked(fake, email)).toBe(asked); // cached

    const previous = fake.updateSubscription(subscription.id, { status: 'past_due' });
    const event = fake.event('customer.subscription.updated', fake.subscription(subscription.id)!, previous);
    const forged = await fake.sendWebhook(`${hub.base}/webhooks/stripe`, event, { secret: 'whsec_not_the_right_one' });
    expect(forged.status).toBe(401);
    expect(await hub.card(email)).toContain('<span class="badge green">paid</span>');
    expect(customersAsked(fake, email)).toBe(asked);

    const accepted = await fake.sendWebhook(`${hub.base}/webhooks/stripe`, event);
    expect(accepted.status).toBe(200);
    expect(await hub.card(email)).toContain('<span class="badge red">past due</span>');
    expect(customersAsked(fake, email)).toBe(asked + 1);
  });

  it('a Stripe thin event (event destination, thin payload) for a plan change drops that customer’s card: the next card shows the new plan; a forged one changes nothing', async () => {
    const email = 'thin@pancake.example';
    const { subscription } = seedPayingCustomer(fake, email, 'Thin Crepes');
    expect(await hub.card(email)).toContain('Team · €588.00 / month');
    const asked = customersAsked(fake, email);

    const business = fake.addPrice({ product: fake.addProduct({ name: 'Business' }).id, unitAmount: 9900, currency: 'eur', interval: 'month' });
    fake.updateSubscriptionItems(subscription.id, [{ price: business.id, quantity: 12 }]);
    const event = fake.thinEvent('v1.customer.subscription.item_price_changed', fake.subscription(subscription.id)!);
    // The thin payload names the subscription, never the customer or the address.
    expect(JSON.stringify(event)).not.toContain(email);

    const forged = await fake.sendWebhook(`${hub.base}/webhooks/stripe`, event, { secret: 'whsec_not_the_right_one' });
    expect(forged.status).toBe(401);
    const stale = await fake.sendWebhook(`${hub.base}/webhooks/stripe`, event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(401);
    expect(await hub.card(email)).toContain('Team · €588.00 / month');
    expect(customersAsked(fake, email)).toBe(asked);

    const accepted = await fake.sendWebhook(`${hub.base}/webhooks/stripe`, event);
    expect(accepted.status).toBe(200);
    const html = await hub.card(email);
    expect(html).toContain('Business · €1,188.00 / month');
    expect(html).not.toContain('Team · ');
    expect(customersAsked(fake, email)).toBe(asked + 1);
  });

  it('refuses a webhook body that is not a Stripe event, and answers ids that are neither source nor helpdesk with 404', async () => {
    const notEvent = await fake.sendWebhook(`${hub.base}/webhooks/stripe`, JSON.stringify({ hello: 'world' }));
    expect(notEvent.status).toBe(400);
    const unknown = await fetch(`${hub.base}/webhooks/nobody`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
  });
});

describe('sidebar cache: a slow Stripe after a success gets the stale card while it refreshes', () => {
  let world: CardWorld;
  let fake: FakeStripe;
  let productEndpoint: CardWorld['productEndpoint'];
  let hub: CardWorld['hub'];

  beforeAll(async () => {
    ({ fake, productEndpoint, hub } = world = await startCardWorld({ SIDEBAR_CACHE_TTL_SECONDS: '1' }));
  });
  afterAll(() => world?.stop());

  it('serves the last answer marked "as of", then the refreshed one', async () => {
    const email = 'stale@pancake.example';
    const { subscription } = seedPayingCustomer(fake, email, 'Stale Pancakes');
    expect(await hub.card(email)).toContain('<span class="badge green">paid</span>');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the 1 s TTL
    fake.updateSubscription(subscription.id, { status: 'past_due' });
    fake.latencyMs = 2500; // slow (under the client's 3 s timeout): the stale card must not wait for it
    const asked = customersAsked(fake, email);
    const stale = await hub.card(email);
    const answeredAt = Date.now();
    expect(stale).toContain('<span class="badge green">paid</span>');
    expect(stale).toMatch(/As of \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC; refreshing\./);
    expect(stale).not.toContain('unavailable');
    // One refresh (it first takes its share of Stripe's rate budget, then asks), and Stripe had
    // not answered it when the stale card was: the card did not wait for it.
    await waitFor(() => customersAsked(fake, email) === asked + 1, 10_000);
    const refresh = fake.requests.filter((r) => r.path === '/v1/customers' && r.query['email']?.includes(email)).at(-1)!;
    expect(refresh.at + fake.latencyMs).toBeGreaterThan(answeredAt);
    fake.latencyMs = 0;
    await waitFor(async () => (await hub.card(email)).includes('<span class="badge red">past due</span>'), 20_000);
  });
});
