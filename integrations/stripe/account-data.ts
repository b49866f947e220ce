import Stripe from 'stripe';
import type { AccountDataCapability, AccountFacts, AccountWebhook } from '../../src/capabilities/account-data.js';
import type { ConnectionCheck } from '../../src/capabilities/helpdesk.js';
import type { StripeClient } from './client.js';
import { chooseCustomer, productIdsOf, toAccountFacts } from './facts.js';
import { ProductNameCache } from './product-names.js';

/**
 * Sequential Stripe calls behind one lookup, for the sidebar benchmark: customers (with their
 * subscriptions and prices) then product names; warm = product names cached. A customer with no
 * current subscription costs one call more (their latest ended subscription), before the names;
 * so does an address the exact list does not find (the case-insensitive search, right after it).
 */
export const STRIPE_COLD_LOOKUP_SEQUENTIAL_CALLS = 2;
export const STRIPE_WARM_LOOKUP_SEQUENTIAL_CALLS = 1;
export const STRIPE_NO_CURRENT_SUBSCRIPTION_EXTRA_CALLS = 1;
export const STRIPE_NOT_EXACT_MATCH_EXTRA_CALLS = 1;

export class StripeAccountData implements AccountDataCapability {
  readonly topic = 'Billing';
  readonly webhook?: AccountWebhook;
  private readonly productNames: ProductNameCache;
  private readonly now: () => Date;

  constructor(
    private readonly client: StripeClient,
    options: { webhook?: AccountWebhook; productCacheTtlMs?: number; now?: () => Date } = {},
  ) {
    if (options.webhook) this.webhook = options.webhook;
    this.now = options.now ?? (() => new Date());
    this.productNames = new ProductNameCache((ids, signal) => client.products(ids, signal), {
      ...(options.productCacheTtlMs !== undefined ? { ttlMs: options.productCacheTtlMs } : {}),
      now: () => this.now().getTime(),
    });
  }

  async lookup(email: string, signal: AbortSignal): Promise<AccountFacts | null> {
    // Only the first page (10) is read: more customers on one address is beyond what a card shows.
    const exact = (await this.client.customersByEmail(email, signal)).customers;
    // Stripe keeps an address in the case it was given and the list matches it exactly: only when
    // that finds nobody, the (lagging, case-insensitive) search finds `Jane@Example.com`.
    const customers = exact.length > 0 ? exact : await this.client.searchCustomers(email, signal);
    const choice = chooseCustomer(customers);
    if (!choice) return null;
    const subscription = choice.subscription ?? (await this.client.latestEndedSubscription(choice.customer.id, signal));
    const productNames = await this.productNames.names(productIdsOf(subscription), signal);
    return toAccountFacts({ choice, subscription, productNames, now: this.now() });
  }

  async checkConnection(): Promise<ConnectionCheck> {
    try {
      await this.client.probe();
      return { ok: true, detail: 'Stripe answered: customers, subscriptions and products are readable' };
    } catch (error) {
      return connectionProblem(error);
    }
  }
}

function connectionProblem(error: unknown): ConnectionCheck {
  if (error instanceof Stripe.errors.StripeAuthenticationError) {
    // Stripe's message echoes a masked key; ours names no part of it.
    return { ok: false, detail: `Stripe rejected the API key (${error.statusCode ?? 401})`, hint: 'Check STRIPE_SECRET_KEY: a secret (sk_…) or restricted (rk_…) key of the right mode, not rolled or deleted' };
  }
  if (error instanceof Stripe.errors.StripePermissionError) {
    return {
      ok: false,
      detail: `The Stripe key lacks a permission (${error.statusCode ?? 403}): ${error.message}`,
      hint: 'Give the restricted key read access to Customers, Subscriptions, Products and Prices',
    };
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    // No answer at all: name the network error (ECONNREFUSED, ENOTFOUND…) so doctor can say what to check.
    return { ok: false, detail: `Stripe could not be reached: ${error.message} (${networkCode(error.detail) ?? 'no error code'})` };
  }
  if (error instanceof Stripe.errors.StripeError) {
    return { ok: false, detail: `Stripe answered ${error.statusCode ?? 'without a status'}: ${error.message}` };
  }
  return { ok: false, detail: `Stripe could not be reached: ${error instanceof Error ? error.message : String(error)}` };
}

/** The code (ECONNREFUSED, ENOTFOUND…) of a network error, which fetch keeps in its `cause`. */
function networkCode(error: unknown): string | null {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return null;
}
