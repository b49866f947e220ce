import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { artifactsDir as artifacts, browserAvailable, launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zendesk } from '../../integrations/zendesk/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { testSources } from './support.js';

/**
 * The Zendesk sidebar app (integrations/zendesk/app): its manifest as Zendesk's validator reads
 * it (zendesk_apps_support: required fields, parameters, location URL, translations), and the
 * iframe in a real browser against the real hub, with Zendesk's side (the ZAF SDK and the
 * secure-settings proxy) played by a stub.
 */

const APP = fileURLToPath(new URL('../../integrations/zendesk/app/', import.meta.url));
const ASSETS = join(APP, 'assets');
const SDK_URL = 'https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js';
const PLACEHOLDER = '{{setting.hub_token}}';
const TOKEN = 'zendesk-app-test-token-0123456789abcdef0123456789abcdef';

interface ManifestParameter {
  name: string;
  type?: string;
  secure?: boolean;
  required?: boolean;
  default?: unknown;
  scopes?: unknown;
}
interface Manifest {
  name?: string;
  author?: { name?: string; email?: string; url?: string };
  defaultLocale?: string;
  private?: boolean;
  location?: { support?: { ticket_sidebar?: { url?: string; flexible?: boolean } } };
  domainWhitelist?: unknown;
  parameters?: ManifestParameter[];
  version?: string;
  frameworkVersion?: string;
}

const manifest = JSON.parse(readFileSync(join(APP, 'manifest.json'), 'utf8')) as Manifest;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('Zendesk sidebar app package', () => {
  const parameter = (name: string) => manifest.parameters?.find((p) => p.name === name);

  it('has the manifest fields Zendesk requires, for a framework 2.0 private app in the ticket sidebar', () => {
    expect(manifest.name).toBeTruthy();
    expect(manifest.author).toEqual({ name: expect.any(String), email: expect.stringMatching(/^[^@\s]+@[^@\s]+$/), url: expect.stringMatching(/^https:\/\//) });
    expect(manifest.frameworkVersion).toBe('2.0');
    expect(manifest.version).toMatch(/^\d+\.\d+(\.\d+)?$/);
    expect(manifest.private).toBe(true);
    // The validator: a relative location URL must start with assets/ and name a file in the package.
    const url = manifest.location?.support?.ticket_sidebar?.url;
    expect(url).toMatch(/^assets\//);
    expect(existsSync(join(APP, url!))).toBe(true);
  });

  it('keeps hub_token a required secure setting and hub_url a readable one; secure settings need domainWhitelist', () => {
    expect(parameter('hub_token')).toMatchObject({ type: 'text', secure: true, required: true });
    // zendesk_apps_support warns about a secure setting without scopes: the proxy may then put it
    // anywhere in the request. Ours travels in the Authorization header only.
    expect(parameter('hub_token')?.scopes).toEqual(['header']);
    // A default on a secure parameter is not stored securely (validator warning): there must be none.
    expect(parameter('hub_token')).not.toHaveProperty('default');
    // The iframe reads hub_url from metadata, which secure settings never reach.
    expect(parameter('hub_url')).toMatchObject({ type: 'url', required: true });
    expect(parameter('hub_url')?.secure ?? false).toBe(false);
    const names = manifest.parameters!.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain('name');
    for (const p of manifest.parameters!) expect(['text', 'password', 'checkbox', 'url', 'number', 'multiline', 'hidden']).toContain(p.type ?? 'text');
    expect(Array.isArray(manifest.domainWhitelist) && manifest.domainWhitelist.length > 0 && manifest.domainWhitelist.every((d) => typeof d === 'string')).toBe(true);
  });

  it('has the files Zendesk requires: both logos as PNGs and the default locale’s translations with every key the manifest needs', () => {
    for (const logo of ['logo.png', 'logo-small.png']) expect(readFileSync(join(ASSETS, logo)).subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    const translations = JSON.parse(readFileSync(join(APP, 'translations', `${manifest.defaultLocale}.json`), 'utf8')) as {
      app?: { name?: string; parameters?: Record<string, { label?: string; helpText?: string }> };
    };
    // A private app needs `app.name`; each setting shows its label (and help) on the install page.
    expect(translations.app?.name).toBeTruthy();
    for (const p of manifest.parameters!) {
      expect(translations.app?.parameters?.[p.name]?.label, p.name).toBeTruthy();
      expect(translations.app?.parameters?.[p.name]?.helpText, p.name).toBeTruthy();
    }
  });

  it('names only secure settings in {{setting.…}} placeholders, and loads the ZAF SDK from Zendesk’s CDN', () => {
    const sources = readdirSync(ASSETS).filter((file) => /\.(js|html)$/.test(file)).map((file) => readFileSync(join(ASSETS, file), 'utf8'));
    const used = sources.flatMap((source) => [...source.matchAll(/\{\{\s*setting\.([a-z0-9_]+)\s*\}\}/gi)].map((m) => m[1]!));
    expect(used).toContain('hub_token');
    for (const name of used) expect(parameter(name)?.secure, name).toBe(true);
    expect(readFileSync(join(ASSETS, 'iframe.html'), 'utf8')).toContain(`<script src="${SDK_URL}"></script>`);
  });
});

const hasChromium = browserAvailable('zendesk app');

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png' };

/** Serves the app's assets/ as Zendesk would host them. */
async function serveAssets(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '');
    if (!/^[\w.-]+$/.test(file) || !existsSync(join(ASSETS, file))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(join(ASSETS, file)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What the ticket sidebar's ZAF client answers for `get`. */
type TicketData = Record<string, unknown>;

/**
 * The ZAF SDK as the iframe sees it: `init()` returns a client whose `get` answers from the
 * ticket, whose `metadata` holds only the non-secure settings (Zendesk never hands secure ones
 * to the browser), and whose `request` goes to the page's `__zendeskProxy` (Node, below).
 */
function zafStub(hubUrl: string, ticket: TicketData): string {
  return `(() => {
  const TICKET = ${JSON.stringify(ticket)};
  window.__zaf = { invocations: [], handlers: {} };
  window.ZAFClient = { init: () => ({
    metadata: () => Promise.resolve({ appId: 1, installationId: 2, settings: { title: 'Support Hub', hub_url: ${JSON.stringify(hubUrl)} } }),
    get: (paths) => {
      const answer = {};
      for (const path of Array.isArray(paths) ? paths : [paths]) {
        if (!(path in TICKET)) return Promise.reject(new Error('"' + path + '" is not available'));
        answer[path] = TICKET[path];
      }
      return Promise.resolve(answer);
    },
    request: (options) =>
      window.__zendeskProxy(JSON.stringify(options)).then((reply) => {
        let json = null;
        try { json = JSON.parse(reply.body); } catch {}
        if (reply.status >= 200 && reply.status < 300) return json;
        return Promise.reject({ status: reply.status, responseText: reply.body, responseJSON: json });
      }),
    invoke: (name, ...args) => { window.__zaf.invocations.push([name, ...args]); return Promise.resolve({}); },
    on: (event, handler) => { (window.__zaf.handlers[event] = window.__zaf.handlers[event] || []).push(handler); },
  }) };
})();`;
}

interface RequestOptions {
  url: string;
  type?: string;
  contentType?: string;
  headers?: Record<string, string>;
  data?: string;
  secure?: boolean;
  cors?: boolean;
}

interface AppPage {
  page: Page;
  /** Every `client.request` options object, as the iframe passed it. */
  requests: RequestOptions[];
  /** url, headers and body of every request the browser itself made. */
  browserTraffic: string[];
  dialogs: string[];
}

let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await browser?.close();
});

const closeServer = (server: Server | undefined) =>
  server ? new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) : Promise.resolve();

describe.skipIf(!hasChromium)('Zendesk sidebar app in a browser, against the real hub', () => {
  const sources = testSources();
  let t: TestHub;
  let hubUrl: string;
  let assets: { url: string; server: Server };

  beforeAll(async () => {
    t = await startTestHub('pglite', {
      integrations: [zendesk, ...sources.integrations],
      env: { ZENDESK_SIDEBAR_TOKEN: TOKEN, SIDEBAR_BUDGET_MS: '3000', ...sources.env },
    });
    hubUrl = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    assets = await serveAssets();
  });

  afterAll(async () => {
    await closeServer(assets?.server);
    await t?.stop();
  });

  /**
   * Opens the iframe for a ticket. `proxyToken` is what Zendesk's proxy holds as the secure
   * setting: it replaces the placeholder in the URL, headers and body of `secure: true`
   * requests, server-side, as Zendesk's does.
   */
  async function openApp(ticket: TicketData, proxyToken = TOKEN): Promise<AppPage> {
    const context = await browser.newContext({ viewport: { width: 320, height: 700 } });
    contexts.push(context);
    const page = await context.newPage();
    const app: AppPage = { page, requests: [], browserTraffic: [], dialogs: [] };
    page.on('dialog', (dialog) => {
      app.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('request', (request) => {
      app.browserTraffic.push(`${request.url()} ${JSON.stringify(request.headers())} ${request.postData() ?? ''}`);
    });
    await page.exposeFunction('__zendeskProxy', async (optionsJson: string) => {
      const options = JSON.parse(optionsJson) as RequestOptions;
      app.requests.push(options);
      const fill = (text: string) => (options.secure ? text.split(PLACEHOLDER).join(proxyToken) : text);
      const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name, fill(value)]));
      const response = await fetch(fill(options.url), {
        method: options.type ?? 'GET',
        headers: { ...headers, ...(options.contentType ? { 'content-type': options.contentType } : {}) },
        ...(options.data !== undefined ? { body: fill(options.data) } : {}),
      });
      return { status: response.status, body: await response.text() };
    });
    // Everything but the app's own assets and the (stubbed) SDK stays offline.
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url === SDK_URL) await route.fulfill({ status: 200, contentType: 'text/javascript', body: zafStub(hubUrl, ticket) });
      else if (url.startsWith(assets.url)) await route.continue();
      else await route.abort();
    });
    await page.goto(`${assets.url}/iframe.html`);
    return app;
  }

  const invocations = (page: Page) => page.evaluate(() => (window as unknown as { __zaf: { invocations: unknown[][] } }).__zaf.invocations);

  it('sends the placeholder (never the token) through the proxy and shows the hub’s card, hostile strings as text', async () => {
    const hostileCompany = `<img src=x onerror="alert('company')">Pancake Palace`;
    const hostileName = '<img src=x onerror=alert(1)>';
    sources.accounts.set('browser@example.com', {
      company: hostileCompany,
      role: 'owner',
      plan: { name: 'Business', interval: 'month', amountMinor: 4900, currency: 'eur' },
      status: 'past_due',
      extra: { Note: '<script>alert("note")</script>' },
    });
    const app = await openApp({
      'ticket.id': 4242,
      'ticket.requester.email': null,
      'ticket.requester.name': hostileName,
      'ticket.requester.identities': [
        { type: 'phone_number', value: '+49 30 123456' },
        { type: 'email', value: 'Browser@Example.com' },
      ],
      'currentUser.timeZone': { name: 'Eastern Time (US & Canada)', ianaName: 'America/New_York' },
    });
    const { page } = app;
    const title = page.locator('#card .zh-card__title');
    await expect.poll(() => title.count(), { timeout: 15_000 }).toBe(1);

    expect(await title.textContent()).toBe(hostileCompany);
    expect(await page.locator('#card .zh-card__badges .zh-badge').allTextContents()).toEqual(['past due', 'owner']);
    expect(await page.locator('#card').textContent()).toContain('<script>alert("note")</script>');
    expect(await page.locator('#card img, #card script').count()).toBe(0);
    expect(app.dialogs).toEqual([]);
    expect(await page.title()).toBe('Support Hub');

    // What the iframe asked Zendesk to send: a secure, proxied POST with the placeholder.
    expect(app.requests).toHaveLength(1);
    const sent = app.requests[0]!;
    expect(sent).toMatchObject({ url: `${hubUrl}/sidebar/zendesk`, type: 'POST', contentType: 'application/json', secure: true, cors: false });
    expect(sent.headers).toEqual({ Authorization: `Bearer ${PLACEHOLDER}` });
    expect(JSON.parse(sent.data!)).toEqual({ email: null, emails: ['Browser@Example.com'], name: hostileName, ticketId: 4242, agentTimeZone: 'America/New_York' });
    // The token exists only on the proxy's side of the page.
    expect(JSON.stringify(app.requests)).not.toContain(TOKEN);
    expect(app.browserTraffic.length).toBeGreaterThan(0);
    for (const traffic of app.browserTraffic) expect(traffic).not.toContain(TOKEN);
    expect(await page.content()).not.toContain(TOKEN);

    // The iframe asked Zendesk to fit it to the card.
    const card = await page.locator('#card').boundingBox();
    const resizes = (await invocations(page)).filter(([name]) => name === 'resize') as [string, { width: string; height: string }][];
    expect(resizes.length).toBeGreaterThan(0);
    const last = resizes.at(-1)![1];
    expect(last.width).toBe('100%');
    expect(Number.parseInt(last.height, 10)).toBeGreaterThanOrEqual(Math.floor(card!.y + card!.height));
    await page.screenshot({ path: `${artifacts}zendesk-sidebar.png`, fullPage: true });
  });

  it('keeps a requester named like the placeholder from pulling the token into the card', async () => {
    const app = await openApp({ 'ticket.id': 7, 'ticket.requester.email': 'placeholder-lead@example.com', 'ticket.requester.name': PLACEHOLDER, 'ticket.requester.identities': [] });
    const title = app.page.locator('#card .zh-card__title');
    await expect.poll(() => title.count(), { timeout: 15_000 }).toBe(1);
    // The proxy filled nothing in the body: the hub got the name as written and shows it as text.
    expect(await title.textContent()).toBe(PLACEHOLDER);
    expect(await app.page.locator('#card').textContent()).toContain('No account — lead?');
    expect(await app.page.content()).not.toContain(TOKEN);
  });

  it('shows the hub’s own sentence when it rejects the token, and no customer data', async () => {
    sources.accounts.set('rejected@example.com', { company: 'Should Not Show Ltd' });
    const app = await openApp(
      { 'ticket.id': 8, 'ticket.requester.email': 'rejected@example.com', 'ticket.requester.name': 'Rita', 'ticket.requester.identities': [] },
      'a-token-the-hub-does-not-know-0123456789abcdef0123456789',
    );
    const card = app.page.locator('#card');
    await expect.poll(() => card.textContent(), { timeout: 15_000 }).toContain('could not verify');
    expect(await card.textContent()).not.toContain('Should Not Show');
    expect((await invocations(app.page)).some(([name]) => name === 'resize')).toBe(true);
    expect(app.dialogs).toEqual([]);
  });
});
