import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { artifactsDir as artifacts, browserAvailable, launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { dynamicAppBody, helpScoutCardHtml, testSources } from './support.js';

const hasChromium = browserAvailable('sidebar');
const SECRET = 'dynamic-app-secret-browser-01';
const PREVIEW_TOKEN = 'preview-token-0123456789abcdef';
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';
const HOSTILE_COMPANY = '"><script>alert(1)</script>';

describe.skipIf(!hasChromium)('sidebar card in a real browser', () => {
  const sources = testSources();
  let t: TestHub;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestHub('pglite', {
      integrations: [helpscout, ...sources.integrations],
      env: { HELPSCOUT_SIDEBAR_SECRET: SECRET, SIDEBAR_PREVIEW_TOKEN: PREVIEW_TOKEN, SIDEBAR_BUDGET_MS: '3000', ...sources.env },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function helpScoutCard(customer: Record<string, unknown>): Promise<string> {
    const body = dynamicAppBody({ customer });
    return helpScoutCardHtml(base, SECRET, body);
  }

  it('shows hostile customer and company names as text: no dialog, no script, in a page without CSP', async () => {
    sources.accounts.set('hostile-company@example.com', { company: HOSTILE_COMPANY, modules: ['<svg onload=alert(2)>'], role: '<b onmouseover=alert(3)>owner</b>' });
    const accountCard = await helpScoutCard({ email: 'hostile-company@example.com', fname: 'Eve', lname: '' });
    const leadCard = await helpScoutCard({ email: 'hostile-name@example.com', fname: HOSTILE_NAME, lname: '' });

    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    // No CSP, inline scripts allowed: only the escaping stands between the data and the page.
    await page.setContent(`<!doctype html><html><body><script>window.ran = []</script><div id="account">${accountCard}</div><div id="lead">${leadCard}</div></body></html>`);
    await page.waitForLoadState('load');
    await page.mouse.move(10, 10);

    expect(await page.locator('#account h4').textContent()).toBe(HOSTILE_COMPANY);
    expect(await page.locator('#lead h4').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('#account').textContent()).toContain('<svg onload=alert(2)>');
    expect(await page.locator('#account').textContent()).toContain('<b onmouseover=alert(3)>owner</b>');
    // The only elements are the card's own: no img, script, svg or b came from the data.
    expect(await page.locator('#account img, #account script, #account svg, #account b, #lead img, #lead script').count()).toBe(0);
    expect(await page.evaluate(() => document.scripts.length)).toBe(1);
    await page.waitForTimeout(200); // an onerror handler on a broken image fires asynchronously
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('renders GET /sidebar/preview as an agent sees the card in Help Scout, behind the preview token', async () => {
    sources.accounts.set('preview@example.com', {
      company: 'Pancake Palace GmbH',
      role: 'owner',
      customerSince: new Date('2023-05-07T00:00:00Z'),
      plan: { name: 'Business', interval: 'month', amountMinor: 4900, currency: 'eur' },
      status: 'trialing',
      trialEndsAt: new Date('2026-12-30T12:00:00Z'),
      limits: [{ label: 'Employees', used: 48, limit: 50 }],
      modules: ['payroll', 'time-off'],
      timeZone: 'Europe/Berlin',
      links: [{ label: 'CRM record', url: 'https://crm.example/accounts/1' }],
    });
    const denied = await fetch(`${base}/sidebar/preview?email=preview@example.com`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await denied.text()).not.toContain('Pancake');
    const wrong = await fetch(`${base}/sidebar/preview?email=preview@example.com`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);

    // The browser's own Basic prompt, answered with the token as password.
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 }, httpCredentials: { username: 'staff', password: PREVIEW_TOKEN } });
    const page = await context.newPage();
    const response = await page.goto(`${base}/sidebar/preview?email=Preview@Example.com`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['cache-control']).toBe('no-store');
    const sidebar = page.locator('aside.sidebar');
    await expect.poll(() => sidebar.locator('h4').textContent()).toBe('Pancake Palace GmbH');
    const text = await sidebar.textContent();
    expect(text).toContain('Business · €49.00 / month');
    expect(text).toContain('48 of 50');
    expect(text).toContain('trialing');
    expect(await sidebar.locator('.c-sb-section__title').allTextContents()).toEqual(['Acme CRM', 'Slow Billing']);
    // Laid out like Help Scout's sidebar: a narrow column beside the conversation.
    const box = await sidebar.boundingBox();
    expect(box!.width).toBeGreaterThanOrEqual(300);
    expect(box!.width).toBeLessThan(320);
    expect(box!.x).toBeGreaterThan(600);
    await page.screenshot({ path: `${artifacts}sidebar-preview.png`, fullPage: true });
    expect(existsSync(`${artifacts}sidebar-preview.png`)).toBe(true);
    await context.close();
  });

  it('answers a preview request without an email with a 400', async () => {
    const missing = await fetch(`${base}/sidebar/preview`, { headers: { authorization: `Bearer ${PREVIEW_TOKEN}` } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('invalid_preview_request');
  });
});
