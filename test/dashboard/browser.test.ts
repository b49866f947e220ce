import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../integrations/github/index.js';
import { slack } from '../../integrations/slack/index.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack/index.js';
import { artifactsDir, browserAvailable, launchChromium } from '../support/browser.js';
import { createStaff } from '../support/dashboard.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

const hasChromium = browserAvailable('dashboard');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The triage dashboard in Debian's Chromium (issue 10 "must show"): log in → an urgent chat
 * appears in the queue without a reload → its page highlights the evidence → acknowledge → no
 * further step runs → re-classify as normal with a reason → the override is on the classifier
 * page. Viewers get no button and a 403; the logged-out are sent to login; a POST without the
 * CSRF token is refused. Every page: no sideways scrolling at 375 px and no serious or critical
 * axe-core violation. Screenshots land in test-artifacts/.
 */
describe.skipIf(!hasChromium)('triage dashboard in a browser', () => {
  let t: TestHub;
  let base: string;
  let gh: FakeGitHub;
  let sl: FakeSlack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let now = new Date('2026-03-10T10:00:00Z');
  const clock = () => now;
  let triageStaff: { email: string; password: string };
  let viewer: { email: string; password: string };
  let admin: { email: string; password: string };
  let conversationId: string;
  let escalationId: string;

  beforeAll(async () => {
    [gh, sl] = await Promise.all([startFakeGitHub(), startFakeSlack()]);
    t = await startTestHub('pglite', {
      integrations: [github, slack],
      clock,
      env: { ...gh.env, SLACK_WEBHOOK_URL: sl.webhookUrl, HUB_PUBLIC_URL: 'http://hub.test', ESCALATION_TICK_SECONDS: '300', TEAM_TIME_ZONE: 'Europe/Berlin' },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    [triageStaff, viewer, admin] = await Promise.all([createStaff(t.hub, 'triage'), createStaff(t.hub, 'viewer'), createStaff(t.hub, 'admin')]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await t?.stop();
    await Promise.all([gh?.close(), sl?.close()]);
  });

  async function loggedIn(who: { email: string; password: string }, width = 1280): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/queue`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/dashboard/queue`);
    return page;
  }

  /** A locator's text once it is on the page (vitest's expect has no Playwright matchers). */
  async function textOf(locator: Locator): Promise<string> {
    await locator.first().waitFor({ timeout: 30_000 });
    return (await locator.first().textContent()) ?? '';
  }

  async function seriousViolations(page: Page): Promise<string[]> {
    await page.evaluate(axeSource); // through the DevTools protocol: the page's CSP does not apply
    const result = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  it('logs in, and a new urgent chat appears in the queue without a reload', async () => {
    const page = await loggedIn(triageStaff);
    expect(await textOf(page.locator('#queue'))).toContain('No escalations match');
    await page.waitForFunction(() => document.getElementById('live-status')?.textContent?.startsWith('Live'), null, { timeout: 15_000 });

    const result = await t.hub.ingest(
      chatMessage({ id: 'db-hacked-1', user: 'dana', text: 'Someone hacked our account and changed the admin password, this is urgent!' }),
    );
    conversationId = result.conversation.id;
    const row = page.locator('tr[data-escalation]');
    await row.first().waitFor({ timeout: 30_000 });
    escalationId = (await row.first().getAttribute('data-escalation'))!;
    expect(await textOf(row.first())).toContain('urgent');
    expect(await textOf(row.first())).toMatch(/[01] of 2/);
    await page.screenshot({ path: join(artifactsDir, 'dashboard-queue-desktop.png'), fullPage: true });
    await page.close();
  });

  it('opens the escalation: evidence highlighted, then acknowledge stops the next step', async () => {
    const page = await loggedIn(triageStaff);
    await page.locator(`tr[data-escalation="${escalationId}"] a`).click();
    await page.waitForURL(`${base}/dashboard/conversations/${conversationId}`);
    const marks = page.locator('#classified-text mark.evidence');
    expect(await marks.count()).toBeGreaterThan(0);
    const marked = (await marks.allTextContents()).join(' ').toLowerCase();
    expect(marked).toMatch(/hacked|urgent/);
    await page.screenshot({ path: join(artifactsDir, 'dashboard-detail-desktop.png'), fullPage: true });

    await waitFor(async () => (await t.hub.store.db.selectFrom('escalation_steps').select('status').where('escalation_id', '=', escalationId).where('step', '=', 1).executeTakeFirst())?.status === 'done', 30_000, 'step 1 (GitHub) ran');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    expect(await textOf(page.locator('.notice'))).toContain('Escalation acknowledged');
    expect(await textOf(page.locator('#escalation'))).toContain('acknowledged by Triage Person');

    now = new Date(now.getTime() + 40 * 60_000);
    await t.hub.triage.tick();
    await new Promise((r) => setTimeout(r, 1000));
    const steps = await t.hub.store.db.selectFrom('escalation_steps').select(['step', 'status']).where('escalation_id', '=', escalationId).orderBy('step').execute();
    expect(steps.map((s) => s.status)).toEqual(['done', 'cancelled']);
    expect(sl.messages).toHaveLength(0);
    await page.close();
  });

  it('re-classifies as normal with a reason, and the override shows on the classifier page', async () => {
    const page = await loggedIn(triageStaff);
    await page.goto(`${base}/dashboard/conversations/${conversationId}`);
    await page.getByLabel('Level').selectOption('normal');
    await page.getByLabel(/Reason/).fill('Customer was testing our security page, not a real breach');
    await page.getByRole('button', { name: 'Re-classify' }).click();
    expect(await textOf(page.locator('.notice'))).toContain('Re-classified');
    await page.goto(`${base}/dashboard/classifier`);
    expect(await textOf(page.locator('main'))).toContain('Customer was testing our security page, not a real breach');
    await page.close();
  });

  it('a viewer sees no acknowledge button and its POST is refused with 403', async () => {
    const second = await t.hub.ingest(chatMessage({ id: 'db-hacked-2', user: 'erin', text: 'Our account was hacked, someone is sending phishing from it, urgent' }));
    const escalation = await waitFor(() => t.hub.store.db.selectFrom('escalations').select(['id', 'status']).where('conversation_id', '=', second.conversation.id).executeTakeFirst(), 30_000, 'second escalation');
    const page = await loggedIn(viewer);
    await page.goto(`${base}/dashboard/conversations/${second.conversation.id}`);
    expect(await textOf(page.locator('#escalation'))).toContain('open');
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Re-classify' }).count()).toBe(0);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const refused = await page.request.post(`${base}/dashboard/escalations/${escalation.id}/acknowledge`, { form: { _csrf: csrf }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    const after = await t.hub.store.db.selectFrom('escalations').select('status').where('id', '=', escalation.id).executeTakeFirstOrThrow();
    expect(after.status).toBe('open');
    await page.close();
  });

  it('refuses a POST without the CSRF token, and a logged-out POST goes to login', async () => {
    const open = await t.hub.store.db.selectFrom('escalations').select('id').where('status', '=', 'open').executeTakeFirstOrThrow();
    const page = await loggedIn(triageStaff);
    const refused = await page.request.post(`${base}/dashboard/escalations/${open.id}/acknowledge`, { form: {}, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain('did not come from the dashboard');
    const anonymous = await browser.newContext();
    contexts.push(anonymous);
    const loggedOut = await anonymous.request.post(`${base}/dashboard/escalations/${open.id}/acknowledge`, { form: {}, maxRedirects: 0 });
    expect(loggedOut.status()).toBe(303);
    expect(loggedOut.headers()['location']).toMatch(/^\/dashboard\/login/);
    expect((await t.hub.store.db.selectFrom('escalations').select('status').where('id', '=', open.id).executeTakeFirstOrThrow()).status).toBe('open');
    await page.close();
  });

  it('every page: no sideways scrolling at 375 px, and no serious or critical accessibility violation', async () => {
    // An outage report, so the incident pages are checked too.
    await t.hub.ingest(chatMessage({ id: 'db-down-1', user: 'fay', text: 'Your site is down, nobody on our team can log in! urgent' }));
    const incident = await waitFor(() => t.hub.store.db.selectFrom('incidents').select('id').executeTakeFirst(), 30_000, 'incident');
    const pages = [
      '/dashboard/queue',
      `/dashboard/conversations/${conversationId}`,
      '/dashboard/incidents',
      `/dashboard/incidents/${incident.id}`,
      '/dashboard/promises',
      '/dashboard/classifier',
      '/dashboard/classifier/suggestions',
      '/dashboard/integrations',
      '/dashboard/audit',
      '/dashboard/accounts',
      '/dashboard/privacy',
      '/dashboard/privacy?email=fay%40example.com',
    ];
    const phone = await loggedIn(admin, 375);
    const desktop = await loggedIn(admin, 1280);
    const problems: string[] = [];
    for (const path of pages) {
      for (const page of [phone, desktop]) {
        const response = await page.goto(base + path);
        expect(response?.status(), path).toBe(200);
        const width = page.viewportSize()!.width;
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) problems.push(`${path} at ${width}px scrolls sideways by ${overflow}px`);
        for (const violation of await seriousViolations(page)) problems.push(`${path} at ${width}px: ${violation}`);
        const name = path.replace(/^\/dashboard\//, '').replace(/\/[0-9a-f-]{36}/, '-detail').replaceAll('/', '-');
        await page.screenshot({ path: join(artifactsDir, `dashboard-page-${name}-${width}.png`), fullPage: true });
      }
    }
    await phone.goto(`${base}/dashboard/queue`);
    await phone.screenshot({ path: join(artifactsDir, 'dashboard-queue-phone.png'), fullPage: true });
    await phone.goto(`${base}/dashboard/conversations/${conversationId}`);
    await phone.screenshot({ path: join(artifactsDir, 'dashboard-detail-phone.png'), fullPage: true });
    // The login page too, logged out.
    const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
    contexts.push(context);
    const login = await context.newPage();
    await login.goto(`${base}/dashboard/login`);
    if ((await login.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) > 0) problems.push('login scrolls sideways at 375px');
    for (const violation of await seriousViolations(login)) problems.push(`login: ${violation}`);
    expect(problems).toEqual([]);
  });

  it('can be used from the keyboard: the first Tab reaches "Skip to content"', async () => {
    const page = await loggedIn(triageStaff);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.close();
  });
});
