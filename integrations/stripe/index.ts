import { z } from 'zod';
import { defineIntegration } from '../../src/capabilities/integration.js';
import { secret } from '../../src/config/secrets.js';
import type { Store } from '../../src/store/store.js';
import { RateBudget } from '../../src/vendors/rate-budget.js';
import { StripeAccountData } from './account-data.js';
import { StripeClient } from './client.js';
import { stripeAccountWebhook } from './webhook.js';

/**
 * Stripe as an account-data source for the sidebar card (plan, status, trial end, renewal,
 * seats, dashboard links). Read-only: a restricted key with read access is enough (README.md).
 */

export const stripeConfigSchema = z.object({
  // docs.stripe.com/keys: secret keys are sk_test_/sk_live_, restricted keys rk_test_/rk_live_.
  secretKey: secret(
    z
      .string()
      .regex(/^[sr]k_(test|live)_\S+$/, 'must be a Stripe secret key (sk_test_… / sk_live_…) or restricted key (rk_test_… / rk_live_…); a publishable key (pk_…) cannot read customers')
      .optional(),
  ),
  webhookSecret: secret(z.string().regex(/^whsec_\S+$/, 'must be the endpoint’s signing secret, which starts with whsec_ (Developers > Webhooks > the endpoint)').optional()),
  apiBase: z
    .url({ protocol: /^https?$/ })
    // The SDK takes a host and always adds /v1/: a path here would be silently dropped.
    .refine((url) => new URL(url).pathname === '/', 'must be a bare origin such as https://api.stripe.com (no path)')
    .default('https://api.stripe.com'),
});

export type StripeConfig = z.infer<typeof stripeConfigSchema>;

export interface StripeAccountDataOptions {
  /** The hub's store: Stripe's rate limits are budgeted in its shared token buckets (every process draws from one budget). */
  store?: Store;
  onVendorRequest?(method: string, path: string, status: number | null): void;
  onVendorRateLimited?(waitMs: number): void;
  /** The fetch the SDK's HTTP client uses (conformance tests record the traffic). */
  fetch?: typeof fetch;
  now?: () => Date;
  productCacheTtlMs?: number;
}

/** The capability from a parsed config section (the registry calls this; tests and benchmarks too). */
export function createStripeAccountData(config: StripeConfig, options: StripeAccountDataOptions = {}): StripeAccountData {
  if (!config.secretKey) throw new Error('Stripe account data needs secretKey (STRIPE_SECRET_KEY)');
  const onRateLimited = options.onVendorRateLimited;
  const client = new StripeClient({
    secretKey: config.secretKey,
    apiBase: config.apiBase,
    ...(options.store ? { rateBudget: new RateBudget(options.store) } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.onVendorRequest ? { onRequest: options.onVendorRequest } : {}),
    ...(onRateLimited ? { onRateLimited: (_method: string, _path: string, waitMs: number) => onRateLimited(waitMs) } : {}),
  });
  const now = options.now;
  return new StripeAccountData(client, {
    ...(config.webhookSecret ? { webhook: stripeAccountWebhook(config.webhookSecret, now ? { now: () => now().getTime() } : {}) } : {}),
    ...(now ? { now } : {}),
    ...(options.productCacheTtlMs !== undefined ? { productCacheTtlMs: options.productCacheTtlMs } : {}),
  });
}

export const stripe = defineIntegration({
  id: 'stripe',
  name: 'Stripe',
  configSchema: stripeConfigSchema,
  env: [
    {
      env: 'STRIPE_SECRET_KEY',
      key: 'secretKey',
      description: 'Stripe secret or restricted API key (sk_… / rk_…; read access to Customers, Subscriptions, Products, Prices is enough); enables Stripe facts on the sidebar card',
    },
    {
      env: 'STRIPE_WEBHOOK_SECRET',
      key: 'webhookSecret',
      description: 'Signing secret (whsec_…) of the Stripe webhook endpoint `POST /webhooks/stripe`; without it Stripe webhooks are rejected and cards refresh only when their cache entry expires',
    },
    { env: 'STRIPE_API_BASE', key: 'apiBase', description: 'Stripe API origin (default https://api.stripe.com; tests point it at a fake)' },
  ],
  capabilities: {
    accountData: {
      requires: ['secretKey'],
      create(config, context) {
        if (!config.webhookSecret) context.log.warn('STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks will be rejected (cached cards refresh only when they expire)');
        return createStripeAccountData(config, {
          store: context.store,
          ...(context.onVendorRequest ? { onVendorRequest: (method: string, path: string, status: number | null) => context.onVendorRequest!('stripe', method, path, status) } : {}),
          ...(context.onVendorRateLimited ? { onVendorRateLimited: (waitMs: number) => context.onVendorRateLimited!('stripe', waitMs) } : {}),
        });
      },
    },
  },
});
