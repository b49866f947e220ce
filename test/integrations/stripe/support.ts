import { loadConfig } from '../../../src/config.js';
import { createStripeAccountData, stripe, stripeConfigSchema, type StripeAccountDataOptions } from '../../../integrations/stripe/index.js';
import type { StripeAccountData } from '../../../integrations/stripe/account-data.js';
import { startFakeStripe, type FakeStripe, type FakeStripeOptions } from '../../fakes/stripe/index.js';

export interface StripeHarness {
  fake: FakeStripe;
  accountData: StripeAccountData;
  /** What the capability reported through onVendorRequest. */
  calls: { method: string; path: string; status: number | null }[];
  /** Another capability on the same fake, from other environment values. */
  capability(env?: Record<string, string>, options?: StripeAccountDataOptions): StripeAccountData;
  close(): Promise<void>;
}

/** The fake Stripe (no rate limit unless asked) and the capability configured from its environment, as the hub would build it. */
export async function startStripeHarness(options: { fake?: FakeStripeOptions; capability?: StripeAccountDataOptions } = {}): Promise<StripeHarness> {
  const fake = await startFakeStripe({ rateLimitPerSecond: null, ...options.fake });
  const calls: StripeHarness['calls'] = [];
  const capability = (env: Record<string, string> = {}, capabilityOptions: StripeAccountDataOptions = {}) => {
    const section = loadConfig([stripe], { ...fake.env, ...env }).config.integrations['stripe'];
    return createStripeAccountData(stripeConfigSchema.parse(section), {
      onVendorRequest: (method, path, status) => calls.push({ method, path, status }),
      ...options.capability,
      ...capabilityOptions,
    });
  };
  return { fake, accountData: capability(), calls, capability, close: () => fake.close() };
}

export const signal = () => new AbortController().signal;

export const DAY_MS = 86_400_000;
