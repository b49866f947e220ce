import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { integrations } from '../integrations/index.js';
import { loadConfig } from '../src/config.js';
import { saveStaffUser } from '../src/dashboard/staff-users.js';
import { startHub, type Hub } from '../src/hub.js';
import { hubLogger } from '../src/log.js';
import { startFakeGitHub, type FakeGitHub } from '../test/fakes/github/index.js';
import { startFakeHelpScout, type FakeHelpScout } from '../test/fakes/helpscout/index.js';
import { startFakeStripe, type FakeStripe } from '../test/fakes/stripe/index.js';
import { startFakeZendesk, type FakeZendesk } from '../test/fakes/zendesk/index.js';
import { freePort } from '../test/support/free-port.js';
import { smtpSink } from '../test/support/smtp-sink.js';
import { startAgentConsole } from './agent-console.js';
import { startCustomerSite, type DemoCustomer } from './customer-site.js';

export interface Demo {
  hub: Hub;
  urls: { hub: string; customerSite: string; agentConsole: string; dashboard: string; widgetDemo: string };
  dashboardLogin: { email: string; password: string };
  customers: DemoCustomer[];
  fakes: { helpscout: FakeHelpScout; zendesk: FakeZendesk; stripe: FakeStripe; github: FakeGitHub };
  /** Mail the hub sent (caught by a local SMTP server instead of reaching anyone). */
  outbox: Awaited<ReturnType<typeof smtpSink>>['mails'];
  stop(): Promise<void>;
}

const DAY = 86_400_000;

export interface DemoOptions {
  port?: number;
  logLevel?: string;
  /** The hub's SMTP listener (`SMTP_PORT`); default 2525 when free, else any free port. */
  smtpPort?: number;
  /** The hub's time for escalation steps and promises (tests move it forward; default: real time). */
  clock?: () => Date;
}

/**
 * The whole loop on one laptop, no vendor account needed: the hub on a throwaway embedded store,
 * wired to the fake Help Scout, Zendesk, Stripe and GitHub servers from test/fakes (real HTTP,
 * real signatures), a product site whose customers chat through the widget, an agent console over
 * the fake helpdesks, and the dashboard with a demo login. Chat syncs to Help Scout, mail to the
 * hub's mailbox to Zendesk; urgent conversations open GitHub issues.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const stack: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const close of stack.reverse()) await Promise.resolve(close()).catch(() => {});
    stack.length = 0;
  };
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'support-hub-demo-'));
    stack.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // The fake GitHub's issue links (html_url) open in the agent console, not at github.com.
    const consolePort = await freePort();
    const [helpscout, zendesk, stripe, github, outbox] = await Promise.all([startFakeHelpScout(), startFakeZendesk(), startFakeStripe(), startFakeGitHub({ htmlBase: `http://127.0.0.1:${consolePort}/github` }), smtpSink()]);
    stack.push(() => helpscout.close(), () => zendesk.close(), () => stripe.close(), () => github.close(), () => outbox.close());
    const customers = seedStripe(stripe);

    const port = options.port ?? (await freePort(3000));
    const hubUrl = `http://127.0.0.1:${port}`;
    const site = await startCustomerSite({ hubUrl, appId: 'acme', identitySecret: 'demo-identity-secret-0123456789', customers });
    stack.push(() => site.close());
    const configFile = join(dataDir, 'demo-config.json');
    // Each source syncs to exactly one helpdesk: chat → Help Scout, the hub's mailbox → Zendesk.
    writeFileSync(configFile, JSON.stringify({ sync: { routes: { 'email:support@acme.demo': 'zendesk' } } }));
    const env: Record<string, string> = {
      ...helpscout.env,
      ...zendesk.env,
      ...stripe.env,
      ...github.env,
      HUB_CONFIG: configFile,
      HUB_DATA_DIR: join(dataDir, 'hub'),
      HOST: '127.0.0.1',
      PORT: String(port),
      HUB_PUBLIC_URL: hubUrl,
      HUB_LINK_SECRET: randomBytes(24).toString('hex'),
      HUB_ADMIN_TOKEN: randomBytes(24).toString('hex'),
      LOG_LEVEL: options.logLevel ?? 'warn',
      SYNC_HELPDESK: 'helpscout',
      HELPSCOUT_SIDEBAR_SECRET: randomBytes(16).toString('hex'),
      CHAT_APP_ID: 'acme',
      CHAT_IDENTITY_SECRET: 'demo-identity-secret-0123456789',
      CHAT_ALLOWED_ORIGINS: site.url,
      MAIL_INBOUND_ADDRESS: 'support@acme.demo',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(options.smtpPort ?? (await freePort(2525))),
      MAIL_SMTP_URL: `smtp://127.0.0.1:${outbox.port}`,
      MAIL_FROM: 'Acme Support <support@acme.demo>',
      MAIL_REPLY_SECRET: randomBytes(24).toString('hex'),
      ONCALL_EMAIL: 'oncall@acme.demo',
      // Staffed around the clock, so the promised times read well at any hour of the demo.
      TEAM_BUSINESS_HOURS: 'mon-sun 00:00-24:00',
      ESCALATION_TICK_SECONDS: '5',
    };
    const loaded = loadConfig(integrations, env);
    const hub = await startHub(loaded, { integrations, log: hubLogger(loaded.config), ...(options.clock ? { clock: options.clock } : {}) });
    stack.push(() => hub.stop());
    await hub.listen(port, '127.0.0.1');
    helpscout.setWebhookTarget(`${hubUrl}/webhooks/helpscout`);
    zendesk.setWebhookTarget(`${hubUrl}/webhooks/zendesk`);

    const dashboardLogin = { email: 'lead@acme.demo', password: `demo-${randomBytes(9).toString('base64url')}` };
    await saveStaffUser(hub.store, { ...dashboardLogin, name: 'Demo Lead', role: 'admin' }, 'demo');

    const agentConsole = await startAgentConsole({
      helpdesks: [
        { id: 'helpscout', name: 'Help Scout (fake)', fake: helpscout },
        { id: 'zendesk', name: 'Zendesk (fake)', fake: zendesk },
      ],
      hubUrl,
      helpScoutSidebarSecret: env['HELPSCOUT_SIDEBAR_SECRET']!,
      helpScoutMailboxId: Number(helpscout.env['HELPSCOUT_MAILBOX_ID']),
      github,
      outbox: outbox.mails,
      port: consolePort,
    });
    stack.push(() => agentConsole.close());
    return {
      hub,
      urls: { hub: hubUrl, customerSite: site.url, agentConsole: agentConsole.url, dashboard: `${hubUrl}/dashboard`, widgetDemo: `${hubUrl}/widget/demo` },
      dashboardLogin,
      customers,
      fakes: { helpscout, zendesk, stripe, github },
      outbox: outbox.mails,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Three customers of the demo product, with the Stripe plans the sidebar card shows. */
function seedStripe(stripe: FakeStripe): DemoCustomer[] {
  const now = Date.now();
  const plans = {
    starter: stripe.addPrice({ product: stripe.addProduct({ name: 'Starter' }).id, unitAmount: 900, currency: 'eur', interval: 'month' }),
    business: stripe.addPrice({ product: stripe.addProduct({ name: 'Business' }).id, unitAmount: 4900, currency: 'eur', interval: 'month' }),
    enterprise: stripe.addPrice({ product: stripe.addProduct({ name: 'Enterprise' }).id, unitAmount: 250000, currency: 'eur', interval: 'year' }),
  };
  const seeds = [
    { id: 'ada', name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines Ltd', plan: 'business' as const, quantity: 48, trialDays: 12 },
    { id: 'grace', name: 'Grace Hopper', email: 'grace@cobol.example', company: 'Cobol Systems Inc', plan: 'enterprise' as const, quantity: 400, trialDays: 0 },
    { id: 'linus', name: 'Linus Pauling', email: 'linus@vitamins.example', company: 'Vitamin Labs', plan: 'starter' as const, quantity: 3, trialDays: 0 },
  ];
  return seeds.map((seed) => {
    const customer = stripe.addCustomer({ email: seed.email, name: seed.name, businessName: seed.company });
    stripe.addSubscription(customer.id, {
      price: plans[seed.plan].id,
      quantity: seed.quantity,
      ...(seed.trialDays > 0 ? { status: 'trialing', trialEnd: new Date(now + seed.trialDays * DAY) } : {}),
      currentPeriodEnd: new Date(now + (seed.plan === 'enterprise' ? 200 : 18) * DAY),
    });
    return { id: seed.id, name: seed.name, email: seed.email, company: seed.company, plan: seed.plan[0]!.toUpperCase() + seed.plan.slice(1) };
  });
}

