import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPSCOUT_APP_ORIGIN, type HostMessage } from '../fakes/helpscout/index.js';
import { chromium } from 'playwright-core';
import { artifactsDir as artifacts, browserAvailable, CHROMIUM } from '../support/browser.js';
import { conversationFor, seedStripeCustomer, startAppWorld, type AppWorld } from './app-support.js';

const hasChromium = browserAvailable('Help Scout sidebar app');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const HOSTILE_NAME = '<img src=x onerror=alert(1)>\u202Egnp.exe "Mallory" \'O\'Neil';
const HOSTILE_EMAIL = '"><script>alert(2)</script>\'@evil.example';
const HOSTILE_COMPANY = '\u202E"><svg onload=alert(3)>Evil Corp</svg>';

/**
 * The Help Scout sidebar app in Debian's Chromium, inside the fake Help Scout sidebar host: the
 * host page is served as https://secure.helpscout.net (Playwright routes that origin to the fake's
 * real HTTP server, since Help Scout's SDK talks to no other origin) and frames the hub's page
 * with a URL signed the PHP way. The SDK in our page asks the host for the context, sizes the
 * iframe and opens the side panel, all over postMessage.
 */
describe.skipIf(!hasChromium)('Help Scout sidebar app in a real browser, in the fake Help Scout host', () => {
  let world: AppWorld;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    world = await startAppWorld();
    // As launchChromium, plus: Chromium's Local Network Access checks block a public https page
    // (the host, as secure.helpscout.net) from framing 127.0.0.1. In production the hub is a
    // public https site and they do not apply; here the hub is on loopback.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-quic', '--disable-features=LocalNetworkAccessChecks'],
    });
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await world?.stop();
  });

  async function hostPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    await context.route(`${HELPSCOUT_APP_ORIGIN}/**`, async (route) => {
      const asked = new URL(route.request().url());
      const response = await route.fetch({ url: `${world.host.url}${asked.pathname}${asked.search}` });
      await route.fulfill({ response });
    });
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return page;
  }
  const dialogs: string[] = [];

  async function openConversation(page: Page, id: number, width: number, host: { contextDelayMs?: number } = {}): Promise<Frame> {
    await page.goto(`${HELPSCOUT_APP_ORIGIN}${world.host.pagePath(id, width, host)}`);
    const frameElement = await page.waitForSelector('#app-frame');
    const frame = (await frameElement.contentFrame())!;
    await frame.waitForSelector('#hub-card[aria-busy="false"]', { timeout: 20_000 });
    return frame;
  }

  const messagesOf = (type: string, frame?: HostMessage['frame']) => world.host.messages().filter((m) => m.type === type && (!frame || m.frame === frame));

  async function seriousViolations(frame: Frame): Promise<string[]> {
    await frame.evaluate(axeSource); // through the DevTools protocol: the page's CSP does not apply
    const result = await frame.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  const noSidewaysScroll = (frame: Frame) => frame.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  it('shows a Stripe customer’s card in the iframe, sized by SET_APP_HEIGHT, and opens the side panel with the full view', async () => {
    const { customer } = seedStripeCustomer(world.fake, 'trial@pancake.example', 'Pancake Palace GmbH', { trialEnd: new Date('2026-12-30T12:00:00Z') });
    world.host.setConversation(conversationFor(601, { email: 'trial@pancake.example', firstName: 'Jane', lastName: 'Doe' }));
    const page = await hostPage();
    const frame = await openConversation(page, 601, 300);

    expect(await frame.locator('.hub-name').textContent()).toBe('Pancake Palace GmbH');
    const text = (await frame.locator('#hub-card').textContent()) ?? '';
    expect(text).toContain('Team · €588.00 / month');
    expect(text).toContain('trialing');
    expect(text).toContain('Trial ends');
    expect(text).toContain('2026-12-30');
    expect(text).toContain('12 in plan');

    // The SDK asked the host for the context, from the iframe Help Scout named app-<id>.
    const asked = messagesOf('GET_APP_CONTEXT', 'sidebar');
    expect(asked.length).toBeGreaterThan(0);
    expect(asked[0]).toMatchObject({ appId: '4242', iframeId: 'app-4242', origin: world.base });
    // The iframe's height is what the app asked for, and the card fits in it.
    await expect.poll(() => messagesOf('SET_APP_HEIGHT', 'sidebar').length, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(async () => {
      const last = messagesOf('SET_APP_HEIGHT', 'sidebar').at(-1)!.value as number;
      const shown = await page.$eval('#app-frame', (el) => (el as HTMLIFrameElement).getBoundingClientRect().height);
      return Math.round(shown) === last ? last : -1;
    }, { timeout: 10_000 }).toBeGreaterThan(150);
    const contentHeight = await frame.evaluate(() => document.documentElement.scrollHeight);
    const frameHeight = await page.$eval('#app-frame', (el) => (el as HTMLIFrameElement).getBoundingClientRect().height);
    expect(Math.abs(contentHeight - frameHeight)).toBeLessThanOrEqual(2);
    await page.screenshot({ path: `${artifacts}helpscout-app-sidebar.png`, fullPage: true });

    await frame.getByRole('button', { name: 'Full details' }).click();
    await expect.poll(() => messagesOf('OPEN_SIDE_PANEL', 'sidebar').length, { timeout: 10_000 }).toBe(1);
    expect(String(messagesOf('OPEN_SIDE_PANEL')[0]!.value)).toMatch(new RegExp(`^${world.base}/sidebar/helpscout/app/panel#hsa1\\.`));
    const panelElement = await page.waitForSelector('#side-panel iframe');
    expect(await panelElement.getAttribute('name')).toBe('app-side-panel-4242');
    const panel = (await panelElement.contentFrame())!;
    await panel.waitForSelector('#hub-card[aria-busy="false"]', { timeout: 20_000 });
    const panelText = (await panel.locator('#hub-card').textContent()) ?? '';
    expect(panelText).toContain('Pancake Palace GmbH');
    expect(await panel.locator(`a[href="https://dashboard.stripe.com/test/customers/${customer.id}"]`).count()).toBe(1);
    expect(await seriousViolations(panel)).toEqual([]);
    await page.screenshot({ path: `${artifacts}helpscout-app-side-panel.png`, fullPage: true });
    await panel.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => messagesOf('CLOSE_SIDE_PANEL', 'panel').length, { timeout: 10_000 }).toBe(1);
    expect(await page.locator('#side-panel').isHidden()).toBe(true);

    expect(await seriousViolations(frame)).toEqual([]);
  });

  it('a context that arrives after the app stopped waiting still brings the card: the notice first, then the customer', async () => {
    seedStripeCustomer(world.fake, 'late@waffle.example', 'Waffle Works Ltd');
    world.host.setConversation(conversationFor(602, { email: 'late@waffle.example', firstName: 'Lee', lastName: 'Late' }));
    const page = await hostPage();
    // The app waits 3 s for the context; this host answers after 4.5 s.
    const frame = await openConversation(page, 602, 300, { contextDelayMs: 4500 });
    expect(await frame.locator('#hub-card').textContent()).toContain('No customer email');
    await frame.waitForSelector('.hub-name', { timeout: 20_000 });
    expect(await frame.locator('.hub-name').textContent()).toBe('Waffle Works Ltd');
    expect(await frame.locator('#hub-card').textContent()).not.toContain('No customer email');
    await frame.waitForSelector('#hub-open-panel:not([hidden])');
  });

  it('renders at 375 px and 300 px without sideways scrolling, long and hostile values included', async () => {
    world.productEndpoint.accounts.set('wide@pancake.example', { company: 'Wide Waffles', modules: ['x'.repeat(300)], links: [{ label: 'CRM', url: `https://crm.example/${'a'.repeat(400)}` }] });
    seedStripeCustomer(world.fake, 'wide@pancake.example', `Very${'Long'.repeat(40)}CompanyName GmbH`);
    world.host.setConversation(conversationFor(602, { email: 'wide@pancake.example' }));
    for (const width of [375, 300]) {
      const page = await hostPage({ width: Math.max(width, 375), height: 800 });
      const frame = await openConversation(page, 602, width);
      expect(await frame.locator('.hub-name').textContent()).toContain('VeryLong');
      expect(await noSidewaysScroll(frame), `sidebar at ${width} px`).toBe(true);
      await frame.getByRole('button', { name: 'Full details' }).click();
      const panel = (await (await page.waitForSelector('#side-panel iframe')).contentFrame())!;
      await panel.waitForSelector('#hub-card[aria-busy="false"]', { timeout: 20_000 });
      expect(await noSidewaysScroll(panel), `side panel in a ${Math.max(width, 375)} px window`).toBe(true);
      expect(await seriousViolations(frame)).toEqual([]);
      await page.screenshot({ path: `${artifacts}helpscout-app-${width}px.png`, fullPage: true });
    }
  });

  it('shows hostile names, emails and company names as inert, isolated text in the iframe and the side panel', async () => {
    // A lead (no account): the heading is the name Help Scout's context gives.
    world.host.setConversation(conversationFor(603, { email: HOSTILE_EMAIL, firstName: HOSTILE_NAME, lastName: '' }));
    world.productEndpoint.accounts.set('hostile-co@pancake.example', { company: HOSTILE_COMPANY, role: '<b onmouseover=alert(4)>owner</b>' });
    world.host.setConversation(conversationFor(604, { email: 'hostile-co@pancake.example' }));
    dialogs.length = 0;
    const page = await hostPage();

    const lead = await openConversation(page, 603, 300);
    expect(await lead.locator('.hub-name').textContent()).toBe(HOSTILE_NAME.trim());
    expect(await lead.locator('.hub-name bdi').count()).toBe(1); // the RTL override stays inside its <bdi>
    expect(await lead.locator('.hub-email').textContent()).toBe(HOSTILE_EMAIL.toLowerCase());
    expect(await lead.locator('#hub-card img, #hub-card script, #hub-card svg, #hub-card b').count()).toBe(0);
    await lead.getByRole('button', { name: 'Full details' }).click();
    let panel = (await (await page.waitForSelector('#side-panel iframe')).contentFrame())!;
    await panel.waitForSelector('#hub-card[aria-busy="false"]', { timeout: 20_000 });
    expect(await panel.locator('.hub-name').textContent()).toBe(HOSTILE_NAME.trim());
    expect(await panel.locator('#hub-card img, #hub-card script, #hub-card svg').count()).toBe(0);

    const account = await openConversation(page, 604, 300);
    expect(await account.locator('.hub-name').textContent()).toBe(HOSTILE_COMPANY);
    expect(await account.locator('.hub-name bdi').count()).toBe(1);
    await account.getByRole('button', { name: 'Full details' }).click();
    panel = (await (await page.waitForSelector('#side-panel iframe')).contentFrame())!;
    await panel.waitForSelector('#hub-card[aria-busy="false"]', { timeout: 20_000 });
    expect(await panel.locator('#hub-card').textContent()).toContain('<b onmouseover=alert(4)>owner</b>');
    expect(await panel.locator('#hub-card img, #hub-card script, #hub-card svg, #hub-card b').count()).toBe(0);
    // Only the hub's bundled script runs in the page and panel.
    for (const frame of [account, panel]) expect(await frame.evaluate(() => [...document.scripts].map((s) => new URL(s.src).pathname))).toEqual(['/sidebar/helpscout/app/app.js']);
    await page.mouse.move(200, 100);
    await page.waitForTimeout(300); // an onerror/onload handler would fire asynchronously
    expect(dialogs).toEqual([]);
  });
});
