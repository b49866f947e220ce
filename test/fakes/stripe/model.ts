import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Stripe objects for the fake, built from Stripe's own example objects (`stripe/openapi`
 * fixtures3.json, the ones stripe-mock serves; MIT), read in place from ../shared, with the ids,
 * emails, times and fields a test names. The fixtures' filler values (timestamps of 1234567890,
 * a cancellation on an active subscription, a discount on every customer) are reset to what a
 * fresh object has.
 */

const FIXTURES = fileURLToPath(new URL('../../../../shared/data/vendor/stripe-fixtures3.json', import.meta.url));

export type StripeJson = Record<string, unknown>;
export type StripeObject = StripeJson & { id: string };

let resources: Record<string, StripeJson> | undefined;

function fixture(name: string): StripeJson {
  resources ??= (JSON.parse(readFileSync(FIXTURES, 'utf8')) as { resources: Record<string, StripeJson> }).resources;
  const object = resources[name];
  if (!object) throw new Error(`no Stripe fixture named ${name}`);
  return structuredClone(object);
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
  /** Any other field, verbatim. */
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
  interval?: 'day' | 'week' | 'month' | 'year';
  intervalCount?: number;
  nickname?: string | null;
  usageType?: 'licensed' | 'metered';
  billingScheme?: 'per_unit' | 'tiered';
  created?: Moment;
  livemode?: boolean;
  fields?: StripeJson;
}

export type SubscriptionStatus = 'active' | 'trialing' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'incomplete_expired' | 'paused';

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
  interval?: 'day' | 'week' | 'month' | 'year';
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
  trialEndBehavior?: 'create_invoice' | 'pause' | 'cancel';
  cancelAtPeriodEnd?: boolean;
  cancelAt?: Moment | null;
  canceledAt?: Moment | null;
  endedAt?: Moment | null;
  livemode?: boolean;
  fields?: StripeJson;
}

export function customerObject(seed: CustomerSeed, defaults: { created: number; livemode: boolean }): StripeObject {
  const customer: StripeJson = {
    ...fixture('customer'),
    id: seed.id ?? stripeId('cus'),
    email: seed.email,
    name: seed.name ?? null,
    metadata: seed.metadata ?? {},
    created: seed.created !== undefined ? unix(seed.created) : defaults.created,
    livemode: seed.livemode ?? defaults.livemode,
    discount: null,
    invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
  };
  if (seed.businessName !== undefined) customer['business_name'] = seed.businessName;
  return { ...customer, ...seed.fields } as StripeObject;
}

export function productObject(seed: ProductSeed, defaults: { created: number; livemode: boolean }): StripeObject {
  const created = seed.created !== undefined ? unix(seed.created) : defaults.created;
  return {
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
    ...seed.fields,
  } as StripeObject;
}

export function priceObject(seed: PriceSeed, defaults: { created: number; livemode: boolean }): StripeObject {
  const unitAmount = seed.unitAmount === undefined ? 2000 : seed.unitAmount;
  return {
    ...fixture('price'),
    id: seed.id ?? stripeId('price'),
    product: seed.product,
    currency: seed.currency ?? 'usd',
    nickname: seed.nickname ?? null,
    billing_scheme: seed.billingScheme ?? 'per_unit',
    unit_amount: unitAmount,
    unit_amount_decimal: unitAmount === null ? null : String(unitAmount),
    recurring: { interval: seed.interval ?? 'month', interval_count: seed.intervalCount ?? 1, meter: null, usage_type: seed.usageType ?? 'licensed', trial_period_days: null },
    transform_quantity: null,
    custom_unit_amount: null,
    created: seed.created !== undefined ? unix(seed.created) : defaults.created,
    livemode: seed.livemode ?? defaults.livemode,
    ...seed.fields,
  } as StripeObject;
}

/** The legacy `plan` Stripe still renders on an item: the price seen as a plan (same id). */
function planOf(price: StripeJson): StripeJson {
  const recurring = price['recurring'] as StripeJson;
  return {
    ...fixture('plan'),
    id: price['id'],
    active: price['active'],
    amount: price['unit_amount'],
    amount_decimal: price['unit_amount_decimal'],
    billing_scheme: price['billing_scheme'],
    created: price['created'],
    currency: price['currency'],
    interval: recurring['interval'],
    interval_count: recurring['interval_count'],
    livemode: price['livemode'],
    nickname: price['nickname'],
    product: price['product'],
    tiers_mode: null,
    transform_usage: null,
    usage_type: recurring['usage_type'],
  };
}

export function subscriptionItemObject(
  price: StripeJson,
  quantity: number | undefined,
  subscriptionId: string,
  period: { start: number; end: number; created: number },
): StripeObject {
  const item: StripeJson = {
    ...fixture('subscription_item'),
    id: stripeId('si'),
    created: period.created,
    price: structuredClone(price),
    plan: planOf(price),
    subscription: subscriptionId,
    current_period_start: period.start,
    current_period_end: period.end,
    billing_thresholds: null,
  };
  // Metered items carry no quantity.
  if ((price['recurring'] as StripeJson | null)?.['usage_type'] === 'metered') delete item['quantity'];
  else item['quantity'] = quantity ?? 1;
  return item as StripeObject;
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
  return {
    ...fixture('subscription'),
    id,
    customer: customerId,
    status,
    created,
    start_date: created,
    billing_cycle_anchor: periodStart,
    billing_cycle_anchor_config: null,
    currency: (prices[0]?.price['currency'] as string | undefined) ?? 'usd',
    items: { object: 'list', data: items, has_more: false, total_count: items.length, url: `/v1/subscription_items?subscription=${id}` },
    cancel_at_period_end: cancelAtPeriodEnd,
    cancel_at: optional(seed.cancelAt, cancelAtPeriodEnd ? periodEnd : null),
    canceled_at: optional(seed.canceledAt, ended ? endedAt : null),
    ended_at: endedAt,
    trial_start: trialStart,
    trial_end: trialEnd,
    trial_settings: { end_behavior: { missing_payment_method: seed.trialEndBehavior ?? 'create_invoice' } },
    pause_collection: null,
    pending_update: null,
    pending_invoice_item_interval: null,
    next_pending_invoice_item_invoice: null,
    transfer_data: null,
    billing_schedules: [],
    latest_invoice: null,
    livemode: seed.livemode ?? defaults.livemode,
    ...seed.fields,
  } as StripeObject;
}

/** An invoice for webhook payloads (`invoice.paid`, `invoice.payment_failed`, …). */
export function invoiceObject(customer: StripeJson, fields: StripeJson = {}, defaults: { now: number }): StripeObject {
  return {
    ...fixture('invoice'),
    id: stripeId('in'),
    customer: customer['id'],
    customer_email: customer['email'],
    customer_name: customer['name'],
    livemode: customer['livemode'],
    created: defaults.now,
    status: 'paid',
    ...fields,
  } as StripeObject;
}

/** A snapshot event as Stripe delivers it to a webhook endpoint (docs.stripe.com/api/events/object). */
export function eventObject(type: string, object: StripeJson, options: { previousAttributes?: StripeJson; apiVersion: string; now: number }): StripeObject {
  const event = fixture('event');
  return {
    ...event,
    id: stripeId('evt'),
    api_version: options.apiVersion,
    created: options.now,
    type,
    livemode: object['livemode'] ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object, ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}) },
  } as StripeObject;
}
