import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { product } from '../../integrations/product/index.js';
import { stripe } from '../../integrations/stripe/index.js';
import { verifyHubSignature } from '../../src/http/hub-signature.js';
import { startFakeSidebarHost, type FakeSidebarHost, type SidebarHostConversation } from '../fakes/helpscout/index.js';
import { startFakeStripe, type FakeStripe } from '../fakes/stripe/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The world of the Help Scout sidebar-app tests: a hub with the new app (and the legacy Dynamic
 * App) configured, a fake Stripe and the product's lookup endpoint over real HTTP (each counting
 * what it was asked), and the fake Help Scout sidebar host signing URLs for that hub.
 */
export const APP_SECRET = 'hs-app-secret-0123456789abcdef';
export const LEGACY_SECRET = 'dynamic-app-secret-app-01';
export const PRODUCT_SECRET = 'product-lookup-secret-0123456789';
/** An operator's own parameter in the configured Callback URL: Help Scout does not sign it. */
export const CALLBACK_PARAM = ['team', 'emea/1'] as const;

/** The product's lookup endpoint: verifies the hub's signature, answers per email, counts calls. */
export async function startProductEndpoint() {
  const accounts = new Map<string, unknown>();
  const asked: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (!verifyHubSignature(req.headers['x-hub-signature'] as string | undefined, raw, [PRODUCT_SECRET]).ok) {
        res.writeHead(401).end();
        return;
      }
      const { email } = JSON.parse(raw.toString('utf8')) as { email: string };
      asked.push(email);
      const account = accounts.get(email);
      res.writeHead(account ? 200 : 404, { 'content-type': 'application/json' }).end(account ? JSON.stringify({ account }) : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, accounts, asked, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/lookup` };
}

/** A paying Stripe customer: 12 seats of Team at €49, renewing 2026-12-01, or trialing until `trialEnd`. */
export function seedStripeCustomer(fake: FakeStripe, email: string, company: string, options: { trialEnd?: Date } = {}) {
  const customer = fake.addCustomer({ email, name: 'Jane Doe', metadata: { company } });
  const team = fake.addProduct({ name: 'Team' });
  const price = fake.addPrice({ product: team.id, unitAmount: 4900, currency: 'eur', interval: 'month' });
  const subscription = fake.addSubscription(customer.id, {
    price: price.id,
    quantity: 12,
    currentPeriodEnd: new Date('2026-12-01T00:00:00Z'),
    ...(options.trialEnd ? { status: 'trialing' as const, trialEnd: options.trialEnd } : {}),
  });
  return { customer, subscription };
}

export interface AppWorld {
  t: TestHub;
  base: string;
  fake: FakeStripe;
  productEndpoint: Awaited<ReturnType<typeof startProductEndpoint>>;
  host: FakeSidebarHost;
  /** Requests about this address that reached Stripe (by email or search query) or the product's endpoint. */
  callsFor(email: string): number;
  stop(): Promise<void>;
}

export async function startAppWorld(extra: Record<string, string> = {}, integrations = [helpscout, stripe, product]): Promise<AppWorld> {
  const fake = await startFakeStripe({ rateLimitPerSecond: null });
  const productEndpoint = await startProductEndpoint();
  // The callback URL must name the hub's port before the hub starts: take one, then listen on it.
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const base = `http://127.0.0.1:${port}`;
  const callbackUrl = `${base}/sidebar/helpscout/app?${CALLBACK_PARAM[0]}=${encodeURIComponent(CALLBACK_PARAM[1])}`;
  const t = await startTestHub('pglite', {
    integrations,
    env: {
      HELPSCOUT_APP_SECRET: APP_SECRET,
      HELPSCOUT_APP_CALLBACK_URL: callbackUrl,
      HELPSCOUT_SIDEBAR_SECRET: LEGACY_SECRET,
      ...fake.env,
      PRODUCT_LOOKUP_URL: productEndpoint.url,
      PRODUCT_LOOKUP_SECRET: PRODUCT_SECRET,
      PRODUCT_NAME: 'Pancakes app',
      // Generous: a first (cold) Stripe lookup on a busy machine must not miss it.
      SIDEBAR_BUDGET_MS: '5000',
      ...extra,
    },
  });
  await t.hub.listen(port, '127.0.0.1');
  const host = await startFakeSidebarHost({ callbackUrl, secret: APP_SECRET });
  return {
    t,
    base,
    fake,
    productEndpoint,
    host,
    callsFor: (email) => fake.requests.filter((r) => Object.values(r.query).some((v) => String(v).includes(email))).length + productEndpoint.asked.filter((e) => e === email).length,
    async stop() {
      await host.close();
      await t.stop();
      await fake.close();
      productEndpoint.server.close();
    },
  };
}

export function conversationFor(id: number, customer: { email: string; firstName?: string; lastName?: string }): SidebarHostConversation {
  return {
    id,
    number: 1000 + (id % 1000),
    subject: 'When does my plan renew?',
    mailboxId: 85,
    customer: { id: 90_000 + id, firstName: customer.firstName ?? 'Jane', lastName: customer.lastName ?? 'Doe', email: customer.email },
  };
}

/** The card token a verified page load minted (from its meta tag). */
export function pageToken(html: string): string {
  const token = /<meta name="hub-card-token" content="([^"]+)">/.exec(html)?.[1];
  expect(token, 'the page carries a card token').toBeTruthy();
  return token!;
}

export async function askCard(base: string, token: string | null, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${base}/sidebar/helpscout/app/card`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}
