import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, browserAvailable, launchChromium } from '../support/browser.js';
import { createStaff } from '../support/dashboard.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';
import { longMessage } from '../support/long-text.js';

const hasChromium = browserAvailable('dashboard long text');

/**
 * Issue 22: a customer's very long message (10,000 characters with a 500-character URL in it),
 * a long name and a long email address must wrap: no dashboard page grows wider than the screen,
 * on a phone (375 px) or a laptop (1,280 px).
 */
describe.skipIf(!hasChromium)('dashboard with very long customer text', () => {
  let t: TestHub;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let admin: { email: string; password: string };
  let conversationId: string;
  let incidentId: string;
  const longEmail = `${'payroll.department.of.the.company.'.repeat(5)}owner@example.com`;
  const longName = `Maximiliane-${'Alexandrovna'.repeat(12)}`;

  beforeAll(async () => {
    t = await startTestHub('pglite', { env: { ESCALATION_TICK_SECONDS: '300', TEAM_TIME_ZONE: 'Europe/Berlin' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    admin = await createStaff(t.hub, 'admin');
    browser = await launchChromium();
    const urgent = await t.hub.ingest(
      chatMessage({
        id: 'long-1',
        user: 'longtext',
        text: longMessage('Urgent: someone hacked our account and the payroll export is broken, nobody can get paid!'),
        contact: { identityKind: 'chat', identityKey: 'app1:longtext', email: longEmail, name: longName, verified: true },
      }),
    );
    conversationId = urgent.conversation.id;
    await t.hub.ingest(chatMessage({ id: 'long-2', user: 'outage', text: longMessage('Your site is down, nobody on our team can log in! urgent') }));
    await waitFor(() => t.hub.store.db.selectFrom('escalations').select('id').where('conversation_id', '=', conversationId).executeTakeFirst(), 30_000, 'escalation');
    incidentId = (await waitFor(() => t.hub.store.db.selectFrom('incidents').select('id').executeTakeFirst(), 30_000, 'incident')).id;
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await t?.stop();
  });

  async function loggedIn(width: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/login`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/dashboard/queue`);
    return page;
  }

  it('no page is wider than the screen at 375 px and 1,280 px', async () => {
    const paths = ['/dashboard/queue', '/dashboard/queue?status=any', `/dashboard/conversations/${conversationId}`, '/dashboard/incidents', `/dashboard/incidents/${incidentId}`];
    const widths: string[] = [];
    for (const width of [375, 1280]) {
      const page = await loggedIn(width);
      for (const path of paths) {
        const response = await page.goto(base + path);
        expect(response?.status(), path).toBe(200);
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scrollWidth !== width) widths.push(`${path} at ${width}px is ${scrollWidth}px wide`);
        const name = path.replace(/^\/dashboard\//, '').replace(/\/[0-9a-f-]{36}/, '-detail').replace(/[/?=]/g, '-');
        await page.screenshot({ path: join(artifactsDir, `dashboard-long-text-${name}-${width}.png`), fullPage: false });
      }
      // The long text is on the conversation page, in full, and the queue shows the escalation.
      await page.goto(`${base}/dashboard/conversations/${conversationId}`);
      expect(await page.locator('.messages .text').first().textContent()).toContain('https://example.com/');
      await page.goto(`${base}/dashboard/queue`);
      expect(await page.locator('tr[data-escalation]').count()).toBeGreaterThan(0);
    }
    expect(widths).toEqual([]);
  });
});
