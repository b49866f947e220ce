import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import { createStripeAccountData, stripeConfigSchema } from '../../integrations/stripe/index.js';
import { stripeAccountWebhook } from '../../integrations/stripe/webhook.js';
import { startFakeStripe, type FakeStripe } from '../fakes/stripe/index.js';
import { STRIPE_FIXTURES_PATH } from '../fakes/stripe/model.js';
import { compareShapes, mergeShapes, shapeOf, showFinding, type ConformanceFinding, type Shape } from './json-shape.js';
import { recordingFetch, type RecordedExchange } from './recording-fetch.js';

/**
 * Stripe conformance: our fake and our adapter held to Stripe's own material, read in place:
 * - fixtures3.json (`stripe/openapi`, the example object per resource that stripe-mock serves;
 *   provenance in the "stripe/" section of shared/data/vendor/official/README.md): every object the
 *   fake serves or sends has the keys and JSON types of the fixture resource of its kind;
 * - the `stripe` package's TypeScript types: the fake's builders `satisfies` them (checked by
 *   tsc, not here), and every request our client sends uses only parameters its param interface
 *   declares (read from the SDK's own .d.ts files), with enum values it lists;
 * - the SDK's webhook parsers: every event the fake sends, snapshot and thin, is one the SDK
 *   accepts and our handler reads.
 */

/** The installed SDK's esm/ folder (its package.json exports no subpath to resolve it by). */
const SDK_ESM = dirname(fileURLToPath(import.meta.resolve('stripe')));
const fixtures = (JSON.parse(readFileSync(STRIPE_FIXTURES_PATH, 'utf8')) as { resources: Record<string, unknown> }).resources;
const fixtureShape = (name: string): Shape => shapeOf(fixtures[name]);

// ---- the ledger behind the summary line -------------------------------------------------------

type Finding = ConformanceFinding;
/**
 * N (artefacts): fixture resources at least one served or sent object was compared with (the
 * rule: one per kind of object the fake serves or sends that fixtures3.json has an example of).
 * M (validated): shape comparisons (one per kind and place, over every object of that kind merged)
 * + request checks (one per recorded request: its endpoint known, each parameter documented, each
 * enum value listed) + webhook checks (one per event sent: the SDK's parser and ours).
 * K (mismatches): shape findings + stale allowances + request findings + webhook findings.
 */
const usedFixtures = new Set<string>();
let validated = 0;
const findings: Finding[] = [];
const show = showFinding;

function shapeCheck(label: string, fixture: string, objects: unknown[], allow: Record<string, string> = {}) {
  if (objects.length === 0) {
    findings.push({ check: label, kind: 'not-exercised', where: '', expected: 'at least one object', actual: 'none' });
    return;
  }
  usedFixtures.add(fixture);
  validated++;
  const candidate = objects.map(shapeOf).reduce(mergeShapes);
  // Every kind compared here is one the fake claims to serve, so keys it lacks count (rule 4).
  const result = compareShapes(fixtureShape(fixture), candidate, { reportMissing: true, allow });
  const check = `fake ${label} vs fixtures3 ${fixture}`;
  findings.push(...result.findings.map((f) => ({ check, ...f })));
  findings.push(...result.unusedAllowances.map((where) => ({ check, kind: 'stale-allowance', where, expected: 'a key this allowance covers', actual: 'none' })));
}

// ---- allowances: why a served key differs from the fixture, each with its source ------------------

const SDK = `the stripe package's types (API ${Stripe.API_VERSION}, newer than the fixtures' 2026-07-29.dahlia)`;
const customerAllowances: Record<string, string> = {
  '/subscriptions': 'docs.stripe.com/api/customers/object: `subscriptions` is includable (expand[]=data.subscriptions, which the hub sends); not in the default object since API 2020-08-27',
  '/business_name': `${SDK}: Customer.business_name (optional; present when set, as the fake sets it for a business customer)`,
  '/metadata/company': 'docs.stripe.com/metadata: metadata keys are the account’s own; the hub reads `company` by convention (integrations/stripe/README.md)',
};
const subscriptionAllowances: Record<string, string> = {
  '/status_details': `${SDK}: Subscription.status_details, "Describes changes to the subscription's status" — on paused subscriptions (docs.stripe.com/changelog/endive/2026-09-30/pause-subscription); the example is active`,
  '/trial_settings/end_behavior/billing_cycle_anchor': `${SDK}: Subscription.TrialSettings.EndBehavior.billing_cycle_anchor (required, nullable)`,
};
const eventAllowances: Record<string, string> = {
  '/data/previous_attributes': 'docs.stripe.com/api/events/object: data.previous_attributes on *.updated events; the example is a plan.created',
};

// ---- documented request parameters, read from the SDK's own declarations ---------------------------

/** Top-level property names of an exported interface (and the interfaces it extends) in an SDK .d.ts file. */
function declaredProperties(file: string, name: string): Set<string> {
  const text = readFileSync(join(SDK_ESM, file), 'utf8');
  const start = new RegExp(`^export interface ${name}(?: extends (\\w+))? \\{$`, 'm').exec(text);
  if (!start) throw new Error(`no interface ${name} in stripe/esm/${file}`);
  const body = text.slice(start.index + start[0].length, text.indexOf('\n}', start.index));
  const names = new Set([...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]!));
  if (start[1] === 'PaginationParams') for (const inherited of declaredProperties('shared.d.ts', 'PaginationParams')) names.add(inherited);
  return names;
}

/** The string literals of `type <name> = 'a' | 'b' | OtherString;` inside a params namespace. */
function declaredValues(file: string, namespace: string, type: string): Set<string> {
  const text = readFileSync(join(SDK_ESM, file), 'utf8');
  const block = text.slice(text.indexOf(`export declare namespace ${namespace} {`));
  const line = new RegExp(`type ${type} = ([^;]+);`).exec(block);
  if (!line) throw new Error(`no type ${namespace}.${type} in stripe/esm/${file}`);
  return new Set([...line[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
}

/** Endpoint → the SDK method's params interface (the call sites in integrations/stripe/client.ts). */
const ENDPOINTS: Record<string, { file: string; params: string; enums?: Record<string, string> }> = {
  'GET /v1/customers': { file: 'resources/Customers.d.ts', params: 'CustomerListParams' },
  'GET /v1/customers/search': { file: 'resources/Customers.d.ts', params: 'CustomerSearchParams' },
  'GET /v1/subscriptions': { file: 'resources/Subscriptions.d.ts', params: 'SubscriptionListParams', enums: { status: 'Status' } },
  'GET /v1/products': { file: 'resources/Products.d.ts', params: 'ProductListParams' },
};

function requestCheck(exchange: RecordedExchange) {
  validated++;
  const endpoint = `${exchange.method} ${exchange.path}`;
  const check = `request ${endpoint}`;
  const spec = ENDPOINTS[endpoint];
  if (!spec) {
    findings.push({ check, kind: 'unknown-endpoint', where: exchange.path, expected: Object.keys(ENDPOINTS).join(', '), actual: endpoint });
    return;
  }
  const documented = declaredProperties(spec.file, spec.params);
  for (const [rawName, value] of exchange.query) {
    // The SDK encodes arrays as `expand[0]=…`: the parameter is `expand`.
    const name = rawName.replace(/\[\d*\]$/, '');
    if (!documented.has(name)) findings.push({ check, kind: 'undocumented-parameter', where: name, expected: [...documented].sort().join(', '), actual: name });
    const enumType = spec.enums?.[name];
    if (enumType && !declaredValues(spec.file, spec.params, enumType).has(value)) {
      findings.push({ check, kind: 'undocumented-value', where: name, expected: [...declaredValues(spec.file, spec.params, enumType)].join(', '), actual: value });
    }
  }
}

// ---- the run ----------------------------------------------------------------------------------

let fake: FakeStripe;
const recorder = recordingFetch();
const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;

/** A world with every shape the hub reads: each status, pause reason, price kind and address case. */
function seed(f: FakeStripe): string[] {
  const team = f.addProduct({ name: 'Team' });
  const storage = f.addProduct({ name: 'Storage' });
  const perSeat = f.addPrice({ product: team.id, unitAmount: 4900, currency: 'eur', nickname: 'Monthly' });
  const metered = f.addPrice({ product: storage.id, usageType: 'metered', unitAmount: 5 });
  const tiered = f.addPrice({ product: team.id, billingScheme: 'tiered', unitAmount: null, interval: 'year' });
  const emails: string[] = [];
  const customer = (email: string, extra: Parameters<FakeStripe['addCustomer']>[0] = { email }) => {
    emails.push(email.toLowerCase());
    return f.addCustomer({ ...extra, email });
  };
  f.addSubscription(customer('paying@example.com', { email: 'paying@example.com', name: 'Jane Doe', metadata: { company: 'Acme' } }).id, {
    items: [{ price: perSeat.id, quantity: 3 }, { price: metered.id }],
  });
  f.addSubscription(customer('business@example.com', { email: 'business@example.com', businessName: 'Acme Holdings' }).id, { status: 'trialing', price: tiered.id });
  for (const reason of ['pause_requested', 'first_payment_failure', 'final_payment_failure', 'system'] as const) {
    f.addSubscription(customer(`paused-${reason}@example.com`).id, { status: 'paused', price: perSeat.id, trialEnd: NOW - 300 * DAY, pauseReason: reason });
  }
  f.addSubscription(customer('trial-ended@example.com').id, { status: 'paused', price: perSeat.id, trialEnd: NOW - DAY, trialEndBehavior: 'pause' });
  f.addSubscription(customer('collection@example.com').id, { status: 'active', price: perSeat.id, pauseCollection: { behavior: 'void', resumesAt: NOW + 30 * DAY } });
  f.addSubscription(customer('churned@example.com').id, { status: 'canceled', price: perSeat.id });
  f.addSubscription(customer('Mixed.Case@Example.com').id, { price: perSeat.id, cancelAtPeriodEnd: true });
  emails.push('nobody@example.com');
  return emails;
}

const jsonOf = (exchange: RecordedExchange) => (exchange.response?.json ?? {}) as { data?: Record<string, unknown>[] };

/** Every object of each kind in the recorded answers. */
function servedObjects(exchanges: RecordedExchange[]) {
  const customers = exchanges.filter((e) => e.path === '/v1/customers' || e.path === '/v1/customers/search').flatMap((e) => jsonOf(e).data ?? []);
  const nested = customers.flatMap((c) => ((c['subscriptions'] as { data?: Record<string, unknown>[] } | undefined)?.data ?? []));
  const listed = exchanges.filter((e) => e.path === '/v1/subscriptions').flatMap((e) => jsonOf(e).data ?? []);
  const subscriptions = [...nested, ...listed];
  const items = subscriptions.flatMap((s) => (s['items'] as { data: Record<string, unknown>[] }).data);
  const products = exchanges.filter((e) => e.path === '/v1/products').flatMap((e) => jsonOf(e).data ?? []);
  return { customers, subscriptions, items, prices: items.map((i) => i['price']), plans: items.map((i) => i['plan']), products };
}

const webhookSecret = 'whsec_conformance';
const sdk = new Stripe('sk_test_conformance');

/** One event as Stripe would deliver it: the SDK's parser for its kind accepts it, and ours reads it. */
function webhookCheck(label: string, event: Record<string, unknown>, expectedKeys: string[]) {
  validated++;
  const check = `webhook ${label}`;
  const payload = JSON.stringify(event, null, 2);
  const header = fake.sign(payload, { secret: webhookSecret });
  try {
    if (event['object'] === 'v2.core.event') sdk.parseEventNotification(payload, header, webhookSecret);
    else Stripe.webhooks.constructEvent(payload, header, webhookSecret);
  } catch (error) {
    findings.push({ check, kind: 'sdk-refused', where: '', expected: 'parsed', actual: (error as Error).message });
  }
  const request: RawRequest = { rawBody: Buffer.from(payload), headers: { 'stripe-signature': header }, url: '/webhooks/stripe' };
  const webhook = stripeAccountWebhook(webhookSecret);
  const verdict = webhook.verify(request);
  if (!verdict.ok) {
    findings.push({ check, kind: 'refused', where: '', expected: 'verified', actual: verdict.reason });
    return;
  }
  try {
    const keys = webhook.changes(request).keys;
    for (const key of expectedKeys) if (!keys.includes(key)) findings.push({ check, kind: 'misread', where: 'keys', expected: key, actual: JSON.stringify(keys) });
  } catch (error) {
    findings.push({ check, kind: 'rejected', where: '', expected: 'read', actual: (error as Error).message });
  }
}

beforeAll(async () => {
  fake = await startFakeStripe({ rateLimitPerSecond: null, webhookSecret });
});
afterAll(() => fake.close());

describe('Stripe conformance', () => {
  it('every request our client sends uses parameters (and values) the SDK documents', async () => {
    const emails = seed(fake);
    const accountData = createStripeAccountData(stripeConfigSchema.parse({ secretKey: fake.apiKey, apiBase: fake.url }), { fetch: recorder.fetch });
    for (const email of emails) await accountData.lookup(email, new AbortController().signal);
    expect(await accountData.checkConnection()).toMatchObject({ ok: true });
    const paths = new Set(recorder.exchanges.map((e) => `${e.method} ${e.path}`));
    // Every call site was exercised: a documented-parameter check that saw no traffic proves nothing.
    expect([...paths].sort()).toEqual(Object.keys(ENDPOINTS).sort());
    expect(recorder.exchanges.every((e) => e.response?.status === 200)).toBe(true);
    for (const exchange of recorder.exchanges) requestCheck(exchange);
    expect(findings.map(show)).toEqual([]);
  });

  it('every object the fake served has the keys and types of Stripe’s example of its kind', () => {
    const served = servedObjects(recorder.exchanges);
    shapeCheck('customers', 'customer', served.customers, customerAllowances);
    shapeCheck('subscriptions', 'subscription', served.subscriptions, subscriptionAllowances);
    shapeCheck('subscription items', 'subscription_item', served.items);
    shapeCheck('prices', 'price', served.prices);
    shapeCheck('plans', 'plan', served.plans);
    shapeCheck('products', 'product', served.products);
    // The paused ones carry every documented reason; the check above saw their status_details.
    expect(new Set(served.subscriptions.map((s) => (s['status_details'] as { paused?: { subscription?: { type?: string } } } | undefined)?.paused?.subscription?.type).filter(Boolean))).toEqual(
      new Set(['pause_requested', 'first_payment_failure', 'final_payment_failure', 'system', 'trial_end_without_payment_method']),
    );
    expect(findings.map(show)).toEqual([]);
  });

  it('every event the fake sends, snapshot and thin, is Stripe’s shape, parsed by the SDK and read by our handler', () => {
    const customer = fake.addCustomer({ email: 'events@example.com' });
    const subscription = fake.addSubscription(customer.id, { status: 'past_due' });
    const invoice = fake.invoice(customer.id, { status: 'open' });
    const previous = fake.updateCustomer(customer.id, { email: 'events.new@example.com' });
    const snapshots = [
      fake.event('customer.updated', fake.customer(customer.id)!, previous),
      fake.event('customer.subscription.updated', subscription, { status: 'active' }),
      fake.event('invoice.payment_failed', invoice),
    ];
    const envelope = (event: Record<string, unknown>) => ({ ...event, data: { ...(event['data'] as object), object: null } });
    shapeCheck('snapshot events (envelope)', 'event', snapshots.map(envelope), eventAllowances);
    shapeCheck('invoices in events', 'invoice', [invoice]);
    webhookCheck('customer.updated', snapshots[0]!, [customer.id]);
    webhookCheck('customer.subscription.updated', snapshots[1]!, [customer.id]);
    webhookCheck('invoice.payment_failed', snapshots[2]!, [customer.id]);
    webhookCheck('v1.customer.updated', fake.thinEvent('v1.customer.updated', fake.customer(customer.id)!, { before: { email: 'events@example.com' }, after: { email: 'events.new@example.com' } }), [customer.id]);
    webhookCheck('v1.customer.subscription.updated', fake.thinEvent('v1.customer.subscription.updated', subscription), [subscription.id]);
    webhookCheck('v1.customer.subscription.item_price_changed', fake.thinEvent('v1.customer.subscription.item_price_changed', subscription), [subscription.id]);
    webhookCheck('v1.customer.discount.created', fake.thinEvent('v1.customer.discount.created', { type: 'discount', url: `/v1/customers/${customer.id}/discount` }), [customer.id]);
    webhookCheck('v1.invoice.paid', fake.thinEvent('v1.invoice.paid', invoice), []);
    expect(findings.map(show)).toEqual([]);
  });

  it('summary: every fixture resource the fake builds from was checked, no mismatches', () => {
    // N counts fixture resources compared with what the fake served or sent (rule above).
    process.stdout.write(`conformance vendor=stripe artefacts=${usedFixtures.size} validated=${validated} mismatches=${findings.length}\n`);
    expect(findings.map(show)).toEqual([]);
    expect([...usedFixtures].sort()).toEqual(['customer', 'event', 'invoice', 'plan', 'price', 'product', 'subscription', 'subscription_item']);
  });
});
