import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zendesk } from '../../integrations/zendesk/index.js';
import { loadConfig } from '../../src/config.js';
import { REDACTED } from '../../src/config/secrets.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { testSources } from './support.js';
import { configProblems } from '../support/config.js';

const TOKEN = 'zendesk-sidebar-token-0123456789abcdef0123456789abcdef';

describe('Zendesk sidebar app: POST /sidebar/zendesk', () => {
  const sources = testSources();
  let t: TestHub;
  let base: string;

  beforeAll(async () => {
    // Only the sidebar token: no subdomain, API credentials or webhook secret (deployable alone).
    t = await startTestHub('pglite', {
      integrations: [zendesk, ...sources.integrations],
      // Generous: under CI load the hub's own records must not miss the budget (no test here waits it out).
      env: { ZENDESK_SIDEBAR_TOKEN: TOKEN, SIDEBAR_BUDGET_MS: '3000', ...sources.env },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${base}/sidebar/zendesk`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const htmlOf = async (response: Response) => {
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const json = (await response.json()) as { html: string };
    expect(Object.keys(json)).toEqual(['html']);
    return json.html;
  };
  const card = async (request: Record<string, unknown>) => {
    const response = await post(JSON.stringify(request));
    expect(response.status).toBe(200);
    return htmlOf(response);
  };

  it('writes dates in the agent’s zone the app sends (ZAF currentUser.timeZone), ignoring an unknown zone', async () => {
    sources.accounts.set('zoned@example.com', { company: 'Zoned Ltd', renewsAt: new Date('2026-10-01T12:00:00Z'), timeZone: 'Europe/Berlin' });
    const html = await card({ email: 'zoned@example.com', agentTimeZone: 'America/New_York' });
    expect(html).toContain('2026-10-01 08:00 America/New_York<span class="zh-row__hint">customer: 2026-10-01 14:00 Europe/Berlin</span>');
    const unknownZone = await card({ email: 'zoned@example.com', agentTimeZone: 'Mars/Olympus' });
    expect(unknownZone).toContain('2026-10-01 12:00 UTC<span class="zh-row__hint">customer: 2026-10-01 14:00 Europe/Berlin</span>');
  });

  it('is enabled by ZENDESK_SIDEBAR_TOKEN alone, while the Zendesk helpdesk stays not configured', () => {
    const status = t.hub.registry.status().find((s) => s.id === 'zendesk');
    expect(status?.capabilities).toEqual({ helpdesk: 'not configured', sidebar: 'enabled' });
  });

  it('answers a request with the right bearer token with the card in the app’s markup', async () => {
    sources.accounts.set('jane@example.com', {
      company: 'Pancake Palace GmbH',
      role: 'owner',
      plan: { name: 'Business', interval: 'month', amountMinor: 4900, currency: 'eur' },
      status: 'trialing',
      trialEndsAt: new Date('2026-09-30T12:00:00Z'),
      seats: { used: 50, limit: 50 },
      timeZone: 'Europe/Berlin',
      links: [{ label: 'CRM record', url: 'https://crm.example/accounts/1' }],
    });
    const html = await card({ email: 'jane@example.com', emails: ['jane@example.com'], name: 'Jane Doe', ticketId: 4242 });
    expect(html).toContain('<h2 class="zh-card__title">Pancake Palace GmbH</h2>');
    expect(html).toContain('<p class="zh-card__email">jane@example.com</p>');
    expect(html).toContain('<p class="zh-card__badges"><span class="zh-badge zh-badge--info">trialing</span> <span class="zh-badge zh-badge--info">owner</span></p>');
    expect(html).toContain('<h3 class="zh-section__title">Acme CRM</h3>');
    expect(html).toContain('<div class="zh-row"><dt class="zh-row__label">Plan</dt><dd class="zh-row__value">Business · €49.00 / month</dd></div>');
    expect(html).toContain('50 of 50 <span class="zh-badge zh-badge--warning">at limit</span>');
    expect(html).toContain('2026-09-30 12:00 UTC<span class="zh-row__hint">customer: 2026-09-30 14:00 Europe/Berlin</span>');
    expect(html).toContain('<a class="zh-link" href="https://crm.example/accounts/1" target="_blank" rel="noopener noreferrer">Open</a>');
    // Zendesk's proxy does not care for the scheme's case (RFC 7235 §2.1), and neither does the hub.
    const lower = await post(JSON.stringify({ email: 'jane@example.com' }), { authorization: `bearer ${TOKEN}` });
    expect(lower.status).toBe(200);
  });

  it('rejects a missing, wrong, other or Basic-scheme token with 401 and an {html} sentence, without customer data', async () => {
    const body = JSON.stringify({ email: 'jane@example.com', name: 'Jane Doe', ticketId: 4242 });
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer ' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: 'Bearer another-apps-token-0123456789abcdef0123456789abcdef' },
      { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
      // What arrives when the proxy did not substitute (no `secure: true`, or domain not whitelisted).
      { authorization: 'Bearer {{setting.hub_token}}' },
    ];
    for (const headers of attempts) {
      const response = await post(body, headers);
      expect(response.status, JSON.stringify(headers)).toBe(401);
      const html = await htmlOf(response);
      expect(html).toMatch(/^<p>.+<\/p>$/);
      expect(html).not.toContain('Pancake');
      expect(html).not.toContain('jane@example.com');
    }
  });

  it('answers a malformed body or the wrong shape with 400, still as {html}', async () => {
    const bodies = [
      '{"email": ',
      '[1,2,3]',
      JSON.stringify({ email: 42 }),
      JSON.stringify({ emails: 'jane@example.com' }),
      JSON.stringify({ emails: Array.from({ length: 101 }, (_, i) => `a${i}@example.com`) }),
      JSON.stringify({ name: 'x'.repeat(501) }),
      JSON.stringify({ ticketId: 'drop table' }),
    ];
    for (const body of bodies) {
      const response = await post(body);
      expect(response.status, body.slice(0, 40)).toBe(400);
      expect(await htmlOf(response)).toMatch(/^<p>.+<\/p>$/);
    }
  });

  it('falls back to emails when email is missing', async () => {
    sources.accounts.set('second@example.com', { company: 'Fallback Industries' });
    expect(await card({ email: null, emails: ['Second@Example.com', 'third@example.com'], name: 'Sam' })).toContain('<h2 class="zh-card__title">Fallback Industries</h2>');
    expect(await card({ emails: ['second@example.com'] })).toContain('Fallback Industries');
  });

  it('answers a requester without any email with a short notice', async () => {
    expect(await card({ email: null, emails: [], name: 'Phone Caller', ticketId: null })).toBe('<p>No customer email on this conversation yet.</p>');
  });

  it('escapes hostile names and account data: they appear as text, never as markup', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const lead = await card({ email: 'hostile-lead@example.com', name: hostile, ticketId: '77' });
    expect(lead).toContain('<h2 class="zh-card__title">&lt;img src=x onerror=alert(1)&gt;</h2>');
    expect(lead).not.toContain('<img');

    sources.accounts.set('hostile@example.com', {
      company: '"><script>alert(1)</script>',
      role: '<b>admin</b>',
      extra: { '<i>label</i>': '</dd></div><script>alert(2)</script>' },
      links: [{ label: 'Quoted link', url: 'https://crm.example/a?q="><script>alert(3)</script>' }],
    });
    const html = await card({ email: 'hostile@example.com', name: hostile });
    expect(html).toContain('<h2 class="zh-card__title">&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h2>');
    expect(html).toContain('&lt;b&gt;admin&lt;/b&gt;');
    expect(html).toContain('<dt class="zh-row__label">&lt;i&gt;label&lt;/i&gt;</dt>');
    for (const markup of ['<script', '<img', '<b>', '<i>']) expect(html).not.toContain(markup);
    expect(html).toContain('href="https://crm.example/a?q=%22%3E%3Cscript%3Ealert(3)%3C/script%3E"');
  });

  it('gives an email no source knows a short "No account — lead?" card', async () => {
    const html = await card({ email: 'nobody-knows-me@example.com', name: 'Prospect Person', ticketId: 9 });
    expect(html).toContain('<h2 class="zh-card__title">Prospect Person</h2>');
    expect(html).toContain('<span class="zh-badge zh-badge--info">no account</span>');
    expect(html).toContain('<p class="zh-card__notice">No account — lead?</p>');
    expect(html).not.toContain('Acme CRM');
  });

  it('withholds account data from an unverified sender, as every sidebar does, and does not ask the source (issue 24)', async () => {
    const email = 'typed-by-visitor@example.com';
    sources.accounts.set(email, { company: 'Claimed Co', modules: ['payroll'] });
    await t.hub.ingest({
      channel: 'chat',
      source: 'chat:app1',
      sourceMessageId: 'zd-anon-1',
      thread: { key: 'zd-anon-1' },
      contact: { identityKind: 'chat', identityKey: 'app1:zd-visitor-1', email, name: 'Visitor', verified: false },
      text: 'What plan am I on?',
    });
    const asked = sources.crmLookups.filter((e) => e === email).length;
    const html = await card({ email, name: 'Visitor', ticketId: 10 });
    expect(html).toContain('unverified sender');
    expect(html).not.toContain('Claimed Co');
    expect(html).not.toContain('payroll');
    expect(sources.crmLookups.filter((e) => e === email).length).toBe(asked);
  });

  it('refuses a body the proxy filled with the token (a requester named {{setting.hub_token}}) instead of echoing it', async () => {
    // The app escapes braces so this cannot happen through it; the hub still never shows the token.
    const response = await post(JSON.stringify({ email: 'jane@example.com', name: TOKEN }));
    expect(response.status).toBe(400);
    const html = await htmlOf(response);
    expect(html).toMatch(/^<p>.+<\/p>$/);
    expect(html).not.toContain(TOKEN);
  });
});

describe('Zendesk sidebar configuration', () => {
  const problems = (env: Record<string, string>) => configProblems([zendesk], env);

  it('takes the token alone, redacted, without asking for the helpdesk’s subdomain or credentials', () => {
    const loaded = loadConfig([zendesk], { ZENDESK_SIDEBAR_TOKEN: TOKEN });
    expect(loaded.config.integrations['zendesk']).toMatchObject({ sidebarToken: TOKEN });
    expect(loaded.redacted().integrations['zendesk']!['sidebarToken']).toBe(REDACTED);
  });

  it('refuses a short token, naming the variable and how to make a good one', () => {
    const message = problems({ ZENDESK_SIDEBAR_TOKEN: 'too-short' });
    expect(message).toContain('ZENDESK_SIDEBAR_TOKEN');
    expect(message).toContain('openssl rand -hex 32');
  });
});
