import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentConsole } from '../../demo/agent-console.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.js';
import { startFakeHelpScout, type FakeHelpScout } from '../fakes/helpscout/index.js';
import { artifactsDir, browserAvailable, launchChromium } from '../support/browser.js';
import { longMessage } from '../support/long-text.js';

const hasChromium = browserAvailable('demo agent console');

/**
 * Issue 22: the demo's agent console wraps a customer's very long message (10,000 characters
 * with a 500-character URL) and a long subject: neither the list nor the conversation is wider
 * than the screen at 375 px or 1,280 px. The console runs on its own over a fake Help Scout.
 */
describe.skipIf(!hasChromium)('demo agent console with very long text', () => {
  let helpscout: FakeHelpScout;
  let github: FakeGitHub;
  let console_: { url: string; close(): Promise<void> };
  let browser: Browser;
  let conversationId: string;

  beforeAll(async () => {
    [helpscout, github] = await Promise.all([startFakeHelpScout(), startFakeGitHub()]);
    conversationId = (
      await helpscout.customerWrites({
        email: `${'billing.team.of.the.company.'.repeat(5)}owner@example.com`,
        name: 'Dana',
        subject: `Export-${'broken'.repeat(40)}`,
        text: longMessage('Our payroll export is broken.'),
      })
    ).conversationId;
    console_ = await startAgentConsole({
      helpdesks: [{ id: 'helpscout', name: 'Help Scout (fake)', fake: helpscout }],
      hubUrl: 'http://127.0.0.1:9',
      helpScoutSidebarSecret: null,
      helpScoutMailboxId: 1,
      github,
      outbox: [],
      port: 0,
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await console_?.close();
    await Promise.all([helpscout?.close(), github?.close()]);
  });

  it('the list and the conversation fit the screen at 375 px and 1,280 px', async () => {
    const problems: string[] = [];
    for (const width of [375, 1280]) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      for (const [name, path] of [['list', '/'], ['conversation', `/helpscout/${conversationId}`]] as const) {
        const response = await page.goto(console_.url.replace(/\/$/, '') + path);
        expect(response?.status(), path).toBe(200);
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scrollWidth !== width) problems.push(`${name} at ${width}px is ${scrollWidth}px wide`);
        await page.screenshot({ path: join(artifactsDir, `demo-console-long-text-${name}-${width}.png`) });
      }
      expect(await page.locator('.threads .text').first().textContent()).toContain('https://example.com/');
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
