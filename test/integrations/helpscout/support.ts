import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { HelpdeskCustomer, HelpdeskWrite, SyncedAttachment, SyncedMessage } from '../../../src/capabilities/helpdesk.js';
import type { IntegrationContext } from '../../../src/capabilities/integration.js';
import { migrate } from '../../../src/store/migrate.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { helpscout } from '../../../integrations/helpscout/index.js';
import type { HelpScoutHelpdesk } from '../../../integrations/helpscout/helpdesk.js';
import { createTestDatabase } from '../../support/backends.js';
import type { FakeHelpScout } from '../../fakes/helpscout/index.js';

/** A migrated store for the shared rate budget (RateBudget lives in the database). */
export async function openTestStore(): Promise<{ store: Store; close(): Promise<void> }> {
  const database = await createTestDatabase('pglite');
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

export interface VendorCall {
  method: string;
  path: string;
  status: number | null;
}

/** The adapter exactly as the hub builds it: config parsed by its schema, created by the capability factory. */
export function adapterFor(
  fake: FakeHelpScout,
  store: Store,
  overrides: Record<string, string | undefined> = {},
): { adapter: HelpScoutHelpdesk; calls: VendorCall[] } {
  const calls: VendorCall[] = [];
  const config = helpscout.configSchema.parse({
    clientId: fake.env['HELPSCOUT_CLIENT_ID'],
    clientSecret: fake.env['HELPSCOUT_CLIENT_SECRET'],
    mailboxId: fake.env['HELPSCOUT_MAILBOX_ID'],
    webhookSecret: fake.env['HELPSCOUT_WEBHOOK_SECRET'],
    apiBase: fake.env['HELPSCOUT_API_BASE'],
    ...overrides,
  });
  const context: IntegrationContext = {
    store,
    log: pino({ level: 'silent' }),
    publicUrl: undefined,
    onVendorRequest: (_id, method, path, status) => calls.push({ method, path, status }),
  };
  const adapter = helpscout.capabilities.helpdesk!.create(config, context) as HelpScoutHelpdesk;
  return { adapter, calls };
}

export function message(text: string, attachments: SyncedAttachment[] = [], createdAt = new Date()): SyncedMessage {
  return { messageId: randomUUID(), text, html: null, createdAt, attachments };
}

export function file(filename: string, bytes: Buffer | number, url: string | null = null): SyncedAttachment & { loads: number } {
  const size = typeof bytes === 'number' ? bytes : bytes.length;
  const attachment = {
    filename,
    contentType: 'application/octet-stream',
    size,
    url,
    loads: 0,
    async load() {
      attachment.loads++;
      return typeof bytes === 'number' ? Buffer.alloc(bytes, 1) : bytes;
    },
  };
  return attachment;
}

export const customer = (email: string | null = 'casey@example.com', name: string | null = 'Casey Q Customer'): HelpdeskCustomer => ({ email, name, verified: true });

export function createOp(overrides: Partial<Extract<HelpdeskWrite, { kind: 'create' }>> = {}): Extract<HelpdeskWrite, { kind: 'create' }> {
  return {
    kind: 'create',
    conversationId: randomUUID(),
    channel: 'chat',
    subject: 'Export broken',
    customer: customer(),
    messages: [message('The export button does nothing')],
    tags: ['hub-chat'],
    ...overrides,
  };
}

/** Writes whose answer came back: the vendor's ids as the engine records them. */
export function refOf(op: Extract<HelpdeskWrite, { kind: 'create' }>, externalId: string, metadata: Record<string, unknown> = {}) {
  return { conversationId: op.conversationId, externalId, metadata };
}

/** A fresh access token straight from the fake (for requests that bypass the adapter). */
export async function rawToken(fake: FakeHelpScout): Promise<string> {
  const response = await fetch(`${fake.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: fake.env['HELPSCOUT_CLIENT_ID'], client_secret: fake.env['HELPSCOUT_CLIENT_SECRET'] }),
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}
