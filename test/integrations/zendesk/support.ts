import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { HelpdeskCustomer, SyncedAttachment, SyncedMessage } from '../../../src/capabilities/helpdesk.js';
import { migrate } from '../../../src/store/migrate.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { zendeskConfigSchema } from '../../../integrations/zendesk/config.js';
import { createZendeskHelpdesk, type ZendeskHelpdeskOverrides } from '../../../integrations/zendesk/index.js';
import type { ZendeskHelpdesk } from '../../../integrations/zendesk/helpdesk.js';
import { createTestDatabase, type TestDatabase } from '../../support/backends.js';
import { startFakeZendesk, type FakeZendesk, type FakeZendeskOptions } from '../../fakes/zendesk/index.js';

/** A store for the shared rate budgets (RateBudget keeps its buckets in the database). */
export async function testStore(): Promise<{ store: Store; close(): Promise<void> }> {
  const database: TestDatabase = await createTestDatabase('pglite');
  const store = await openStore({ dataDir: database.dataDir, poolSize: 2 });
  await migrate(store);
  return {
    store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

export interface Harness {
  fake: FakeZendesk;
  zendesk: ZendeskHelpdesk;
  /** Vendor calls the adapter reported through IntegrationContext.onVendorRequest. */
  calls: { method: string; path: string; status: number | null }[];
  /** Another adapter on the same store and fake, with different settings or credentials. */
  adapter(env?: Record<string, string>, overrides?: ZendeskHelpdeskOverrides): ZendeskHelpdesk;
  close(): Promise<void>;
}

let harnesses = 0;

/**
 * The fake Zendesk and an adapter configured from its environment, as the hub would be. Each
 * harness is its own "account" (subdomain): rate buckets are keyed by it in the shared store.
 */
export async function startHarness(
  store: Store,
  options: { fake?: FakeZendeskOptions; env?: Record<string, string>; overrides?: ZendeskHelpdeskOverrides } = {},
): Promise<Harness> {
  const fake = await startFakeZendesk({ updateTicketLimit: null, ...options.fake });
  const calls: Harness['calls'] = [];
  const subdomain = `acme-${process.pid}-${++harnesses}`;
  const log = pino({ level: 'silent' });
  const adapter = (env: Record<string, string> = {}, overrides: ZendeskHelpdeskOverrides = {}) => {
    // Budgets generous unless a test is about limits: the fake's own limits are off by default.
    const merged: Record<string, string> = {
      ZENDESK_RATE_LIMIT: '100000/60',
      ZENDESK_UPDATE_TICKET_RATE_LIMIT: '100000/60',
      ZENDESK_PER_TICKET_UPDATE_LIMIT: '100000/600',
      ZENDESK_EXPORT_RATE_LIMIT: '100000/60',
      ...fake.env, ZENDESK_SUBDOMAIN: subdomain, ...options.env, ...env };
    const config = zendeskConfigSchema.parse({
      subdomain: merged['ZENDESK_SUBDOMAIN'],
      email: merged['ZENDESK_EMAIL'] || undefined,
      apiToken: merged['ZENDESK_API_TOKEN'] || undefined,
      oauthToken: merged['ZENDESK_OAUTH_TOKEN'] || undefined,
      webhookSecret: merged['ZENDESK_WEBHOOK_SECRET'],
      apiBase: merged['ZENDESK_API_BASE'],
      rateLimit: merged['ZENDESK_RATE_LIMIT'],
      updateTicketRateLimit: merged['ZENDESK_UPDATE_TICKET_RATE_LIMIT'],
      perTicketUpdateLimit: merged['ZENDESK_PER_TICKET_UPDATE_LIMIT'],
      exportRateLimit: merged['ZENDESK_EXPORT_RATE_LIMIT'],
      searchLagSeconds: merged['ZENDESK_SEARCH_LAG_SECONDS'],
    });
    return createZendeskHelpdesk(
      config,
      { store, log, publicUrl: undefined, onVendorRequest: (_id, method, path, status) => calls.push({ method, path, status }) },
      { maxRateWaitMs: 20_000, ...options.overrides, ...overrides },
    );
  };
  return { fake, zendesk: adapter(), calls, adapter, close: () => fake.close() };
}

export const customer: HelpdeskCustomer = { email: 'dana@customer.example', name: 'Dana Customer', verified: true };

export function message(text: string, attachments: SyncedAttachment[] = []): SyncedMessage {
  return { messageId: randomUUID(), text, html: null, createdAt: new Date(), attachments };
}

export function attachment(filename: string, bytes: Buffer, url: string | null = null): SyncedAttachment {
  return { filename, contentType: 'text/plain', size: bytes.length, load: async () => bytes, url };
}

export function createOp(conversationId: string, texts: string[], extra: { channel?: 'chat' | 'email'; messages?: SyncedMessage[] } = {}) {
  return {
    kind: 'create' as const,
    conversationId,
    channel: extra.channel ?? ('chat' as const),
    subject: 'Cannot log in',
    customer,
    messages: extra.messages ?? texts.map((t) => message(t)),
    tags: [`hub-${extra.channel ?? 'chat'}`],
  };
}
