import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

/**
 * Stripe objects for the fake, built from Stripe's own example objects (`stripe/openapi`
 * fixtures3.json, the ones stripe-mock serves; MIT), read in place from ../shared, with the ids,
 * emails, times and fields a test names. The fixtures' filler values (timestamps of 1234567890,
 * a cancellation on an active subscription, a discount on every customer) are reset to what a
 * fresh object has.
 *
 * Every builder's object `satisfies` the `stripe` package's type for it (Stripe's own types for
 * the API version the SDK pins), so a misspelt or mistyped field fails `tsc`;
 * test/conformance/stripe.test.ts holds what is served to the fixtures' keys and types.
 */

export const STRIPE_FIXTURES_PATH = fileURLToPath(new URL('../../../../shared/data/vendor/official/stripe/fixtures3.json', import.meta.url));

export type StripeJson = Record<string, unknown>;
export type StripeObject = StripeJson & { id: string };

/** The fixture resources the fake builds from, as the SDK types them. */
export interface StripeFixtures {
  customer: Stripe.Customer;
  product: Stripe.Product;
  price: Stripe.Price;
  plan: Stripe.Plan;
  subscription: Stripe.Subscription;
  subscription_item: Stripe.SubscriptionItem;
  invoice: Stripe.Invoice;
  event: Stripe.EventBase;
}

let resources: Record<string, unknown> | undefined;

/** Every fixture resource, untyped (the conformance test reads them all). */
export function stripeFixtureResources(): Record<string, unknown> {
  resources ??= (JSON.parse(readFileSync(STRIPE_FIXTURES_PATH, 'utf8')) as { resources: Record<string, unknown> }).resources;
  return resources;
}

/**
 * A fresh copy of Stripe's example object. Typed as the SDK types it: the JSON is Stripe's own,
 * and the conformance test checks what the fake serves against it key by key.
 */
export function fixture<Name extends keyof StripeFixtures>(name: Name): StripeFixtures[Name] {
  const object = stripeFixtureResources()[name];
  if (!object) throw new Error(`no Stripe fixture named ${name}`);
  return structuredClone(object) as StripeFixtures[Name];
}

/**
 * A typed Stripe object as the fake stores and serves it: its JSON (what goes over the wire; the
 * SDK's Decimal fields become their decimal strings), plus any test-given fields verbatim.
 */
export function stored(object: { id: string }, fields: StripeJson = {}): StripeObject {
  return { ...(JSON.parse(JSON.stringify(object)) as StripeObject), ...fields };
}

/** `cus_…`, `sub_…`: Stripe ids are a prefix and 14–24 letters and digits. */
export function stripeId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return `${prefix}_${[...randomBytes(14)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/** Unix seconds, as Stripe gives every time. */
export type Moment = number | Date;
export const unix = (moment: Moment): number => (moment instanceof Date ? Math.floor(moment.getTime() / 1000) : moment);

const DAY = 86_400;

export interface CustomerSeed {
  id?: string;
  email: string | null;
  name?: string | null;
  /** Set as `business_name` (Stripe's field for a business customer). */
  businessName?: string;
  metadata?: Record<string, string>;
  created?: Moment;
  livemode?: boolean;
  /** Any other field, verbatim (not type-checked: for shapes an older API version sent). */
  fields?: StripeJson;
}

export interface ProductSeed {
  id?: string;
  name: string;
  active?: boolean;
  created?: Moment;
  livemode?: boolean;
  fields?: StripeJson;
}

export interface PriceSeed {
  id?: string;
  product: string;
  unitAmount?: number | null;
  currency?: string;
  interval?: Stripe.Price.Recurring.Interval;
  intervalCount?: number;
  nickname?: string | null;
  usageType?: Stripe.Price.Recurring.UsageType;
  billingScheme?: Stripe.Price.BillingScheme;
  created?: Moment;
  livemode?: boolean;
  fields?: StripeJson;
}

export type SubscriptionStatus = 'active' | 'trialing' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'incomplete_expired' | 'paused';

/**
 * Why a `paused` subscription paused (`status_details.paused.subscription.type`, SDK type
 * Subscription.StatusDetails.Paused.Subscription.Type): a trial that ended without a payment
 * method, the Pause endpoint, automatic pauses after payment failures, or Stripe itself.
 */
export type PauseReason = 'trial_end_without_payment_method' | 'pause_requested' | 'first_payment_failure' | 'final_payment_failure' | 'system';

export interface SubscriptionItemSeed {
  /** An existing price id. */
  price: string;
  quantity?: number;
}

export interface SubscriptionSeed {
  id?: string;
  status?: SubscriptionStatus;
  /** The items; or one item from `price`, or from `product` (+ the price fields below, a new price). */
  items?: SubscriptionItemSeed[];
  price?: string;
  product?: string;
  unitAmount?: number | null;
  currency?: string;
  interval?: Stripe.Price.Recurring.Interval;
  intervalCount?: number;
  nickname?: string | null;
  quantity?: number;
  created?: Moment;
  currentPeriodStart?: Moment;
  /** On each item (the subscription itself has no period fields since API 2025-03-31). */
  currentPeriodEnd?: Moment;
  trialStart?: Moment | null;
  trialEnd?: Moment | null;
  /** `trial_settings.end_behavior.missing_payment_method`. */
  trialEndBehavior?: Stripe.Subscription.TrialSettings.EndBehavior.MissingPaymentMethod;
  /**
   * For `status: 'paused'`: `status_details.paused` with this reason (default: the trial's end
   * without a payment method when the trial has ended, else `pause_requested`); null = no
   * `status_details`, as API versions before the Pause endpoint rendered a paused subscription.
   */
  pauseReason?: PauseReason | null;
  /** When it paused (`status_details.paused.transitioned_at`); default the trial end, else a day ago. */
  pausedAt?: Moment;
  /** `pause_collection` (payment collection paused; the status stays as it is). */
  pauseCollection?: { behavior: Stripe.Subscription.PauseCollection.Behavior; resumesAt?: Moment | null } | null;
  cancelAtPeriodEnd?: boolean;
  cancelAt?: Moment | null;
  canceledAt?: Moment | null;
  endedAt?: Moment | null;
  livemode?: boolean;
  fields?: StripeJson;
}

export function customerObject(seed: CustomerSeed, defaults: { created: number; livemode: boolean }): StripeObject {
  const customer = {
    ...fixture('customer'),
    id: seed.id ?? stripeId('cus'),
    email: seed.email,
    name: seed.name ?? null,
    metadata: seed.metadata ?? {},
    created: seed.created !== undefined ? unix(seed.created) : defaults.created,
    livemode: seed.livemode ?? defaults.livemode,
    discount: null,
    invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
    ...(seed.businessName !== undefined ? { business_name: seed.businessName } : {}),
  } satisfies Stripe.Customer;
  return stored(customer, seed.fields);
}

export function productObject(seed: ProductSeed, defaults: { created: number; livemode: boolean }): StripeObject {
  const created = seed.created !== undefined ? unix(seed.created) : defaults.created;
  const product = {
    ...fixture('product'),
    id: seed.id ?? stripeId('prod'),
    name: seed.name,
    active: seed.active ?? true,
    description: null,
    default_price: null,
    package_dimensions: null,
    created,
    updated: created,
    livemode: seed.livemode ?? defaults.livemode,
  } satisfies Stripe.Product;
  return stored(product, seed.fields);
}

export function priceObject(seed: PriceSeed, defaults: { created: number; livemode: boolean }): StripeObject {
  const unitAmount = seed.unitAmount === undefined ? 2000 : seed.unitAmount;
  const price = {
    ...fixture('price'),
    id: seed.id ?? stripeId('price'),
    product: seed.product,
    currency: seed.currency ?? 'usd',
    nickname: seed.nickname ?? null,
    billing_scheme: seed.billingScheme ?? 'per_unit',
    unit_amount: unitAmount,
    // The wire carries a decimal string; the SDK types (and parses) it as its Decimal.
    unit_amount_decimal: unitAmount === null ? null : Stripe.Decimal.from(unitAmount),
    recurring: { interval: seed.interval ?? 'month', interval_count: seed.intervalCount ?? 1, meter: null, usage_type: seed.usageType ?? 'licensed', trial_period_days: null },
    transform_quantity: null,
    custom_unit_amount: null,
    created: seed.created !== undefined ? unix(seed.created) : defaults.created,
    livemode: seed.livemode ?? defaults.livemode,
  } satisfies Stripe.Price;
  return stored(price, seed.fields);
}

/** The legacy `plan` Stripe still renders on an item: the price seen as a plan (same id). */
function planOf(price: Stripe.Price): Stripe.Plan {
  return {
    ...fixture('plan'),
    id: price.id,
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1,
    livemode: price.livemode,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    usage_type: price.recurring?.usage_type ?? 'licensed',
  } satisfies Stripe.Plan;
}

/** A stored price as the SDK types it (the fake keeps prices as JSON). */
const asPrice = (price: StripeJson): Stripe.Price => structuredClone(price) as unknown as Stripe.Price;

export function subscriptionItemObject(
  priceJson: StripeJson,
  quantity: number | undefined,
  subscriptionId: string,
  period: { start: number; end: number; created: number },
): Stripe.SubscriptionItem {
  const price = asPrice(priceJson);
  const item = {
    ...fixture('subscription_item'),
    id: stripeId('si'),
    created: period.created,
    price,
    plan: planOf(price),
    subscription: subscriptionId,
    current_period_start: period.start,
    current_period_end: period.end,
    billing_thresholds: null,
    // Metered items carry no quantity.
    quantity: price.recurring?.usage_type === 'metered' ? undefined : (quantity ?? 1),
  } satisfies Stripe.SubscriptionItem;
  if (item.quantity === undefined) delete item.quantity;
  return item;
}

/** A subscription's `items` list. */
export function itemsList(subscriptionId: string, items: Stripe.SubscriptionItem[]): Stripe.ApiList<Stripe.SubscriptionItem> {
  return { object: 'list', data: items, has_more: false, url: `/v1/subscription_items?subscription=${subscriptionId}` };
}

function statusDetails(seed: SubscriptionSeed, status: SubscriptionStatus, trialEnd: number | null, now: number): Stripe.Subscription.StatusDetails | undefined {
  if (status !== 'paused' || seed.pauseReason === null) return undefined;
  const reason = seed.pauseReason ?? (trialEnd !== null && trialEnd <= now ? 'trial_end_without_payment_method' : 'pause_requested');
  const transitionedAt = seed.pausedAt !== undefined ? unix(seed.pausedAt) : reason === 'trial_end_without_payment_method' && trialEnd !== null ? trialEnd : now - DAY;
  return { paused: { type: 'subscription', subscription: { type: reason }, transitioned_at: transitionedAt } };
}

export function subscriptionObject(
  customerId: string,
  seed: SubscriptionSeed,
  prices: { price: StripeJson; quantity?: number }[],
  defaults: { created: number; livemode: boolean; now: number },
): StripeObject {
  const id = seed.id ?? stripeId('sub');
  const status = seed.status ?? 'active';
  const created = seed.created !== undefined ? unix(seed.created) : defaults.created;
  const now = defaults.now;
  const optional = (value: Moment | null | undefined, fallback: number | null): number | null => (value === undefined ? fallback : value === null ? null : unix(value));
  const trialEnd = optional(seed.trialEnd, status === 'trialing' ? now + 7 * DAY : null);
  const trialStart = optional(seed.trialStart, trialEnd !== null ? Math.min(created, trialEnd - 14 * DAY) : null);
  const ended = status === 'canceled' || status === 'incomplete_expired';
  const endedAt = optional(seed.endedAt, ended ? now - DAY : null);
  const periodEnd = seed.currentPeriodEnd !== undefined ? unix(seed.currentPeriodEnd) : status === 'trialing' && trialEnd !== null ? trialEnd : now + 30 * DAY;
  const periodStart = seed.currentPeriodStart !== undefined ? unix(seed.currentPeriodStart) : Math.min(created, periodEnd - 30 * DAY);
  const cancelAtPeriodEnd = seed.cancelAtPeriodEnd ?? false;
  const items = prices.map(({ price, quantity }) => subscriptionItemObject(price, quantity, id, { start: periodStart, end: periodEnd, created }));
  const details = statusDetails(seed, status, trialEnd, now);
  const pause = seed.pauseCollection;
  const subscription = {
    ...fixture('subscription'),
    id,
    customer: customerId,
    status,
    created,
    start_date: created,
    billing_cycle_anchor: periodStart,
    billing_cycle_anchor_config: null,
    currency: asPrice(prices[0]?.price ?? {}).currency ?? 'usd',
    items: itemsList(id, items),
    cancel_at_period_end: cancelAtPeriodEnd,
    cancel_at: optional(seed.cancelAt, cancelAtPeriodEnd ? periodEnd : null),
    canceled_at: optional(seed.canceledAt, ended ? endedAt : null),
    ended_at: endedAt,
    trial_start: trialStart,
    trial_end: trialEnd,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: seed.trialEndBehavior ?? 'create_invoice' } },
    pause_collection: pause ? { behavior: pause.behavior, resumes_at: pause.resumesAt === undefined || pause.resumesAt === null ? null : unix(pause.resumesAt) } : null,
    pending_update: null,
    pending_invoice_item_interval: null,
    next_pending_invoice_item_invoice: null,
    transfer_data: null,
    billing_schedules: [],
    latest_invoice: null,
    livemode: seed.livemode ?? defaults.livemode,
    ...(details ? { status_details: details } : {}),
  } satisfies Stripe.Subscription;
  return stored(subscription, seed.fields);
}

/** An invoice for webhook payloads (`invoice.paid`, `invoice.payment_failed`, …). */
export function invoiceObject(customer: StripeJson, fields: StripeJson = {}, defaults: { now: number }): StripeObject {
  const invoice = {
    ...fixture('invoice'),
    id: stripeId('in'),
    customer: customer['id'] as string,
    customer_email: customer['email'] as string | null,
    customer_name: customer['name'] as string | null,
    livemode: customer['livemode'] as boolean,
    created: defaults.now,
    status: 'paid',
  } satisfies Stripe.Invoice;
  return stored(invoice, fields);
}
