import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHubPayload } from '../../src/http/hub-signature.js';
import type { SidebarCard } from '../../src/sidebar/card.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { testSources } from './support.js';

const SECRET = 'sidebar-card-secret-0123456789';

describe('generic card: POST /sidebar/card (X-Hub-Signature)', () => {
  const sources = testSources();
  let t: TestHub;
  let base: string;

  beforeAll(async () => {
    t = await startTestHub('pglite', { integrations: sources.integrations, env: { SIDEBAR_CARD_SECRET: SECRET, SIDEBAR_BUDGET_MS: '3000', ...sources.env } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    sources.accounts.set('ada@example.com', {
      company: 'Analytical Engines Ltd',
      plan: { name: 'Growth', interval: 'year', amountMinor: 120000, currency: 'gbp' },
      status: 'past_due',
      renewsAt: new Date('2026-11-01T09:30:00Z'),
      links: [{ label: 'Stripe customer', url: 'https://dashboard.stripe.com/test/customers/cus_123' }],
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const post = (body: string, signature: string | null = signHubPayload(SECRET, body)) =>
    fetch(`${base}/sidebar/card`, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature': signature } : {}) }, body });

  it('returns the card as structured JSON: the model the Help Scout HTML is rendered from', async () => {
    const response = await post(JSON.stringify({ email: 'ada@example.com' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const card = (await response.json()) as SidebarCard;
    expect(card).toMatchObject({ kind: 'account', email: 'ada@example.com', headline: 'Analytical Engines Ltd', notice: null, badges: [{ text: 'past due', tone: 'danger' }] });
    const crm = card.sections.find((s) => s.id === 'source:crm');
    expect(crm).toMatchObject({ title: 'Acme CRM', state: 'ok' });
    expect(crm?.items).toEqual(
      expect.arrayContaining([
        { label: 'Company', text: 'Analytical Engines Ltd' },
        { label: 'Plan', text: 'Growth · £1,200.00 / year', value: 'Growth' },
        { label: 'Status', badge: { text: 'past due', tone: 'danger' }, value: 'past_due' },
        { label: 'Renews', text: '2026-11-01 09:30 UTC', value: '2026-11-01T09:30:00.000Z' },
        { label: 'Stripe customer', link: { text: 'Open', url: 'https://dashboard.stripe.com/test/customers/cus_123' } },
      ]),
    );
    expect(card.sections.find((s) => s.id === 'source:slowbilling')).toMatchObject({ state: 'ok', items: [] });
  });

  it('uses "emails" when "email" is absent, and calls an unknown address a lead', async () => {
    const fallback = (await (await post(JSON.stringify({ emails: ['not an address', 'ADA@example.com'] }))).json()) as SidebarCard;
    expect(fallback.headline).toBe('Analytical Engines Ltd');
    const lead = (await (await post(JSON.stringify({ email: 'stranger@example.com' }))).json()) as SidebarCard;
    expect(lead).toMatchObject({ kind: 'lead', notice: 'No account — lead?', sections: [] });
  });

  it('rejects a missing, wrong, expired or body-mismatched signature with 401 and reveals nothing', async () => {
    const body = JSON.stringify({ email: 'ada@example.com' });
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);
    const attempts = [
      null,
      signHubPayload('some-other-secret-value', body),
      signHubPayload(SECRET, body, sixMinutesAgo),
      signHubPayload(SECRET, JSON.stringify({ email: 'someone-else@example.com' })),
      't=1,v1=zz',
    ];
    for (const signature of attempts) {
      const response = await post(body, signature);
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_signature' } });
      expect(text).not.toContain('Analytical');
    }
  });

  it('accepts the signature of a rotated-in secret alongside the current one (several v1 values)', async () => {
    const body = JSON.stringify({ email: 'ada@example.com' });
    const current = signHubPayload(SECRET, body);
    const t0 = current.split(',')[0];
    const other = signHubPayload('next-secret-not-yet-configured', body).split(',')[1];
    const response = await post(body, `${t0},${other},${current.split(',')[1]}`);
    expect(response.status).toBe(200);
  });

  it('answers malformed JSON and a body without an address with 400', async () => {
    const malformed = await post('{"email": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'malformed_json' } });
    for (const body of [JSON.stringify({}), JSON.stringify({ email: 42 }), JSON.stringify({ email: 'not-an-address' })]) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_card_request' } });
    }
  });
});

describe('generic card without SIDEBAR_CARD_SECRET', () => {
  it('is off (404), whatever the request carries', async () => {
    const t = await startTestHub('pglite', {});
    try {
      const base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
      const body = JSON.stringify({ email: 'ada@example.com' });
      const response = await fetch(`${base}/sidebar/card`, { method: 'POST', headers: { 'x-hub-signature': signHubPayload('anything-at-all-1234', body) }, body });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'not_configured' } });
    } finally {
      await t.stop();
    }
  });
});
