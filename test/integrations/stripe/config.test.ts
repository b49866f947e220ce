import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { REDACTED } from '../../../src/config/secrets.js';
import { integrations } from '../../../integrations/index.js';
import { stripe } from '../../../integrations/stripe/index.js';
import { configProblems } from '../../support/config.js';

const problems = (env: Record<string, string>) => configProblems([stripe], env);

describe('Stripe configuration', () => {
  it('STRIPE_SECRET_KEY that is not a Stripe key fails boot naming the variable and the expected prefixes, without echoing it', () => {
    const message = problems({ STRIPE_SECRET_KEY: 'oops' });
    expect(message).toMatch(/STRIPE_SECRET_KEY \(integrations\.stripe\.secretKey\): must be a Stripe secret key \(sk_test_… \/ sk_live_…\) or restricted key \(rk_test_… \/ rk_live_…\)/);
    expect(message).not.toContain('oops');
  });

  it('a publishable key is refused with the reason', () => {
    expect(problems({ STRIPE_SECRET_KEY: 'pk_test_51Habc' })).toMatch(/publishable key \(pk_…\) cannot read customers/);
  });

  it('secret and restricted keys of both modes are accepted; secrets are redacted; the API base defaults to Stripe', () => {
    for (const key of ['sk_test_51Habc', 'sk_live_51Habc', 'rk_test_51Habc', 'rk_live_51Habc']) expect(problems({ STRIPE_SECRET_KEY: key })).toBe('');
    const loaded = loadConfig([stripe], { STRIPE_SECRET_KEY: 'rk_live_51Habc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' });
    expect(loaded.config.integrations['stripe']).toMatchObject({ apiBase: 'https://api.stripe.com' });
    expect(loaded.redacted().integrations['stripe']).toMatchObject({ secretKey: REDACTED, webhookSecret: REDACTED });
  });

  it('STRIPE_WEBHOOK_SECRET must be a whsec_ signing secret', () => {
    expect(problems({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'sk_test_1' })).toMatch(/STRIPE_WEBHOOK_SECRET.*whsec_/);
  });

  it('STRIPE_API_BASE must be an http(s) origin without a path (the SDK adds /v1/ itself)', () => {
    expect(problems({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_API_BASE: 'http://127.0.0.1:12111' })).toBe('');
    expect(problems({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_API_BASE: 'https://proxy.example/stripe' })).toMatch(/STRIPE_API_BASE.*no path/);
    expect(problems({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_API_BASE: 'ftp://api.stripe.com' })).toMatch(/STRIPE_API_BASE/);
  });

  it('nothing set: Stripe stays off without complaint', () => {
    expect(problems({})).toBe('');
  });

  it('is in the hub’s integration list', () => {
    expect(integrations.map((i) => i.id)).toContain('stripe');
  });
});
