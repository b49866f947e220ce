import {
  customerObject,
  invoiceObject,
  itemsList,
  subscriptionItemObject,
  priceObject,
  productObject,
  subscriptionObject,
  type CustomerSeed,
  type PriceSeed,
  type ProductSeed,
  type StripeJson,
  type StripeObject,
  type SubscriptionItemSeed,
  type SubscriptionSeed,
} from './model.js';

/**
 * The account's objects. Stripe lists newest first (by `created`); objects added in one second
 * keep their order because every default `created` is one second later than the last.
 */
export class StripeState {
  readonly customers = new Map<string, StripeObject>();
  readonly subscriptions = new Map<string, StripeObject>();
  readonly products = new Map<string, StripeObject>();
  readonly prices = new Map<string, StripeObject>();
  /**
   * What the Search API sees: each customer's addresses with the time (ms) each was written. A
   * write becomes searchable `searchLagMs` later (docs.stripe.com/search#data-freshness: "under
   * normal operating conditions, data is searchable in under 1 minute"); until then search still
   * finds the address the customer had before, or nothing for a new one.
   */
  private readonly searchIndex = new Map<string, { email: string | null; writtenAt: number }[]>();
  searchLagMs = 0;
  private clock: number;

  constructor(
    readonly livemode: boolean,
    private readonly now: () => number,
  ) {
    this.clock = now() - 3600;
  }

  /** A default `created`: increasing, and in the past. */
  private nextCreated(): number {
    this.clock = Math.max(this.clock + 1, this.now() - 3600);
    return this.clock;
  }

  private defaults() {
    return { created: this.nextCreated(), livemode: this.livemode, now: this.now() };
  }

  addCustomer(seed: CustomerSeed): StripeObject {
    const customer = customerObject(seed, this.defaults());
    this.customers.set(customer.id, customer);
    this.index(customer);
    return customer;
  }

  private index(customer: StripeObject): void {
    const writes = this.searchIndex.get(customer.id) ?? [];
    writes.push({ email: (customer['email'] as string | null) ?? null, writtenAt: Date.now() });
    this.searchIndex.set(customer.id, writes);
  }

  /** The address search has indexed for this customer by now (null: none yet, or no email). */
  searchableEmail(customerId: string, nowMs = Date.now()): string | null {
    const writes = (this.searchIndex.get(customerId) ?? []).filter((w) => w.writtenAt + this.searchLagMs <= nowMs);
    return writes.at(-1)?.email ?? null;
  }

  addProduct(seed: ProductSeed): StripeObject {
    const product = productObject(seed, this.defaults());
    this.products.set(product.id, product);
    return product;
  }

  addPrice(seed: PriceSeed): StripeObject {
    if (!this.products.has(seed.product)) throw new Error(`fake Stripe: no product ${seed.product}`);
    const price = priceObject(seed, this.defaults());
    this.prices.set(price.id, price);
    return price;
  }

  addSubscription(customerId: string, seed: SubscriptionSeed = {}): StripeObject {
    if (!this.customers.has(customerId)) throw new Error(`fake Stripe: no customer ${customerId}`);
    const items = seed.items ?? [{ price: seed.price ?? this.priceFor(seed), ...(seed.quantity !== undefined ? { quantity: seed.quantity } : {}) }];
    const prices = items.map(({ price, quantity }) => {
      const found = this.prices.get(price);
      if (!found) throw new Error(`fake Stripe: no price ${price}`);
      return { price: found, ...(quantity !== undefined ? { quantity } : {}) };
    });
    const subscription = subscriptionObject(customerId, seed, prices, this.defaults());
    this.subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  /** A new price (and product, unless named) for a subscription seeded with price fields only. */
  private priceFor(seed: SubscriptionSeed): string {
    const product = seed.product ?? this.addProduct({ name: 'Pro' }).id;
    return this.addPrice({
      product,
      ...(seed.unitAmount !== undefined ? { unitAmount: seed.unitAmount } : {}),
      ...(seed.currency ? { currency: seed.currency } : {}),
      ...(seed.interval ? { interval: seed.interval } : {}),
      ...(seed.intervalCount ? { intervalCount: seed.intervalCount } : {}),
      ...(seed.nickname !== undefined ? { nickname: seed.nickname } : {}),
    }).id;
  }

  /** Changes fields in place; returns the previous values, as an `*.updated` event's `previous_attributes`. */
  update(map: Map<string, StripeObject>, id: string, fields: StripeJson): StripeJson {
    const object = map.get(id);
    if (!object) throw new Error(`fake Stripe: no object ${id}`);
    const previous: StripeJson = {};
    for (const [key, value] of Object.entries(fields)) {
      previous[key] = object[key] ?? null;
      object[key] = value;
    }
    if (map === this.customers && 'email' in fields) this.index(object);
    return previous;
  }

  /** Replaces a subscription's items (a plan change); returns the previous `items` list. */
  updateSubscriptionItems(id: string, items: SubscriptionItemSeed[]): StripeJson {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw new Error(`fake Stripe: no subscription ${id}`);
    const current = (subscription['items'] as { data: StripeJson[] }).data[0];
    const period = { start: current?.['current_period_start'] as number, end: current?.['current_period_end'] as number, created: this.now() };
    const data = items.map(({ price, quantity }) => {
      const found = this.prices.get(price);
      if (!found) throw new Error(`fake Stripe: no price ${price}`);
      return subscriptionItemObject(found, quantity, id, period);
    });
    return this.update(this.subscriptions, id, { items: JSON.parse(JSON.stringify(itemsList(id, data))) as StripeJson });
  }

  invoice(customerId: string, fields: StripeJson = {}): StripeObject {
    const customer = this.customers.get(customerId);
    if (!customer) throw new Error(`fake Stripe: no customer ${customerId}`);
    return invoiceObject(customer, fields, { now: this.now() });
  }

  /** Newest first, as every Stripe list. */
  static newestFirst(objects: Iterable<StripeObject>): StripeObject[] {
    return [...objects].map((o, i) => ({ o, i })).sort((a, b) => (b.o['created'] as number) - (a.o['created'] as number) || b.i - a.i).map(({ o }) => o);
  }

  /** The subscriptions `customer.subscriptions` holds: every one not canceled (like the list's default). */
  currentSubscriptionsOf(customerId: string): StripeObject[] {
    return StripeState.newestFirst([...this.subscriptions.values()].filter((s) => s['customer'] === customerId && s['status'] !== 'canceled'));
  }
}
