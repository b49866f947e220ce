import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../integrations/github/index.js';
import { helpscout } from '../../integrations/helpscout/index.js';
import { pagerduty } from '../../integrations/pagerduty/index.js';
import { slack } from '../../integrations/slack/index.js';
import { stripe } from '../../integrations/stripe/index.js';
import { REDACTED } from '../../src/config/secrets.js';
import type { HubConfig } from '../../src/config.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.js';
import { startFakeHelpScout, type FakeHelpScout } from '../fakes/helpscout/index.js';
import { startFakePagerDuty, type FakePagerDuty } from '../fakes/pagerduty/index.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack/index.js';
import { startFakeStripe, type FakeStripe } from '../fakes/stripe/index.js';
import { createStaff, StaffClient } from '../support/dashboard.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

/** Every configured secret's value: the leaves the config's own redaction replaces. */
function secretValues(config: HubConfig, redacted: HubConfig): string[] {
  const found: string[] = [];
  const walk = (real: unknown, masked: unknown) => {
    if (masked === REDACTED && typeof real === 'string') {
      found.push(real);
      // A URL's password alone must not leak either (smtp://user:password@host).
      try {
        const password = decodeURIComponent(new URL(real).password);
        if (password) found.push(password);
      } catch {}
      return;
    }
    if (real && typeof real === 'object' && masked && typeof masked === 'object') {
      for (const key of Object.keys(real)) walk((real as Record<string, unknown>)[key], (masked as Record<string, unknown>)[key]);
    }
  };
  walk(config, redacted);
  return found.filter((s) => s.length >= 8);
}

/**
 * No configured secret value appears anywhere in the HTML of any dashboard page (issue 10 "must
 * show"): every integration configured with known secrets, data on every page, and a crawl of
 * every /dashboard link an admin can reach.
 */
describe('dashboard pages never show a secret', () => {
  let t: TestHub;
  let base: string;
  let fakes: { gh: FakeGitHub; hs: FakeHelpScout; sl: FakeSlack; pd: FakePagerDuty; st: FakeStripe };

  beforeAll(async () => {
    const [gh, hs, sl, pd, st] = await Promise.all([startFakeGitHub(), startFakeHelpScout(), startFakeSlack(), startFakePagerDuty(), startFakeStripe()]);
    fakes = { gh, hs, sl, pd, st };
    t = await startTestHub('pglite', {
      integrations: [helpscout, github, slack, pagerduty, stripe],
      env: {
        ...gh.env,
        ...hs.env,
        ...st.env,
        SLACK_WEBHOOK_URL: sl.webhookUrl,
        PAGERDUTY_ROUTING_KEY: pd.routingKey,
        PAGERDUTY_API_BASE: pd.url,
        HUB_ADMIN_TOKEN: 'admin-token-secret-0123456789abcdef',
        HUB_LINK_SECRET: 'link-secret-0123456789abcdef',
        HUB_PUBLIC_URL: 'http://hub.test',
        MAIL_SMTP_URL: 'smtp://mailer:smtp-password-0123456789@127.0.0.1:2',
        MAIL_FROM: 'Acme Support <support@acme.example>',
        MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
        CHAT_APP_ID: 'app1',
        CHAT_IDENTITY_SECRET: 'chat-identity-secret-0123456789',
        HELPSCOUT_SIDEBAR_SECRET: 'sidebar-secret-0123456789abcdef',
        ESCALATION_TICK_SECONDS: '300',
      },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    hs.setWebhookTarget(`${base}/webhooks/helpscout`);
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all(Object.values(fakes ?? {}).map((f) => f.close()));
  });

  it('crawls every page an admin can reach and finds none of the configured secrets', async () => {
    const secrets = secretValues(t.hub.loaded.config, t.hub.loaded.redacted());
    // The setup really configured secrets of every kind (so the check below means something).
    expect(secrets).toEqual(expect.arrayContaining(['admin-token-secret-0123456789abcdef', 'smtp-password-0123456789', fakes.gh.env['GITHUB_TOKEN']!, fakes.hs.env['HELPSCOUT_CLIENT_SECRET']!, fakes.st.env['STRIPE_SECRET_KEY']!]));
    expect(secrets.length).toBeGreaterThanOrEqual(12);

    const urgent = await t.hub.ingest(chatMessage({ id: 'leak-1', user: 'lee', text: 'Someone hacked our account and changed the password, urgent' }));
    await t.hub.ingest(chatMessage({ id: 'leak-2', user: 'kim', text: 'Your site is down, nobody can log in, urgent!' }));
    await waitFor(() => t.hub.store.db.selectFrom('escalations').select('id').where('conversation_id', '=', urgent.conversation.id).executeTakeFirst(), 30_000, 'escalation');
    await waitFor(() => t.hub.store.db.selectFrom('incidents').select('id').executeTakeFirst(), 30_000, 'incident');

    const account = await createStaff(t.hub, 'admin');
    const client = new StaffClient(base);
    const pages = new Map<string, string>([['/dashboard/login', await client.page('/dashboard/login')]]);
    expect((await client.login(account.email, account.password)).status).toBe(303);
    const queue = ['/dashboard/queue', '/dashboard/queue?status=any', '/dashboard/incidents?status=any'];
    while (queue.length > 0 && pages.size < 80) {
      const path = queue.shift()!;
      if (pages.has(path)) continue;
      const html = await client.page(path);
      pages.set(path, html);
      for (const match of html.matchAll(/href="(\/dashboard[^"#]*)/g)) {
        const link = match[1]!.replaceAll('&amp;', '&');
        if (!link.startsWith('/dashboard/assets') && !link.startsWith('/dashboard/events') && !pages.has(link)) queue.push(link);
      }
    }
    const visited = [...pages.keys()];
    for (const expected of ['/dashboard/integrations', '/dashboard/promises', '/dashboard/classifier', '/dashboard/audit', `/dashboard/conversations/${urgent.conversation.id}`]) {
      expect(visited).toContain(expected);
    }
    expect(visited.some((p) => /^\/dashboard\/incidents\/[0-9a-f-]{36}$/.test(p))).toBe(true);
    const leaks = visited.flatMap((path) => secrets.filter((s) => pages.get(path)!.includes(s)).map((s) => `${path} shows ${s.slice(0, 6)}…`));
    expect(leaks).toEqual([]);
  });
});
