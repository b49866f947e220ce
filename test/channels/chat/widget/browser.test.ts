import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { artifactsDir as artifacts, browserAvailable, launchChromium } from '../../../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../../src/app.js';
import { buildWidget, type WidgetBuild } from '../../../../src/channels/chat/widget/build.js';
import { widgetRouter } from '../../../../src/channels/chat/widget/routes.js';
import { HubMetrics } from '../../../../src/ops/metrics.js';
import { startTestHub, waitFor, type TestHub } from '../../../support/hub.js';
import { startFakeV1Server, type FakeV1Server } from './fake-v1-server.js';

const hasChromium = browserAvailable('widget');

let browser: Browser;
let widget: WidgetBuild;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  widget = await buildWidget();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
  contexts.push(context);
  return context.newPage();
}

/** A customer's site on its own origin, with CSS that would wreck the widget if it leaked in. */
async function startCustomerSite(hubUrl: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const identify =
      req.url === '/identified'
        ? `<script>window.SupportHub = { user: { id: 'u-77', email: 'kim@example.com', name: 'Kim' }, userHash: 'feedface' };</script>`
        : '';
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme</title>
<style>* { font-size: 40px !important; color: rgb(255, 0, 0) !important; } button { display: none !important; }</style></head>
<body><h1>Acme pricing</h1>${identify}
<script src="${hubUrl}/widget/hub-widget.js" data-app-id="demo" data-hub-url="${hubUrl}" data-app-version="5.1.0" async></script>
</body></html>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const closeServer = (server: Server | undefined) =>
  server ? new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) : Promise.resolve();

describe.skipIf(!hasChromium)('chat widget in a browser, against a fake v1 API', () => {
  let fake: FakeV1Server;
  let site: { url: string; server: Server };

  beforeAll(async () => {
    // The widget assets come from the real router in the real app pipeline (helmet included).
    const app = buildApp({
      log: pino({ level: 'silent' }),
      metrics: new HubMetrics(),
      bodyLimitBytes: 1024 * 1024,
      trustProxy: false,
      rawBodyRouters: [],
      routers: [widgetRouter({ widgetFile: widget.file, demoAppId: 'demo' })],
    });
    fake = await startFakeV1Server({ appId: 'demo', fallback: app });
    site = await startCustomerSite(fake.url);
  });

  afterAll(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await closeServer(site?.server);
    await fake?.close();
  });

  it('embeds on another origin, shows availability, sends with Enter and shows agent replies live as text', async () => {
    const page = await newPage();
    await page.goto(site.url);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const panel = page.getByRole('dialog', { name: 'Chat with us' });
    await expect.poll(() => panel.isVisible()).toBe(true);
    await expect.poll(() => panel.textContent()).toContain('Usually replies within about 3 hours');

    const input = page.getByLabel('Your message');
    await input.fill('hello');
    await input.press('Enter');
    await waitFor(() => fake.messages().find((m) => m.text === 'hello'), 15_000, 'the message at the fake hub');
    const session = fake.requests.find((r) => r.path === '/v1/sessions')!.body as { user?: unknown; device: Record<string, unknown> };
    expect(session.user).toBeUndefined();
    expect(session.device).toMatchObject({ platform: 'web', sdkVersion: widget.version, appVersion: '5.1.0', model: null, osVersion: 'Linux' });
    expect(typeof session.device['timeZone']).toBe('string');

    const conversationId = fake.messages()[0]!.conversation_id;
    await waitFor(() => fake.openStreams() === 1, 15_000, 'the live stream');
    fake.agentReply(conversationId, '<img src=x onerror="document.title=\'owned\'"> Hi! How can I help?');
    const reply = page.getByText('Hi! How can I help?');
    await expect.poll(() => reply.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await reply.textContent()).toContain('<img src=x');
    expect(await page.title()).toBe('Acme');

    // The page's `* { font-size: 40px !important }` and `button { display: none }` stay outside.
    const fontSize = await page.getByText('hello', { exact: true }).evaluate((node) => getComputedStyle(node).fontSize);
    expect(fontSize).toBe('14px');
    expect(await page.getByRole('button', { name: 'Send' }).isVisible()).toBe(true);

    // With the panel closed, a reply shows as unread on the bubble.
    await page.keyboard.press('Escape');
    fake.agentReply(conversationId, 'Are you still there?');
    await expect.poll(() => page.getByRole('button', { name: 'Open chat (1 unread)' }).isVisible(), { timeout: 15_000 }).toBe(true);
  });

  it('is usable with the keyboard: Enter opens and focuses the input, Escape closes and returns focus', async () => {
    const page = await newPage();
    await page.goto(site.url);
    const bubble = page.getByRole('button', { name: 'Open chat' });
    await bubble.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByLabel('Your message').evaluate((node) => node === (node.getRootNode() as ShadowRoot).activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').isVisible()).toBe(false);
    expect(await bubble.getAttribute('aria-expanded')).toBe('false');
    expect(await bubble.evaluate((node) => node === (node.getRootNode() as ShadowRoot).activeElement)).toBe(true);
  });

  it("shows the hub's away notice, worded in the visitor's time zone, before the customer writes", async () => {
    const away = "We're away right now. We'll be back Monday 9:00 AM, your time.";
    fake.availability = { status: 'away', expected_reply: { minutes: null, text: away }, next_open_at: '2030-01-07T08:00:00Z', time_zone: 'Europe/Berlin' };
    const context = await browser.newContext({ timezoneId: 'America/New_York' });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(site.url);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await expect.poll(() => page.getByRole('dialog').textContent()).toContain(away);
    expect(await page.getByText(away).count()).toBe(1);
    expect(fake.requests.filter((r) => r.path.startsWith('/v1/availability')).at(-1)!.path).toBe('/v1/availability?time_zone=America%2FNew_York');
    fake.availability = { status: 'open', expected_reply: { minutes: 180, text: 'Usually replies within about 3 hours' }, next_open_at: null, time_zone: 'Europe/Berlin' };
  });

  it('identifies the user the page names in window.SupportHub', async () => {
    const page = await newPage();
    await page.goto(`${site.url}/identified`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await waitFor(() => fake.requests.find((r) => r.path === '/v1/sessions' && (r.body as { user?: unknown }).user), 15_000, 'an identified session');
    const body = fake.requests.filter((r) => r.path === '/v1/sessions').at(-1)!.body;
    expect(body).toMatchObject({ user: { id: 'u-77', email: 'kim@example.com', name: 'Kim' }, user_hash: 'feedface' });
  });

  it('runs on the demo page under its strict CSP (no inline script or style), stream included', async () => {
    const page = await newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${fake.url}/widget/demo`);
    const bubble = page.getByRole('button', { name: 'Open chat' });
    expect(await bubble.evaluate((node) => getComputedStyle(node).position)).toBe('fixed');
    await bubble.click();
    const input = page.getByLabel('Your message');
    await input.fill('from the demo page');
    await page.getByRole('button', { name: 'Send' }).click();
    const sent = await waitFor(() => fake.messages().find((m) => m.text === 'from the demo page'), 15_000, 'the demo message');
    await waitFor(() => fake.openStreams() >= 1, 15_000, 'the live stream');
    fake.agentReply(sent.conversation_id, 'Hello from the team');
    await expect.poll(() => page.getByText('Hello from the team').isVisible(), { timeout: 15_000 }).toBe(true);
    await page.screenshot({ path: `${artifacts}widget-demo.png` });
    expect(violations).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('chat widget in a browser, against the real hub', () => {
  let testHub: TestHub | undefined;
  let site: { url: string; server: Server } | undefined;
  let hubUrl = '';

  beforeAll(async () => {
    testHub = await startTestHub('pglite', {
      env: {
        CHAT_APP_ID: 'demo',
        CHAT_IDENTITY_SECRET: 'widget-browser-test-identity-secret-0123456789',
        CHAT_ALLOW_ANONYMOUS: 'true',
        CHAT_ALLOWED_ORIGINS: '*',
      },
    });
    const port = await testHub.hub.listen(0, '127.0.0.1');
    hubUrl = `http://127.0.0.1:${port}`;
    site = await startCustomerSite(hubUrl);
  });

  afterAll(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await closeServer(site?.server);
    await testHub?.stop();
  });

  it('a visitor on another site opens the bubble, writes "hello", and sees the agent reply without reloading', async () => {
    const { hub } = testHub!;
    for (const path of ['/widget/hub-widget.js', '/v1/availability']) {
      const response = await fetch(`${hubUrl}${path}`, { headers: { 'X-Hub-App-Id': 'demo' } });
      // A clear reason instead of a browser timeout while the chat server or its mounting is missing.
      if (response.status === 404) throw new Error(`the hub answers 404 for ${path}: the chat server / widgetRouter is not mounted in startHub`);
    }

    const page = await newPage();
    await page.goto(site!.url);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const input = page.getByLabel('Your message');
    await input.fill('hello');
    await input.press('Enter');

    const stored = await waitFor(
      () =>
        hub.store.db
          .selectFrom('messages')
          .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
          .select(['messages.conversation_id', 'messages.author_kind', 'conversations.channel'])
          .where('messages.text', '=', 'hello')
          .where('messages.direction', '=', 'inbound')
          .executeTakeFirst(),
      30_000,
      'the inbound chat message in the store',
    );
    expect(stored).toMatchObject({ channel: 'chat', author_kind: 'customer' });
    const messagesInConversation = await hub.store.db.selectFrom('messages').select('id').where('conversation_id', '=', stored.conversation_id).execute();
    expect(messagesInConversation).toHaveLength(1); // a new conversation, started by this message

    await hub.reply({
      conversationId: stored.conversation_id,
      source: 'test-agent',
      sourceMessageId: 'r1',
      authorKind: 'agent',
      authorName: 'Ana',
      text: 'Hi! How can I help?',
    });
    await expect.poll(() => page.getByText('Hi! How can I help?').isVisible(), { timeout: 30_000 }).toBe(true);
    await page.screenshot({ path: `${artifacts}widget.png` });
  });

  it('with an open incident, a new customer sees the banner in their own time zone before writing; resolved, it is gone; /metrics counts them', async () => {
    const { hub } = testHub!;
    // Three customers report an outage: the incident's banner goes up by itself.
    for (const user of ['r1', 'r2', 'r3']) {
      await hub.ingest({
        channel: 'chat',
        source: 'chat:demo',
        sourceMessageId: `${user}-down`,
        thread: { key: `conv-of-${user}` },
        contact: { identityKind: 'chat', identityKey: `demo:${user}`, email: `${user}@example.com`, name: user, verified: true },
        text: 'Your site is down! Nobody can log in.',
      });
    }
    const incident = await waitFor(
      () => hub.store.db.selectFrom('incidents').select(['id', 'opened_at']).where('status', '=', 'open').where('published_at', 'is not', null).executeTakeFirst(),
      30_000,
      'the published incident',
    );

    // A customer in Sydney who has not written opens the widget.
    const context = await browser.newContext({ timezoneId: 'Australia/Sydney', locale: 'en-US', viewport: { width: 1000, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(site!.url);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const banner = page.getByRole('status', { name: 'Known problem' });
    await expect.poll(() => banner.isVisible(), { timeout: 15_000 }).toBe(true);
    const sydney = new Intl.DateTimeFormat('en-US', { timeZone: 'Australia/Sydney', hour: 'numeric', minute: '2-digit' }).format(new Date(incident.opened_at));
    const text = await banner.textContent();
    expect(text).toContain('Service outage');
    expect(text).toContain(`Since ${sydney}, your time`);
    await page.screenshot({ path: `${artifacts}widget-incident.png` });
    await waitFor(() => hub.store.db.selectFrom('incident_banner_views').select('contact_id').where('incident_id', '=', incident.id).executeTakeFirst(), 15_000, 'the view reported');

    await hub.triage.incidents.resolve(incident.id, 'Fixed.', 'test');
    await page.reload();
    await page.getByRole('button', { name: 'Open chat' }).click();
    await expect.poll(() => page.getByRole('dialog').textContent(), { timeout: 15_000 }).toMatch(/Usually replies|We'll reply|We're away/);
    expect(await banner.isVisible()).toBe(false);

    const metrics = await (await fetch(`${hubUrl}/metrics`)).text();
    expect(metrics).toMatch(/^hub_incident_banner_views 1$/m);
    expect(metrics).toMatch(/^hub_incident_contacts_avoided 1$/m);
  });
});
