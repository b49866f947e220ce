import { describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { accountStatus, chooseCustomer, toAccountFacts } from '../../../integrations/stripe/facts.js';
import { StripeState } from '../../fakes/stripe/state.js';
import type { StripeObject, SubscriptionSeed } from '../../fakes/stripe/index.js';

/**
 * The mapping rules alone, on objects shaped like Stripe's (the fake's fixture-based builders),
 * without HTTP.
 */

const NOW = new Date('2026-05-10T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;
const DAY = 86_400;

function account(livemode = false) {
  const state = new StripeState(livemode, () => nowSeconds);
  const product = state.addProduct({ name: 'Pro' });
  return { state, product };
}

/** The customer as `customers.list` with `expand[]=data.subscriptions` returns it. */
function listed(state: StripeState, customer: StripeObject): Stripe.Customer {
  return { ...customer, subscriptions: { object: 'list', data: state.currentSubscriptionsOf(customer.id), has_more: false, url: '' } } as unknown as Stripe.Customer;
}

function factsFor(seed: SubscriptionSeed | null, options: { livemode?: boolean; customer?: Parameters<StripeState['addCustomer']>[0]; names?: Map<string, string | null> } = {}) {
  const { state, product } = account(options.livemode);
  const customer = state.addCustomer(options.customer ?? { email: 'jane@example.com' });
  const subscription = seed ? (state.addSubscription(customer.id, { product: product.id, ...seed }) as unknown as Stripe.Subscription) : null;
  const choice = chooseCustomer([listed(state, customer)])!;
  return toAccountFacts({ choice, subscription, productNames: options.names ?? new Map([[product.id, 'Pro']]), now: NOW });
}

function statusOf(seed: SubscriptionSeed): ReturnType<typeof accountStatus> {
  const { state, product } = account();
  const customer = state.addCustomer({ email: 'a@example.com' });
  return accountStatus(state.addSubscription(customer.id, { product: product.id, ...seed }) as unknown as Stripe.Subscription, NOW);
}

describe('Stripe status → card badge', () => {
  it.each([
    ['active', 'paid'],
    ['trialing', 'trialing'],
    ['past_due', 'past_due'],
    ['unpaid', 'past_due'],
    ['incomplete', 'past_due'],
    ['canceled', 'canceled'],
  ] as const)('%s → %s', (status, badge) => {
    expect(statusOf({ status })).toBe(badge);
  });

  it('no subscription at all → none', () => {
    expect(factsFor(null).status).toBe('none');
  });

  it('a trial that ended without a payment method and paused the subscription → trial expired', () => {
    expect(statusOf({ status: 'paused', trialEnd: nowSeconds - DAY, trialEndBehavior: 'pause' })).toBe('trial_expired');
  });

  it('a paused subscription that never had a trial gets no badge; Stripe’s word is shown instead', () => {
    const facts = factsFor({ status: 'paused', trialEnd: null });
    expect(facts.status).toBeUndefined();
    expect(facts.extra?.['Subscription status']).toBe('paused');
  });

  it('incomplete_expired: trial expired only if it had a trial, else canceled', () => {
    expect(statusOf({ status: 'incomplete_expired', trialEnd: nowSeconds - 3 * DAY })).toBe('trial_expired');
    expect(statusOf({ status: 'incomplete_expired', trialEnd: null })).toBe('canceled');
  });

  it('canceled when the trial ended (missing_payment_method = cancel) → trial expired; canceled during the trial → canceled', () => {
    const trialEnd = nowSeconds - 2 * DAY;
    expect(statusOf({ status: 'canceled', trialEnd, endedAt: trialEnd, trialEndBehavior: 'cancel' })).toBe('trial_expired');
    expect(statusOf({ status: 'canceled', trialEnd, endedAt: trialEnd - DAY, trialEndBehavior: 'cancel' })).toBe('canceled');
    expect(statusOf({ status: 'canceled', trialEnd, endedAt: trialEnd, trialEndBehavior: 'create_invoice' })).toBe('canceled');
  });

  it('an expired trial says when it ended', () => {
    const facts = factsFor({ status: 'paused', trialEnd: Date.parse('2026-05-01T09:30:00Z') / 1000, trialEndBehavior: 'pause' });
    expect(facts.extra?.['Trial ended']).toBe('2026-05-01 09:30 UTC');
    expect(facts.trialEndsAt).toBeUndefined();
  });
});

describe('Stripe paused subscriptions: the reason Stripe gives (status_details.paused)', () => {
  // A customer who trialled long ago, paid for a year, and then paused: the trial is not the story.
  const pastTrial = { trialStart: nowSeconds - 400 * DAY, trialEnd: nowSeconds - 386 * DAY, trialEndBehavior: 'pause' as const };
  const pausedAt = Date.parse('2026-05-03T08:15:00Z') / 1000;

  it('paused on request (the Pause endpoint) after a past trial: no "trial expired", says why and since when', () => {
    const facts = factsFor({ status: 'paused', ...pastTrial, pauseReason: 'pause_requested', pausedAt });
    expect(facts.status).toBeUndefined();
    expect(facts.extra).toMatchObject({ 'Subscription status': 'paused', Paused: 'on request, since 2026-05-03 08:15 UTC' });
    expect(facts.extra?.['Trial ended']).toBeUndefined();
  });

  it('paused after the first renewal payment failed, or after the retries ran out: money is owed → past due, with the reason', () => {
    const first = factsFor({ status: 'paused', ...pastTrial, pauseReason: 'first_payment_failure', pausedAt });
    expect(first.status).toBe('past_due');
    expect(first.extra?.['Paused']).toBe('renewal payment failed, since 2026-05-03 08:15 UTC');
    const final = factsFor({ status: 'paused', ...pastTrial, pauseReason: 'final_payment_failure', pausedAt });
    expect(final.status).toBe('past_due');
    expect(final.extra?.['Paused']).toBe('payment retries exhausted, since 2026-05-03 08:15 UTC');
  });

  it('paused at the trial’s end for want of a payment method → trial expired, with the date the trial ended', () => {
    const trialEnd = Date.parse('2026-05-01T09:30:00Z') / 1000;
    const facts = factsFor({ status: 'paused', trialEnd, trialEndBehavior: 'pause', pauseReason: 'trial_end_without_payment_method' });
    expect(facts.status).toBe('trial_expired');
    expect(facts.extra).toMatchObject({ 'Trial ended': '2026-05-01 09:30 UTC', Paused: 'trial ended without a payment method, since 2026-05-01 09:30 UTC' });
  });

  it('paused by Stripe itself, or for a reason this hub does not know: no badge, and Stripe’s reason as given', () => {
    expect(factsFor({ status: 'paused', ...pastTrial, pauseReason: 'system', pausedAt }).extra?.['Paused']).toBe('by Stripe, since 2026-05-03 08:15 UTC');
    const unknown = factsFor({ status: 'paused', ...pastTrial, pausedAt, fields: { status_details: { paused: { type: 'subscription', subscription: { type: 'loyalty_break' }, transitioned_at: pausedAt } } } });
    expect(unknown.status).toBeUndefined();
    expect(unknown.extra?.['Paused']).toBe('loyalty_break, since 2026-05-03 08:15 UTC');
  });

  it('without status_details (API versions before the Pause endpoint, when only a trial’s end could pause): trial expired once the trial has ended', () => {
    expect(statusOf({ status: 'paused', ...pastTrial, pauseReason: null })).toBe('trial_expired');
    expect(statusOf({ status: 'paused', trialEnd: null, pauseReason: null })).toBeUndefined();
  });

  it('payment collection paused (pause_collection) keeps Stripe’s status and says what happens to invoices until when', () => {
    const facts = factsFor({ status: 'active', pauseCollection: { behavior: 'void', resumesAt: Date.parse('2026-07-01T00:00:00Z') / 1000 } });
    expect(facts.status).toBe('paid');
    expect(facts.extra?.['Payment collection']).toBe('paused (invoices voided) until 2026-07-01 00:00 UTC');
    expect(factsFor({ status: 'active', pauseCollection: { behavior: 'keep_as_draft' } }).extra?.['Payment collection']).toBe('paused (invoices kept as drafts)');
    expect(factsFor({ status: 'active', pauseCollection: { behavior: 'mark_uncollectible' } }).extra?.['Payment collection']).toBe('paused (invoices marked uncollectible)');
  });
});

describe('Stripe dates', () => {
  it('renews at the items’ period end (API ≥ 2025-03-31 has it per item)', () => {
    const end = Date.parse('2026-06-01T00:00:00Z') / 1000;
    expect(factsFor({ status: 'active', currentPeriodEnd: end }).renewsAt).toEqual(new Date(end * 1000));
  });

  it('reads current_period_end from the subscription when an older API version put it there', () => {
    const legacyEnd = Date.parse('2026-07-01T00:00:00Z') / 1000;
    expect(factsFor({ status: 'active', fields: { current_period_end: legacyEnd } }).renewsAt).toEqual(new Date(legacyEnd * 1000));
  });

  it('cancel at period end: no renewal, and an "Ends" entry with the date', () => {
    const end = Date.parse('2026-06-01T00:00:00Z') / 1000;
    const facts = factsFor({ status: 'active', currentPeriodEnd: end, cancelAtPeriodEnd: true });
    expect(facts.renewsAt).toBeNull();
    expect(facts.extra?.['Ends']).toBe('2026-06-01 00:00 UTC');
    expect(facts.status).toBe('paid');
  });

  it('a canceled subscription says when it ended and does not renew', () => {
    const facts = factsFor({ status: 'canceled', endedAt: Date.parse('2026-04-02T08:00:00Z') / 1000 });
    expect(facts.extra?.['Ended']).toBe('2026-04-02 08:00 UTC');
    expect(facts.renewsAt).toBeUndefined();
  });
});

describe('Stripe plan', () => {
  it('several items: names joined and amounts summed', () => {
    const { state, product } = account();
    const addon = state.addProduct({ name: 'Extra storage' });
    const base = state.addPrice({ product: product.id, unitAmount: 2000 });
    const extra = state.addPrice({ product: addon.id, unitAmount: 500 });
    const customer = state.addCustomer({ email: 'a@example.com' });
    const subscription = state.addSubscription(customer.id, { items: [{ price: base.id, quantity: 1 }, { price: extra.id, quantity: 2 }] }) as unknown as Stripe.Subscription;
    const facts = toAccountFacts({ choice: chooseCustomer([listed(state, customer)])!, subscription, productNames: new Map([[product.id, 'Pro'], [addon.id, 'Extra storage']]), now: NOW });
    expect(facts.plan).toEqual({ name: 'Pro + Extra storage', interval: 'month', amountMinor: 3000, currency: 'usd' });
  });

  it('metered or tiered prices: no amount rather than a wrong one', () => {
    const { state, product } = account();
    const customer = state.addCustomer({ email: 'a@example.com' });
    for (const seed of [{ usageType: 'metered' as const }, { billingScheme: 'tiered' as const, unitAmount: null }]) {
      const price = state.addPrice({ product: product.id, ...seed });
      const subscription = state.addSubscription(customer.id, { price: price.id }) as unknown as Stripe.Subscription;
      const facts = toAccountFacts({ choice: chooseCustomer([listed(state, customer)])!, subscription, productNames: new Map([[product.id, 'Pro']]), now: NOW });
      expect(facts.plan?.amountMinor).toBeNull();
    }
  });

  it('items on different intervals: no single amount', () => {
    const { state, product } = account();
    const monthly = state.addPrice({ product: product.id, unitAmount: 1000, interval: 'month' });
    const yearly = state.addPrice({ product: product.id, unitAmount: 9000, interval: 'year' });
    const customer = state.addCustomer({ email: 'a@example.com' });
    const subscription = state.addSubscription(customer.id, { items: [{ price: monthly.id }, { price: yearly.id }] }) as unknown as Stripe.Subscription;
    const facts = toAccountFacts({ choice: chooseCustomer([listed(state, customer)])!, subscription, productNames: new Map([[product.id, 'Pro']]), now: NOW });
    expect(facts.plan?.amountMinor).toBeNull();
  });

  it('a product Stripe no longer returns: the price nickname, else the product id', () => {
    expect(factsFor({ nickname: 'Annual' }, { names: new Map() }).plan?.name).toBe('Annual');
    const facts = factsFor({ nickname: null }, { names: new Map() });
    expect(facts.plan?.name).toMatch(/^prod_/);
  });

  it('quantity 1 shows no seats', () => {
    expect(factsFor({ quantity: 1 }).seats).toBeUndefined();
  });
});

describe('Stripe customer', () => {
  it('company from metadata.company, else business_name; the person’s name is the billing name, never the company', () => {
    expect(factsFor(null, { customer: { email: 'a@b.co', name: 'Jane Doe', metadata: { company: 'Acme' }, businessName: 'Acme Holdings' } })).toMatchObject({
      company: 'Acme',
      extra: { 'Billing name': 'Jane Doe' },
    });
    expect(factsFor(null, { customer: { email: 'a@b.co', businessName: 'Acme Holdings' } }).company).toBe('Acme Holdings');
    const personOnly = factsFor(null, { customer: { email: 'a@b.co', name: 'Jane Doe' } });
    expect(personOnly.company).toBeUndefined();
    expect(personOnly.extra?.['Billing name']).toBe('Jane Doe');
  });

  it('another current subscription on the same customer is counted', () => {
    const { state, product } = account();
    const customer = state.addCustomer({ email: 'a@example.com' });
    state.addSubscription(customer.id, { product: product.id, status: 'active' });
    state.addSubscription(customer.id, { product: product.id, status: 'trialing' });
    const choice = chooseCustomer([listed(state, customer)])!;
    const facts = toAccountFacts({ choice, subscription: choice.subscription, productNames: new Map(), now: NOW });
    expect(facts.extra?.['Other subscriptions']).toBe(1);
  });

  it('a live subscription wins over a newer incomplete one on the same customer', () => {
    const { state, product } = account();
    const customer = state.addCustomer({ email: 'a@example.com' });
    const active = state.addSubscription(customer.id, { product: product.id, status: 'active', created: nowSeconds - 100 * DAY });
    state.addSubscription(customer.id, { product: product.id, status: 'incomplete', created: nowSeconds - DAY });
    expect(chooseCustomer([listed(state, customer)])?.subscription?.id).toBe(active.id);
  });

  it('live-mode objects link to the live dashboard', () => {
    const facts = factsFor({ status: 'active' }, { livemode: true });
    for (const link of facts.links ?? []) expect(link.url).toMatch(/^https:\/\/dashboard\.stripe\.com\/(customers|subscriptions)\/(cus|sub)_/);
  });
});
