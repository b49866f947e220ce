import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountWebhook } from '../../../src/capabilities/account-data.js';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import { HubError } from '../../../src/errors.js';
import { createStripeAccountData, stripeConfigSchema } from '../../../integrations/stripe/index.js';
import { STRIPE_EVERY_CARD_KEY, stripeAccountWebhook } from '../../../integrations/stripe/webhook.js';
import { startFakeStripe, type FakeStripe } from '../../fakes/stripe/index.js';

/**
 * Stripe webhooks as they arrive: the fake signs and POSTs over real HTTP to a receiver that keeps
 * the exact bytes and headers (as the hub's raw-body route does), and the capability's webhook
 * part verifies and reads them.
 */

let fake: FakeStripe;
let receiver: Server;
let receiverUrl: string;
let received: RawRequest[] = [];
let webhook: AccountWebhook;

beforeAll(async () => {
  fake = await startFakeStripe({ rateLimitPerSecond: null });
  webhook = createStripeAccountData(stripeConfigSchema.parse({ secretKey: fake.apiKey, webhookSecret: fake.webhookSecret, apiBase: fake.url })).webhook!;
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ rawBody: Buffer.concat(chunks), headers: request.headers, url: request.url ?? '/' });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/stripe`;
});

afterAll(async () => {
  await fake.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

/** Sends through the fake and returns what the receiver got. */
async function deliver(event: Parameters<FakeStripe['sendWebhook']>[1], options?: Parameters<FakeStripe['sendWebhook']>[2]): Promise<RawRequest> {
  received = [];
  const response = await fake.sendWebhook(receiverUrl, event, options);
  expect(response.status).toBe(200);
  return received[0]!;
}

function raw(body: string, headers: IncomingHttpHeaders): RawRequest {
  return { rawBody: Buffer.from(body), headers, url: '/webhooks/stripe' };
}

describe('Stripe webhooks: what a verified event makes stale', () => {
  it('customer.updated: the customer id, its address and the address it had before', async () => {
    const customer = fake.addCustomer({ email: 'New@Example.com' });
    const previous = fake.updateCustomer(customer.id, { email: 'New@Example.com' });
    const request = await deliver(fake.event('customer.updated', customer, { ...previous, email: 'old@example.com' }));

    expect(webhook.verify(request)).toEqual({ ok: true });
    const change = webhook.changes(request);
    expect(change).toMatchObject({ type: 'customer.updated', keys: [customer.id] });
    expect(change.id).toMatch(/^evt_/);
    expect(change.emails.sort()).toEqual(['new@example.com', 'old@example.com']);
  });

  it('customer.subscription.*: the subscription’s customer', async () => {
    const customer = fake.addCustomer({ email: 'sub@example.com' });
    const subscription = fake.addSubscription(customer.id, { status: 'past_due' });
    const request = await deliver(fake.event('customer.subscription.updated', subscription, { status: 'active' }));

    expect(webhook.verify(request)).toEqual({ ok: true });
    expect(webhook.changes(request)).toMatchObject({ type: 'customer.subscription.updated', keys: [customer.id], emails: [] });
  });

  it('invoice.*: the invoice’s customer and customer_email', async () => {
    const customer = fake.addCustomer({ email: 'Billing@Example.com' });
    const request = await deliver(fake.event('invoice.payment_failed', fake.invoice(customer.id, { status: 'open' })));

    expect(webhook.verify(request)).toEqual({ ok: true });
    expect(webhook.changes(request)).toMatchObject({ keys: [customer.id], emails: ['billing@example.com'] });
  });

  it('customer.discount.* and other customer sub-objects: the customer they name', async () => {
    const customer = fake.addCustomer({ email: 'd@example.com' });
    const request = await deliver(fake.event('customer.discount.created', { id: 'di_1', object: 'discount', customer: customer.id }));
    expect(webhook.changes(request)).toMatchObject({ keys: [customer.id], emails: [] });
  });

  it('other events change nothing', async () => {
    const request = await deliver(fake.event('charge.succeeded', { id: 'ch_1', object: 'charge', customer: 'cus_123' }));
    expect(webhook.verify(request)).toEqual({ ok: true });
    expect(webhook.changes(request)).toMatchObject({ type: 'charge.succeeded', keys: [], emails: [] });
  });
});

describe('Stripe thin events (event destinations, `object: "v2.core.event"`): what a verified one makes stale', () => {
  it('v1.customer.subscription.* names only the subscription: its id, which every card of its customer carries among its keys', async () => {
    const customer = fake.addCustomer({ email: 'thin-sub@example.com' });
    const subscription = fake.addSubscription(customer.id, { status: 'active' });
    const request = await deliver(fake.thinEvent('v1.customer.subscription.updated', subscription));

    expect(webhook.verify(request)).toEqual({ ok: true });
    const change = webhook.changes(request);
    expect(change).toMatchObject({ type: 'v1.customer.subscription.updated', keys: [subscription.id], emails: [] });
    expect(change.id).toMatch(/^evt_/);
  });

  it('v1.customer.subscription.item_price_changed (a plan change) too', async () => {
    const subscription = fake.addSubscription(fake.addCustomer({ email: 'thin-plan@example.com' }).id);
    expect(webhook.changes(await deliver(fake.thinEvent('v1.customer.subscription.item_price_changed', subscription)))).toMatchObject({ keys: [subscription.id] });
  });

  it('v1.customer.updated: the customer id, and both addresses when `changes` carries the email before and after', async () => {
    const customer = fake.addCustomer({ email: 'New.Thin@Example.com' });
    const request = await deliver(fake.thinEvent('v1.customer.updated', customer, { before: { email: 'old.thin@example.com' }, after: { email: 'New.Thin@Example.com' } }));
    const change = webhook.changes(request);
    expect(change.keys).toEqual([customer.id]);
    expect(change.emails.sort()).toEqual(['new.thin@example.com', 'old.thin@example.com']);
    expect(webhook.changes(await deliver(fake.thinEvent('v1.customer.deleted', customer)))).toMatchObject({ keys: [customer.id], emails: [] });
  });

  it('a new subscription names a subscription no cached card can know: every cached Stripe card is dropped', async () => {
    const subscription = fake.addSubscription(fake.addCustomer({ email: 'thin-new@example.com' }).id);
    const change = webhook.changes(await deliver(fake.thinEvent('v1.customer.subscription.created', subscription)));
    expect(change.keys).toEqual(expect.arrayContaining([subscription.id, STRIPE_EVERY_CARD_KEY]));
  });

  it('customer sub-objects without an id of their own (v1.customer.discount.*) name their customer in the related object’s URL', async () => {
    const customer = fake.addCustomer({ email: 'thin-discount@example.com' });
    const request = await deliver(fake.thinEvent('v1.customer.discount.created', { type: 'discount', url: `/v1/customers/${customer.id}/discount` }));
    expect(webhook.changes(request)).toMatchObject({ keys: [customer.id], emails: [] });
  });

  it('other thin events, and Stripe’s destination ping as its documentation prints it ("context": null), are accepted and change nothing', async () => {
    expect(webhook.changes(await deliver(fake.thinEvent('v1.charge.succeeded', { id: 'ch_1', type: 'charge', url: '/v1/charges/ch_1' })))).toMatchObject({ keys: [], emails: [] });
    const ping = JSON.stringify({
      context: null,
      created: '2025-01-01T00:00:00.000Z',
      id: 'evt_65RCjj4EqW1sabcjs2Z16RCMoNQdSQkOWvfL6L5uU2K40u',
      object: 'v2.core.event',
      reason: { type: 'request', request: { id: 'req_v24sUK2aV6o01RdVU', idempotency_key: 'fe21992d-e123-3f8c-bc90-fec93712bcb2' } },
      related_object: { id: 'ed_65SDS7HTasdQYsDClFT16CGd2aE2kBpeAvvRnBUc', type: 'v2.core.event_destination', url: '/v2/core/event_destinations/ed_65SDS7HTasdQYsDClFT16CGd2aE2kBpeAvvRnBUc' },
      type: 'v2.core.event_destination.ping',
      livemode: false,
    });
    const request = await deliver(ping);
    expect(webhook.verify(request)).toEqual({ ok: true });
    expect(webhook.changes(request)).toMatchObject({ type: 'v2.core.event_destination.ping', keys: [], emails: [] });
  });

  it('thin events are checked exactly as snapshot ones: altered, foreign-secret and stale signatures are refused', async () => {
    const event = () => fake.thinEvent('v1.customer.subscription.updated', fake.addSubscription(fake.addCustomer({ email: 'thin-forged@example.com' }).id));
    const original = event();
    expect(webhook.verify(await deliver(original, { body: JSON.stringify({ ...original, type: 'v1.customer.deleted' }, null, 2) }))).toMatchObject({ ok: false, reason: expect.stringMatching(/No signatures found/) });
    expect(webhook.verify(await deliver(event(), { secret: 'whsec_someoneelse' })).ok).toBe(false);
    expect(webhook.verify(await deliver(event(), { timestamp: Math.floor(Date.now() / 1000) - 301 }))).toMatchObject({ ok: false, reason: 'Timestamp outside the tolerance zone' });
  });

  it('a signed v2 body that is not a thin event (no id or type): 400', async () => {
    const request = await deliver({ object: 'v2.core.event', related_object: null });
    expect(webhook.verify(request)).toEqual({ ok: true });
    expect(() => webhook.changes(request)).toThrow(HubError);
  });
});

describe('Stripe webhooks: signatures', () => {
  const event = () => fake.event('customer.deleted', fake.addCustomer({ email: 'gone@example.com' }));

  it('a body changed after signing is rejected', async () => {
    const original = event();
    const tampered = JSON.stringify({ ...original, type: 'customer.created' }, null, 2);
    const request = await deliver(original, { body: tampered });
    expect(webhook.verify(request)).toMatchObject({ ok: false, reason: expect.stringMatching(/No signatures found/) });
  });

  it('a signature made with another secret is rejected', async () => {
    const request = await deliver(event(), { secret: 'whsec_someoneelse' });
    expect(webhook.verify(request).ok).toBe(false);
  });

  it('a signature older than 300 s is a replay; 290 s old still passes', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(webhook.verify(await deliver(event(), { timestamp: now - 301 }))).toMatchObject({ ok: false, reason: 'Timestamp outside the tolerance zone' });
    expect(webhook.verify(await deliver(event(), { timestamp: now - 290 }))).toEqual({ ok: true });
  });

  it('no Stripe-Signature header is rejected', async () => {
    const request = await deliver(event(), { signature: '' });
    expect(webhook.verify(request)).toEqual({ ok: false, reason: 'missing Stripe-Signature header' });
  });

  it('matches the reference vector (STACK-NOTES: HMAC-SHA256 of "t.body")', () => {
    const verifier = stripeAccountWebhook('whsec_test', { now: () => 1_700_000_100_000 });
    const body = '{"id":"evt_1","object":"event"}';
    const good = 't=1700000000,v1=4c15fb2a43f93ef61eaa3e0893866d57cad9cad4223242cfb96f362480cb4021';
    expect(verifier.verify(raw(body, { 'stripe-signature': good }))).toEqual({ ok: true });
    expect(verifier.verify(raw(body, { 'stripe-signature': good.replace('4c15', '4c16') })).ok).toBe(false);
  });
});

describe('Stripe webhooks: bodies that are not Stripe events', () => {
  function expect400(request: RawRequest) {
    let thrown: unknown;
    try {
      webhook.changes(request);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HubError);
    expect(thrown).toMatchObject({ status: 400, code: 'invalid_webhook' });
  }

  it('signed JSON that is not an event: 400 invalid_webhook', async () => {
    const request = await deliver({ hello: 'world' });
    expect(webhook.verify(request)).toEqual({ ok: true });
    expect400(request);
  });

  it('signed text that is not JSON: 400 invalid_webhook', async () => {
    const request = await deliver('not json at all');
    expect400(request);
  });
});

describe('Stripe webhooks: configuration', () => {
  it('without STRIPE_WEBHOOK_SECRET the capability has no webhook part (the route rejects Stripe’s calls)', () => {
    const accountData = createStripeAccountData(stripeConfigSchema.parse({ secretKey: fake.apiKey, apiBase: fake.url }));
    expect(accountData.webhook).toBeUndefined();
  });
});
