import {
  customerObject,
  invoiceObject,
  priceObject,
  productObject,
  subscriptionObject,
  type CustomerSeed,
  type PriceSeed,
  type ProductSeed,
  type StripeJson,
  type StripeObject,
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
    return customer;
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
    return previous;
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
