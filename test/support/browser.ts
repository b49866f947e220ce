import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (`.ci/run` installs it; nothing is downloaded). Where it is
 * missing they skip with one line saying so.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Screenshots and other artifacts of browser tests (git-ignored). */
export const artifactsDir = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Says once why `suite`'s browser tests are skipped here; returns whether they can run. */
export function browserAvailable(suite: string): boolean {
  if (!hasChromium) console.log(`${suite} browser tests skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
  return hasChromium;
}

/**
 * Headless Chromium as the machine allows it: no sandbox (tests run as root), and none of the
 * background networking this closed network refuses.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(artifactsDir, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-quic'],
  });
}

/**
 * Opens, in the demo's agent console, the fake Help Scout conversation whose title matches
 * `title`, once the hub has synced it there. Only `/helpscout/` links count: the console also
 * lists the GitHub issue an escalation opened under the same title.
 */
export async function openConsoleConversation(page: Page, consoleUrl: string, title: RegExp): Promise<void> {
  const conversation = page.locator('a[href^="/helpscout/"]', { hasText: title });
  await expect
    .poll(async () => {
      await page.goto(consoleUrl);
      return conversation.count();
    }, { timeout: 30_000 })
    .toBe(1);
  await conversation.click();
}
