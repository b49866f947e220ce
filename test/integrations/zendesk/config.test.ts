import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { REDACTED } from '../../../src/config/secrets.js';
import { zendesk } from '../../../integrations/zendesk/index.js';
import { configProblems } from '../../support/config.js';

const base = { ZENDESK_SUBDOMAIN: 'acme', ZENDESK_WEBHOOK_SECRET: 'whsec' };

const problems = (env: Record<string, string>) => configProblems([zendesk], env);

describe('Zendesk configuration', () => {
  it('API token + email: accepted, with defaults, and secrets redacted', () => {
    const loaded = loadConfig([zendesk], { ...base, ZENDESK_EMAIL: 'admin@acme.example', ZENDESK_API_TOKEN: 'tok' });
    expect(loaded.config.integrations['zendesk']).toMatchObject({ subdomain: 'acme', rateLimit: '200/60', updateTicketRateLimit: '100/60', searchLagSeconds: 60 });
    expect(loaded.redacted().integrations['zendesk']).toMatchObject({ apiToken: REDACTED, webhookSecret: REDACTED, email: 'admin@acme.example' });
  });

  it('an OAuth token is the alternative to email + API token', () => {
    const loaded = loadConfig([zendesk], { ...base, ZENDESK_OAUTH_TOKEN: 'oauth', ZENDESK_SEARCH_LAG_SECONDS: '5' });
    expect(loaded.config.integrations['zendesk']).toMatchObject({ oauthToken: 'oauth', searchLagSeconds: 5 });
    expect(loaded.redacted().integrations['zendesk']!['oauthToken']).toBe(REDACTED);
  });

  it('half-set credentials fail boot naming the missing key', () => {
    expect(problems({ ...base, ZENDESK_EMAIL: 'admin@acme.example' })).toMatch(/ZENDESK_API_TOKEN/);
    expect(problems({ ...base, ZENDESK_API_TOKEN: 'tok' })).toMatch(/ZENDESK_EMAIL/);
    expect(problems({ ...base })).toMatch(/ZENDESK_API_TOKEN/);
    expect(problems({ ...base, ZENDESK_OAUTH_TOKEN: 'o', ZENDESK_API_TOKEN: 't', ZENDESK_EMAIL: 'a@b.co' })).toMatch(/not both/);
    expect(problems({ ZENDESK_API_TOKEN: 'tok', ZENDESK_EMAIL: 'a@b.co' })).toMatch(/ZENDESK_SUBDOMAIN/);
    expect(problems({ ZENDESK_SUBDOMAIN: 'acme', ZENDESK_OAUTH_TOKEN: 'o' })).toMatch(/ZENDESK_WEBHOOK_SECRET is missing/);
  });

  it('rate limits must read as requests/seconds', () => {
    expect(problems({ ...base, ZENDESK_OAUTH_TOKEN: 'o', ZENDESK_RATE_LIMIT: 'fast' })).toMatch(/ZENDESK_RATE_LIMIT.*200\/60/);
    expect(problems({ ...base, ZENDESK_OAUTH_TOKEN: 'o', ZENDESK_RATE_LIMIT: '700/60' })).toBe('');
  });

  it('nothing set: Zendesk stays off without complaint', () => {
    expect(problems({})).toBe('');
  });
});
