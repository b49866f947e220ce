import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { expect } from 'vitest';
import { z } from 'zod';
import type { AccountFacts } from '../../src/capabilities/account-data.js';
import { defineIntegration } from '../../src/capabilities/integration.js';

/**
 * Account-data sources defined in the tests themselves: a CRM whose answers the test sets per
 * email (and which fails for `crm-down@…`), and a billing source that hangs for five seconds on
 * the addresses a test names, ignoring the abort signal like a stuck vendor would.
 */
export function testSources() {
  const accounts = new Map<string, Omit<AccountFacts, 'source'>>();
  const crmLookups: string[] = [];
  const crm = defineIntegration({
    id: 'crm',
    name: 'Acme CRM',
    configSchema: z.object({ token: z.string().optional() }),
    env: [{ env: 'TESTCRM_TOKEN', key: 'token', description: 'test CRM token' }],
    capabilities: {
      accountData: {
        requires: ['token'],
        create: () => ({
          async lookup(email) {
            crmLookups.push(email);
            if (email.startsWith('crm-down@')) throw new Error('CRM answered 500');
            const facts = accounts.get(email);
            return facts ? { source: 'crm', ...facts } : null;
          },
          checkConnection: async () => ({ ok: true, detail: 'test' }),
        }),
      },
    },
  });

  const slowEmails = new Set<string>();
  const slowEvents = new EventEmitter();
  const slowFinished = new Set<string>();
  const slowBilling = defineIntegration({
    id: 'slowbilling',
    name: 'Slow Billing',
    configSchema: z.object({ key: z.string().optional() }),
    env: [{ env: 'TESTSLOW_KEY', key: 'key', description: 'test slow source key' }],
    capabilities: {
      accountData: {
        requires: ['key'],
        create: () => ({
          async lookup(email) {
            if (!slowEmails.has(email)) return null;
            await new Promise((resolve) => setTimeout(resolve, 5000).unref());
            slowFinished.add(email);
            slowEvents.emit('finished', email);
            return { source: 'slowbilling', company: 'Too Late Ltd', status: 'paid' };
          },
          checkConnection: async () => ({ ok: true, detail: 'test' }),
        }),
      },
    },
  });

  return {
    integrations: [crm, slowBilling],
    env: { TESTCRM_TOKEN: 'crm-token', TESTSLOW_KEY: 'slow-key' },
    accounts,
    crmLookups,
    slowEmails,
    slowEvents,
    slowFinished,
  };
}

/** Help Scout's legacy Dynamic App signature: base64 HMAC-SHA1 of the raw body. */
export function helpScoutSignature(secret: string, body: string): string {
  return createHmac('sha1', secret).update(body).digest('base64');
}

/** Posts a Dynamic App request to the hub, signed with `secret` unless other headers are given. */
export function postHelpScoutSidebar(base: string, secret: string, body: string, headers: Record<string, string> = { 'x-helpscout-signature': helpScoutSignature(secret, body) }): Promise<Response> {
  return fetch(`${base}/sidebar/helpscout`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** The card HTML of a validly signed Dynamic App request (which must be answered 200). */
export async function helpScoutCardHtml(base: string, secret: string, body: string): Promise<string> {
  const response = await postHelpScoutSidebar(base, secret, body);
  expect(response.status).toBe(200);
  return ((await response.json()) as { html: string }).html;
}

/** A Dynamic App request body as Help Scout sends it (developer.helpscout.com/custom-apps/dynamic). */
export function dynamicAppBody(overrides: { ticket?: unknown; customer?: Record<string, unknown>; mailboxId?: number } = {}): string {
  return JSON.stringify({
    ticket: 'ticket' in overrides ? overrides.ticket : { id: 123456, number: 42, subject: 'Renewal date?' },
    customer: { id: 987, fname: 'Jane', lname: 'Doe', email: 'jane@example.com', emails: ['jane@example.com'], ...overrides.customer },
    user: { fname: 'Agent', lname: 'Smith', id: 555, role: 'user', convRedirect: 0 },
    mailbox: { id: overrides.mailboxId ?? 101, email: 'support@acme.example' },
  });
}
