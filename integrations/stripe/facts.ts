import type Stripe from 'stripe';
import type { AccountFacts } from '../../src/capabilities/account-data.js';
import { formatMoment } from '../../src/sidebar/format.js';
import { accountStatus, pauseLines, subscriptionRank } from './subscription-status.js';

export { accountStatus, subscriptionRank } from './subscription-status.js';

/**
 * Stripe customers and subscriptions → the sidebar's AccountFacts. Pure: every rule here is
 * tested without HTTP (test/integrations/stripe/facts.test.ts).
 */

/** The subscription the card shows: the most telling one, newest first among equals. */
export function bestSubscription(subscriptions: readonly Stripe.Subscription[]): Stripe.Subscription | null {
  return [...subscriptions].sort((a, b) => subscriptionRank(a) - subscriptionRank(b) || b.created - a.created)[0] ?? null;
}

export interface CustomerChoice {
  customer: Stripe.Customer;
  /** Its best current subscription (from the expanded `subscriptions` list), if any. */
  subscription: Stripe.Subscription | null;
  /** The other customers with the same email. */
  others: Stripe.Customer[];
}

/**
 * One email can belong to several Stripe customers (a second checkout, a test purchase). The
 * card shows the one Stripe is billing, or else the newest, and counts the rest.
 */
export function chooseCustomer(customers: readonly Stripe.Customer[]): CustomerChoice | null {
  const ranked = customers
    .map((customer) => ({ customer, subscription: bestSubscription(customer.subscriptions?.data ?? []) }))
    .sort((a, b) => subscriptionRank(a.subscription) - subscriptionRank(b.subscription) || b.customer.created - a.customer.created);
  const first = ranked[0];
  if (!first) return null;
  return { ...first, others: ranked.slice(1).map((r) => r.customer) };
}

/** Product ids the plan name needs that the subscription carries only as ids. */
export function productIdsOf(subscription: Stripe.Subscription | null): string[] {
  if (!subscription) return [];
  const ids = subscription.items.data.map((item) => item.price.product).filter((product): product is string => typeof product === 'string');
  return [...new Set(ids)];
}

/** `month`, or `3 months` when the price bills every few intervals. */
export function intervalText(recurring: Stripe.Price.Recurring | null): string | null {
  if (!recurring) return null;
  return recurring.interval_count > 1 ? `${recurring.interval_count} ${recurring.interval}s` : recurring.interval;
}

function productName(price: Stripe.Price, names: ReadonlyMap<string, string | null>): string {
  const product = price.product;
  const name = typeof product === 'string' ? names.get(product) : 'name' in product ? product.name : null;
  const base = name ?? price.nickname ?? (typeof product === 'string' ? product : product.id);
  return price.nickname && name ? `${base} (${price.nickname})` : base;
}

/**
 * A licensed per-unit item costs unit_amount × quantity. Metered and tiered prices depend on
 * usage or on tiers the item does not carry: no honest amount, so none is shown. Discounts and
 * taxes are not applied (the card shows the list price).
 */
function itemAmount(item: Stripe.SubscriptionItem): number | null {
  const price = item.price;
  if (price.billing_scheme !== 'per_unit' || price.unit_amount === null || price.recurring?.usage_type === 'metered') return null;
  return price.unit_amount * (item.quantity ?? 1);
}

export function planOf(subscription: Stripe.Subscription, productNames: ReadonlyMap<string, string | null>): NonNullable<AccountFacts['plan']> {
  const items = subscription.items.data;
  const primary = items[0];
  const name = [...new Set(items.map((item) => productName(item.price, productNames)))].join(' + ') || 'Subscription';
  const interval = primary ? intervalText(primary.price.recurring) : null;
  // Items billed on another interval cannot be summed into one "per month" figure.
  const sameCycle = items.every((item) => intervalText(item.price.recurring) === interval);
  const amounts = items.map(itemAmount);
  const amountMinor = sameCycle && amounts.length > 0 && amounts.every((a) => a !== null) ? amounts.reduce<number>((sum, a) => sum + (a ?? 0), 0) : null;
  return { name, interval, amountMinor, currency: subscription.currency || null };
}

/**
 * When the current period ends. API versions from 2025-03-31 moved `current_period_end` from the
 * subscription to each item (Stripe changelog, 2025-03-31.basil); older objects carry it on the
 * subscription. With items on different cycles the next renewal is the earliest.
 */
export function periodEnd(subscription: Stripe.Subscription): number | null {
  const legacy = (subscription as { current_period_end?: unknown }).current_period_end;
  if (typeof legacy === 'number') return legacy;
  const ends = subscription.items.data.map((item) => item.current_period_end).filter((end): end is number => typeof end === 'number');
  return ends.length > 0 ? Math.min(...ends) : null;
}

const dashboard = (livemode: boolean, path: string) => `https://dashboard.stripe.com/${livemode ? '' : 'test/'}${path}`;

const fromUnix = (seconds: number) => new Date(seconds * 1000);

/**
 * `company` is only what names a business: `metadata.company` (the usual convention) or
 * `business_name`. Stripe's `name` is "full name or business name" and is most often the person,
 * so it is shown as "Billing name" rather than as the card's headline.
 */
function companyOf(customer: Stripe.Customer): string | undefined {
  const fromMetadata = customer.metadata['company']?.trim();
  return fromMetadata || customer.business_name?.trim() || undefined;
}

/**
 * In every Stripe card's keys: a change that cannot name its customer without asking Stripe (a
 * thin event about a subscription no card has seen yet) drops every cached Stripe card with it.
 */
export const STRIPE_EVERY_CARD_KEY = 'stripe:every-card';

/**
 * The ids a change notification may name for this card: the customers that matched, and every
 * subscription the lookup saw (a thin event names only the subscription it is about).
 */
function cardKeys(choice: CustomerChoice, subscription: Stripe.Subscription | null): string[] {
  const customers = [choice.customer, ...choice.others];
  const subscriptions = customers.flatMap((customer) => (customer.subscriptions?.data ?? []).map((s) => s.id));
  return [...new Set([...customers.map((c) => c.id), ...subscriptions, ...(subscription ? [subscription.id] : []), STRIPE_EVERY_CARD_KEY])];
}

export interface StripeMatch {
  choice: CustomerChoice;
  /** The subscription to show: the choice's current one, or its latest ended one. */
  subscription: Stripe.Subscription | null;
  productNames: ReadonlyMap<string, string | null>;
  now: Date;
}

export function toAccountFacts({ choice, subscription, productNames, now }: StripeMatch): AccountFacts {
  const { customer, others } = choice;
  const extra: Record<string, string | number | boolean> = {};
  const links = [{ label: 'Stripe customer', text: customer.id, url: dashboard(customer.livemode, `customers/${customer.id}`) }];
  const facts: AccountFacts = {
    source: 'stripe',
    customerSince: fromUnix(customer.created),
    otherMatches: others.length,
    keys: cardKeys(choice, subscription),
    links,
    extra,
  };
  const company = companyOf(customer);
  if (company) facts.company = company;
  const billingName = customer.name?.trim() || customer.individual_name?.trim();
  if (billingName) extra['Billing name'] = billingName;
  const status = accountStatus(subscription, now);
  if (status) facts.status = status;
  if (!subscription) return facts;

  if (!status) extra['Subscription status'] = subscription.status;
  facts.plan = planOf(subscription, productNames);
  const quantity = subscription.items.data[0]?.quantity ?? 1;
  if (quantity > 1) facts.seats = { used: null, limit: quantity };

  const live = subscriptionRank(subscription) === 0;
  const end = periodEnd(subscription);
  // Stripe ends the subscription at `cancel_at` (which `cancel_at_period_end` sets to the period end).
  const endsAt = subscription.cancel_at ?? (subscription.cancel_at_period_end ? end : null);
  if (subscription.status === 'trialing' && subscription.trial_end !== null) facts.trialEndsAt = fromUnix(subscription.trial_end);
  if (live && endsAt !== null) {
    facts.renewsAt = null;
    extra['Ends'] = formatMoment(fromUnix(endsAt));
  } else if (live && subscription.status !== 'trialing' && end !== null) {
    // A trial's "renewal" is its end, already shown as "Trial ends".
    facts.renewsAt = fromUnix(end);
  }
  if (status === 'trial_expired' && subscription.trial_end !== null) extra['Trial ended'] = formatMoment(fromUnix(subscription.trial_end));
  Object.assign(extra, pauseLines(subscription));
  if (!live && subscription.ended_at !== null) extra['Ended'] = formatMoment(fromUnix(subscription.ended_at));
  const otherCurrent = (customer.subscriptions?.data ?? []).filter((s) => s.id !== subscription.id && subscriptionRank(s) < 3).length;
  if (otherCurrent > 0) extra['Other subscriptions'] = otherCurrent;
  links.push({ label: 'Subscription', text: subscription.id, url: dashboard(subscription.livemode, `subscriptions/${subscription.id}`) });
  return facts;
}
