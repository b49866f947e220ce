import { describe, expect, it } from 'vitest';
import { assembleCard, LEAD_NOTICE } from '../../src/sidebar/assemble.js';
import type { SourceOutcome } from '../../src/sidebar/account-lookup.js';
import type { SidebarCard } from '../../src/sidebar/card.js';
import type { HubFacts } from '../../src/sidebar/hub-facts.js';
import { safeHref } from '../../src/sidebar/safe-href.js';
import { renderHelpScoutCard } from '../../src/sidebar/render-helpscout.js';

const now = new Date('2026-06-01T10:00:00Z');
const unknownToHub: HubFacts = { known: false, verified: false, name: null, conversationCount: 0, openCount: 0, recent: [], device: null };
const found = (company: string): SourceOutcome => ({ integrationId: 'crm', name: 'Acme CRM', state: 'found', email: 'a@example.com', facts: { source: 'crm', company }, staleSince: null });

describe('card HTML escaping', () => {
  it('links only http(s) URLs', () => {
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,<script>alert(1)</script>')).toBeNull();
    expect(safeHref('not a url')).toBeNull();
    expect(safeHref('https://dashboard.stripe.com/customers/cus_1')).toBe('https://dashboard.stripe.com/customers/cus_1');
  });

  it('renders no markup from any field of the card model', () => {
    const evil = '"\'><x-evil onmouseover=alert(1)>';
    const card: SidebarCard = {
      kind: 'account',
      email: evil,
      headline: evil,
      badges: [{ text: evil, tone: 'danger' }],
      notice: evil,
      sections: [
        {
          id: 'x',
          title: evil,
          state: 'ok',
          items: [{ label: evil, text: evil, hint: evil, badge: { text: evil, tone: 'success' }, link: { text: evil, url: `https://x.example/${evil}` } }],
          note: evil,
        },
        { id: 'y', title: evil, state: 'unavailable', items: [], note: evil },
      ],
      generatedAt: now.toISOString(),
    };
    const out = renderHelpScoutCard(card);
    expect(out).not.toContain('<x-evil');
    expect(out).not.toMatch(/"'>/);
    // 13 text fields, each escaped once (the URL is percent-encoded by the URL parser instead).
    expect(out.split('&lt;x-evil onmouseover=alert(1)&gt;').length - 1).toBe(13);
    expect(renderHelpScoutCard({ ...card, kind: 'notice' })).toBe('<p>&#34;&#39;&gt;&lt;x-evil onmouseover=alert(1)&gt;</p>');
  });
});

describe('card assembly rules', () => {
  it('withholds account data from a sender the hub knows only unverified, and from one it cannot check', () => {
    const unverified = assembleCard({ emails: ['a@example.com'], name: 'A', hub: { ...unknownToHub, known: true }, accounts: [found('Hidden Ltd')], agentTimeZone: 'UTC', now });
    expect(unverified.kind).toBe('unverified');
    expect(JSON.stringify(unverified)).not.toContain('Hidden Ltd');
    const unchecked = assembleCard({ emails: ['a@example.com'], name: 'A', hub: 'unavailable', accounts: [found('Hidden Ltd')], agentTimeZone: 'UTC', now });
    expect(unchecked.kind).toBe('unverified');
    expect(JSON.stringify(unchecked)).not.toContain('Hidden Ltd');
  });

  it('shows account data for a verified sender and for one the hub has never seen (the helpdesk vouches)', () => {
    for (const hub of [unknownToHub, { ...unknownToHub, known: true, verified: true }]) {
      const card = assembleCard({ emails: ['a@example.com'], name: null, hub, accounts: [found('Shown Ltd')], agentTimeZone: 'UTC', now });
      expect(card).toMatchObject({ kind: 'account', headline: 'Shown Ltd' });
    }
  });

  it('calls the customer a lead only when every source answered and none knows them', () => {
    const none: SourceOutcome = { integrationId: 'crm', name: 'Acme CRM', state: 'none' };
    const late: SourceOutcome = { integrationId: 'billing', name: 'Billing', state: 'unavailable', reason: 'timeout' };
    expect(assembleCard({ emails: ['a@example.com'], name: null, hub: unknownToHub, accounts: [none], agentTimeZone: 'UTC', now })).toMatchObject({ kind: 'lead', notice: LEAD_NOTICE });
    expect(assembleCard({ emails: ['a@example.com'], name: null, hub: unknownToHub, accounts: [], agentTimeZone: 'UTC', now })).toMatchObject({ kind: 'lead' });
    const undecided = assembleCard({ emails: ['a@example.com'], name: null, hub: unknownToHub, accounts: [none, late], agentTimeZone: 'UTC', now });
    expect(undecided.kind).toBe('account');
    expect(undecided.sections.find((s) => s.id === 'source:billing')).toMatchObject({ state: 'unavailable' });
  });

  it('writes dates in the agent’s zone with the customer’s as a hint, and limits as used of limit', () => {
    const outcome: SourceOutcome = {
      integrationId: 'stripe',
      name: 'Stripe',
      state: 'found',
      email: 'a@example.com',
      staleSince: new Date('2026-06-01T09:30:00Z'),
      facts: {
        source: 'stripe',
        renewsAt: new Date('2026-07-01T12:00:00Z'),
        timeZone: 'Europe/Berlin',
        seats: { used: null, limit: 12 },
        limits: [
          { label: 'Employees', used: 51, limit: 50 },
          { label: 'Locations', used: 3, limit: null },
        ],
      },
    };
    const card = assembleCard({ emails: ['a@example.com'], name: null, hub: unknownToHub, accounts: [outcome], agentTimeZone: 'America/New_York', now });
    const section = card.sections.find((s) => s.id === 'source:stripe')!;
    expect(section.items.find((i) => i.label === 'Renews')).toMatchObject({ text: '2026-07-01 08:00 America/New_York', hint: 'customer: 2026-07-01 14:00 Europe/Berlin' });
    expect(section.items.find((i) => i.label === 'Seats')).toMatchObject({ text: '12 in plan' });
    expect(section.items.find((i) => i.label === 'Employees')).toMatchObject({ text: '51 of 50', badge: { text: 'over limit', tone: 'warning' } });
    expect(section.items.find((i) => i.label === 'Locations')).toMatchObject({ text: '3 of unlimited' });
    expect(section.note).toBe('As of 2026-06-01 05:30 America/New_York; refreshing.');
    const sameZone = assembleCard({ emails: ['a@example.com'], name: null, hub: unknownToHub, accounts: [outcome], agentTimeZone: 'Europe/Berlin', now });
    expect(sameZone.sections[0]!.items.find((i) => i.label === 'Renews')).toEqual({ label: 'Renews', text: '2026-07-01 14:00 Europe/Berlin', value: '2026-07-01T12:00:00.000Z' });
  });
});
