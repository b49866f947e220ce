import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyIntegration } from '../../src/capabilities/integration.js';
import { helpdeskChatAddress, type HelpdeskCapability } from '../../src/capabilities/helpdesk.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { smtpSink } from '../support/smtp-sink.js';
import { chatEnv, openStream, Sdk } from '../channels/chat/support.js';
import type { FakeHelpdesk } from '../fakes/helpdesk-fake.js';

/**
 * The suite every helpdesk adapter passes against its fake (ARCHITECTURE §4: adding a vendor is
 * copy a folder, fill the client and mapper, pass the kit). It runs the adapter inside a real hub
 * with the real sync engine, over real HTTP, with the fake's own customer notifications on:
 * - chat: message → conversation at the vendor → agent reply at the vendor → signed webhook →
 *   on the customer's WebSocket, exactly once (and no copy mailed by the vendor);
 * - email: mail to the hub → conversation at the vendor → agent reply → mailed by the hub,
 *   threaded (In-Reply-To the customer's mail), exactly once;
 * - follow-ups in order, combined where the adapter combines; the triage call as a note;
 * - a conversation that starts in the helpdesk is imported and triaged, not pushed back;
 * - a write whose answer is lost is found, not repeated; a dropped webhook is recovered by
 *   the reconciliation poll; bad webhooks change nothing; revoked credentials pause and resume.
 */
export interface HelpdeskContractOptions {
  integration: AnyIntegration;
  startFake(): Promise<FakeHelpdesk>;
  /** Hub settings beyond the fake's own (e.g. a reply-delivery mode). */
  env?: Record<string, string>;
}

export function describeHelpdeskContract(name: string, options: HelpdeskContractOptions): void {
  describe(`helpdesk contract: ${name}`, () => {
    let fake: FakeHelpdesk;
    let t: TestHub;
    let sink: Awaited<ReturnType<typeof smtpSink>>;
    let hubUrl: string;
    let adapter: HelpdeskCapability;
    const id = options.integration.id;

    beforeAll(async () => {
      fake = await options.startFake();
      sink = await smtpSink();
      t = await startTestHub('pglite', {
        integrations: [options.integration],
        env: {
          ...chatEnv,
          ...fake.env,
          MAIL_INBOUND_ADDRESS: 'support@acme.example',
          MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
          SMTP_PORT: '0',
          SMTP_HOST: '127.0.0.1',
          MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
          MAIL_FROM: 'Acme Support <support@acme.example>',
          SYNC_RECONCILE_SECONDS: '2',
          JOBS_MAINTENANCE_INTERVAL_SECONDS: '2',
          // Wide enough that a burst of follow-ups sent one after another falls in one window even
          // on a loaded machine (the window test below); every other test just waits a little more.
          SYNC_COALESCE_MS: '1000',
          ...options.env,
        },
      });
      const port = await t.hub.listen(0, '127.0.0.1');
      hubUrl = `http://127.0.0.1:${port}`;
      fake.setWebhookTarget(`${hubUrl}/webhooks/${id}`);
      adapter = t.hub.registry.get('helpdesk', id)!;
      expect(adapter, `${id} helpdesk capability enabled by the fake's env`).toBeDefined();
    });
    afterAll(async () => {
      await t?.stop();
      await fake?.close();
      await sink?.close();
    });

    const atVendor = (hubConversationId: string) => fake.conversations().find((c) => c.hubConversationId === hubConversationId) ?? null;
    const customerTexts = (hubConversationId: string) =>
      (atVendor(hubConversationId)?.threads ?? []).filter((th) => th.kind === 'customer').map((th) => th.text).join('\n');

    it('chat: message → conversation at the vendor → agent reply → webhook → on the WebSocket, exactly once', async () => {
      const sdk = new Sdk(hubUrl);
      await sdk.identify(`user-${randomUUID()}`, { email: 'chat-customer@example.com', name: 'Chad Customer' });
      const start = await sdk.startConversation('The export button does nothing', 'c-1', 'Export broken');
      expect(start.status).toBe(201);
      const conversationId = start.body['conversation']['id'] as string;
      const remote = await waitFor(() => atVendor(conversationId), 30_000, 'conversation at the vendor');
      // The vendor knows the customer by their email, or (an adapter that must keep the vendor from
      // ever mailing a chat customer) by the hub's address for their contact — never anyone else's.
      const contact = await t.hub.store.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow();
      expect(['chat-customer@example.com', helpdeskChatAddress(contact.contact_id)]).toContain(remote.customerEmail);
      expect(customerTexts(conversationId)).toContain('The export button does nothing');

      const stream = await openStream(sdk.streamUrl());
      await waitFor(() => stream.frames.find((f) => f['type'] === 'ready'), 10_000, 'stream ready');
      await fake.agentReply(remote.id, 'Fixed in 4.2.1, please update.', { agentName: 'Ana Agent' });
      await waitFor(() => stream.frames.find((f) => f['type'] === 'message' && f['message']['text']?.includes('Fixed in 4.2.1')), 30_000, 'reply on the socket');
      // The vendor's webhook may be redelivered and the poll runs too: still one copy.
      await fake.flushWebhooks();
      await t.hub.sync.reconciler.tick(true);
      await new Promise((r) => setTimeout(r, 1500));
      const replies = await t.hub.store.db.selectFrom('messages').select('text').where('conversation_id', '=', conversationId).where('direction', '=', 'outbound').execute();
      expect(replies.filter((m) => m.text.includes('Fixed in 4.2.1'))).toHaveLength(1);
      expect(stream.frames.filter((f) => f['type'] === 'message' && f['message']['text']?.includes('Fixed in 4.2.1'))).toHaveLength(1);
      // The vendor did not also mail the customer about it.
      expect(fake.notifications().filter((n) => n.to === 'chat-customer@example.com')).toEqual([]);
      // Our own push never came back as an inbound message.
      const inbound = await t.hub.store.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).where('direction', '=', 'inbound').execute();
      expect(inbound).toHaveLength(1);
      // Agents see the device the customer wrote from, as a private note.
      const note = await waitFor(() => atVendor(conversationId)?.threads.find((th) => th.kind === 'note' && th.text.includes('App version: 4.2.0')), 15_000, 'device note');
      expect(note.public).toBe(false);
      expect(note.text).toContain('Platform: ios');
      await stream.close();
    });

    it('chat follow-ups reach the vendor once each, in order', async () => {
      const sdk = new Sdk(hubUrl);
      await sdk.identify(`user-${randomUUID()}`, { email: 'order-customer@example.com' });
      const start = await sdk.startConversation('first line', 'o-0');
      const conversationId = start.body['conversation']['id'] as string;
      for (let i = 1; i <= 6; i++) {
        const sent = await sdk.call('POST', `/v1/conversations/${conversationId}/messages`, { text: `line ${i}`, client_id: `o-${i}` });
        expect(sent.status).toBe(201);
      }
      await waitFor(() => customerTexts(conversationId).includes('line 6'), 30_000, 'all lines at the vendor');
      const text = customerTexts(conversationId);
      const positions = ['first line', ...[1, 2, 3, 4, 5, 6].map((i) => `line ${i}`)].map((line) => text.indexOf(line));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      for (let i = 1; i <= 6; i++) expect(text.split(`line ${i}`).length - 1).toBe(1);
    });

    it('follow-ups sent within the coalescing window reach the vendor as one write', async () => {
      const sdk = new Sdk(hubUrl);
      await sdk.identify(`user-${randomUUID()}`, { email: 'burst-customer@example.com' });
      const start = await sdk.startConversation('burst opener', 'w-0');
      const conversationId = start.body['conversation']['id'] as string;
      await waitFor(() => customerTexts(conversationId).includes('burst opener'), 30_000, 'conversation at the vendor');
      // Let the opener's own follow-ups (acknowledgement, device, triage) finish first: a line
      // arriving while one of their pushes waits joins that push, which is the window working.
      await waitFor(
        async () => {
          const queued = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'sync.push' AND state < 'completed' AND singleton_key LIKE ${`%${conversationId}`}`.execute(t.hub.store.db);
          const synced = await t.hub.store.db.selectFrom('sync_conversations').select(['triage_pushed', 'dirty']).where('conversation_id', '=', conversationId).executeTakeFirst();
          return queued.rows[0]!.n === 0 && synced?.triage_pushed && !synced.dirty ? true : null;
        },
        30_000,
        'the opener settled at the vendor',
      );
      for (let i = 1; i <= 4; i++) {
        const sent = await sdk.call('POST', `/v1/conversations/${conversationId}/messages`, { text: `burst line ${i}`, client_id: `w-${i}` });
        expect(sent.status).toBe(201);
      }
      await waitFor(() => customerTexts(conversationId).includes('burst line 4'), 30_000, 'the burst at the vendor');
      const customerThreads = (atVendor(conversationId)?.threads ?? []).filter((th) => th.kind === 'customer');
      const burst = customerThreads.filter((th) => th.text.includes('burst line'));
      // One thread (comment) with the four lines in order, not four: a lone line would have gone at once.
      expect(burst).toHaveLength(1);
      const positions = [1, 2, 3, 4].map((i) => burst[0]!.text.indexOf(`burst line ${i}`));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    });

    it('email: the reply reaches the customer once — mailed by the hub (threaded to their mail) or by the helpdesk, as the adapter says', async () => {
      const customer = nodemailer.createTransport({ host: '127.0.0.1', port: t.hub.smtpPort!, secure: false, ignoreTLS: true });
      const messageId = `<${randomUUID()}@mail.example.com>`;
      await customer.sendMail({ from: 'Erin Email <erin@example.com>', to: 'support@acme.example', subject: 'Refund please', text: 'Please refund order 1234.', messageId });
      customer.close();
      const row = await waitFor(
        () => t.hub.store.db.selectFrom('mail_message_ids').select('conversation_id').where('message_id', '=', messageId).executeTakeFirst(),
        15_000,
        'mail stored',
      );
      const remote = await waitFor(() => atVendor(row.conversation_id), 30_000, 'email conversation at the vendor');
      expect(remote.customerEmail).toBe('erin@example.com');
      await fake.agentReply(remote.id, 'Refund issued today.');
      const byVendor = () => fake.notifications().filter((n) => n.to === 'erin@example.com' && n.text.includes('Refund issued'));
      const byHub = () => sink.mails.filter((m) => m.text?.includes('Refund issued today.'));
      if (adapter.traits.replyDelivery.email === 'hub') {
        const mail = await waitFor(() => byHub()[0], 30_000, 'reply mailed by the hub');
        expect(mail.inReplyTo).toBe(messageId);
      } else {
        // The helpdesk mails it; the hub records the reply (staff see it) and sends no copy.
        await waitFor(
          () => t.hub.store.db.selectFrom('messages').select('id').where('conversation_id', '=', row.conversation_id).where('direction', '=', 'outbound').where('text', 'like', '%Refund issued today.%').executeTakeFirst(),
          30_000,
          'reply recorded in the hub',
        );
      }
      await fake.flushWebhooks();
      await new Promise((r) => setTimeout(r, 1500));
      expect(byHub().length + byVendor().length).toBe(1);
    });

    it('the triage call reaches the vendor as a private note with the level', async () => {
      const sdk = new Sdk(hubUrl);
      await sdk.identify(`user-${randomUUID()}`, { email: 'urgent-customer@example.com' });
      const start = await sdk.startConversation('URGENT: production is down, all our users are locked out!!!', 'u-1');
      const conversationId = start.body['conversation']['id'] as string;
      const remote = await waitFor(
        () => atVendor(conversationId)?.threads.some((th) => th.kind === 'note' && /urgent/i.test(th.text)) && atVendor(conversationId),
        30_000,
        'triage note at the vendor',
      );
      expect(remote.threads.find((th) => th.kind === 'note')!.public).toBe(false);
    });

    it('a conversation that starts in the helpdesk is imported and triaged, not pushed back', async () => {
      const started = await fake.customerWrites({ email: 'direct@example.com', name: 'Dee Direct', subject: 'Cannot log in', text: 'I am locked out of my account.' });
      const imported = await waitFor(
        () =>
          t.hub.store.db
            .selectFrom('sync_conversations as s')
            .innerJoin('conversations as c', 'c.id', 's.conversation_id')
            .select(['c.id', 'c.channel'])
            .where('s.integration_id', '=', id)
            .where('s.external_id', '=', started.conversationId)
            .executeTakeFirst(),
        30_000,
        'imported conversation',
      );
      expect(imported.channel).toBe('helpdesk');
      await waitFor(() => t.hub.store.db.selectFrom('triage_results').select('level').where('conversation_id', '=', imported.id).executeTakeFirst(), 15_000, 'triaged');
      await new Promise((r) => setTimeout(r, 1500));
      const remote = fake.conversation(started.conversationId)!;
      expect(remote.threads.filter((th) => th.kind === 'customer')).toHaveLength(1);
      expect(fake.conversations().filter((c) => c.hubConversationId === imported.id)).toHaveLength(0);
    });

    it("the hub's own messages (acknowledgements): a public reply where the conversation started in the helpdesk, a private note otherwise; no echo", async () => {
      const started = await fake.customerWrites({ email: 'ack-direct@example.com', subject: 'Billing question', text: 'Why was I charged twice?' });
      const imported = await waitFor(
        () => t.hub.store.db.selectFrom('sync_conversations').select('conversation_id').where('integration_id', '=', id).where('external_id', '=', started.conversationId).executeTakeFirst(),
        30_000,
        'imported',
      );
      await t.hub.reply({ conversationId: imported.conversation_id, source: 'hub-ack', sourceMessageId: `ack-${randomUUID()}`, authorKind: 'system', text: 'Thanks — we will answer within about 3 hours.' });
      const reply = await waitFor(
        () => fake.conversation(started.conversationId)?.threads.find((th) => th.text.includes('within about 3 hours')),
        30_000,
        'acknowledgement at the vendor',
      );
      expect(reply.public).toBe(true);

      const sdk = new Sdk(hubUrl);
      await sdk.identify(`user-${randomUUID()}`, { email: 'ack-chat@example.com' });
      const start = await sdk.startConversation('Where is my order?', 'a-1');
      const conversationId = start.body['conversation']['id'] as string;
      await waitFor(() => atVendor(conversationId), 30_000, 'conversation at the vendor');
      await t.hub.reply({ conversationId, source: 'hub-ack', sourceMessageId: `ack-${randomUUID()}`, authorKind: 'system', text: 'Thanks — an agent will reply by 9:00 AM Monday.' });
      const note = await waitFor(() => atVendor(conversationId)?.threads.find((th) => th.text.includes('by 9:00 AM Monday')), 30_000, 'acknowledgement note');
      expect(note.kind).toBe('note');
      expect(note.public).toBe(false);

      // Neither comes back as an agent reply or a customer message.
      await fake.flushWebhooks();
      await t.hub.sync.reconciler.tick(true);
      await new Promise((r) => setTimeout(r, 1500));
      for (const conversation of [imported.conversation_id, conversationId]) {
        const rows = await t.hub.store.db.selectFrom('messages').select(['direction', 'author_kind', 'text']).where('conversation_id', '=', conversation).execute();
        expect(rows.filter((m) => m.author_kind === 'agent')).toEqual([]);
        expect(rows.filter((m) => m.direction === 'inbound' && /within about 3 hours|by 9:00 AM Monday/.test(m.text))).toEqual([]);
      }
    });

    it('a create whose answer is lost is found at the vendor, not created twice', async () => {
      fake.setFaults({ lostResponseRate: 1, searchLagMs: 300 });
      const sdk = new Sdk(hubUrl);
      await sdk.identify(`user-${randomUUID()}`, { email: 'lost@example.com' });
      const start = await sdk.startConversation('my answer will be lost', 'l-1');
      const conversationId = start.body['conversation']['id'] as string;
      await waitFor(() => atVendor(conversationId), 30_000, 'conversation committed at the vendor');
      fake.setFaults({ lostResponseRate: 0 });
      await waitFor(
        () => t.hub.store.db.selectFrom('sync_conversations').select('external_id').where('conversation_id', '=', conversationId).where('external_id', 'is not', null).executeTakeFirst(),
        90_000,
        'the lost create found and linked',
      );
      const more = await sdk.call('POST', `/v1/conversations/${conversationId}/messages`, { text: 'second message after the loss', client_id: 'l-2' });
      expect(more.status).toBe(201);
      await waitFor(() => customerTexts(conversationId).includes('second message after the loss'), 30_000, 'follow-up at the vendor');
      expect(fake.conversations().filter((c) => c.hubConversationId === conversationId)).toHaveLength(1);
      expect(customerTexts(conversationId).split('my answer will be lost').length - 1).toBe(1);
      fake.setFaults({ searchLagMs: 0 });
    });

    it('a dropped webhook is recovered by the reconciliation poll', async () => {
      const sdk = new Sdk(hubUrl);
      await sdk.identify(`user-${randomUUID()}`, { email: 'dropped@example.com' });
      const start = await sdk.startConversation('will the reply arrive?', 'd-1');
      const conversationId = start.body['conversation']['id'] as string;
      const remote = await waitFor(() => atVendor(conversationId), 30_000, 'conversation at the vendor');
      await waitFor(
        () => t.hub.store.db.selectFrom('sync_conversations').select('external_id').where('conversation_id', '=', conversationId).where('external_id', 'is not', null).executeTakeFirst(),
        30_000,
        'linked',
      );
      fake.setFaults({ webhookDropRate: 1 });
      await fake.agentReply(remote.id, 'Reply whose webhook is dropped');
      fake.setFaults({ webhookDropRate: 0 });
      await waitFor(
        () => t.hub.store.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).where('text', 'like', '%webhook is dropped%').executeTakeFirst(),
        30_000,
        'reply found by the poll',
      );
    });

    it('bad webhooks: wrong signature → 401, malformed → 400, nothing changes', async () => {
      const before = await t.hub.store.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const unsigned = await fetch(`${hubUrl}/webhooks/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":1}' });
      expect(unsigned.status).toBe(401);
      expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
      const unknown = await fetch(`${hubUrl}/webhooks/not-a-helpdesk`, { method: 'POST', body: '{}' });
      expect(unknown.status).toBe(404);
      const after = await t.hub.store.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
      expect(adapter.verifyWebhook({ rawBody: Buffer.from('{}'), headers: {}, url: `/webhooks/${id}` }).ok).toBe(false);
    });

    it('revoked credentials pause the integration instead of burning retries; restored, it resumes with nothing lost', async () => {
      fake.revokeCredentials();
      const sdk = new Sdk(hubUrl);
      await sdk.identify(`user-${randomUUID()}`, { email: 'revoked@example.com' });
      const start = await sdk.startConversation('sent while credentials are revoked', 'r-1');
      const conversationId = start.body['conversation']['id'] as string;
      await waitFor(async () => (await t.hub.sync.states.health(id)).status === 'needs_reauth', 30_000, 'integration paused');
      const ready = (await (await fetch(`${hubUrl}/readyz`)).json()) as { integrations: Record<string, { status: string }> };
      expect(ready.integrations[id]?.status).toBe('needs_reauth');
      const failed = await t.hub.queue.listFailed('sync.push');
      expect(failed.filter((j) => (j.data as { conversationId?: string }).conversationId === conversationId)).toEqual([]);
      expect(atVendor(conversationId)).toBeNull();
      fake.restoreCredentials();
      await waitFor(() => atVendor(conversationId), 30_000, 'pushed after the credentials came back');
      await waitFor(async () => (await t.hub.sync.states.health(id)).status === 'active', 30_000, 'integration active again');
    });

    it('adapter: a webhook the fake signs verifies; a tampered one does not', async () => {
      const captured: { body: Buffer; headers: Record<string, string | string[] | undefined> }[] = [];
      const { createServer } = await import('node:http');
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          captured.push({ body: Buffer.concat(chunks), headers: req.headers });
          res.end('ok');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      fake.setWebhookTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
      try {
        const started = await fake.customerWrites({ email: 'sig@example.com', subject: 'sig', text: 'signature check' });
        await fake.flushWebhooks();
        // Every webhook the fake sent verifies; one of them announces the new conversation.
        const hook = await waitFor(
          () =>
            captured.find((h) => {
              const request = { rawBody: h.body, headers: h.headers, url: '/hook' };
              expect(adapter.verifyWebhook(request)).toEqual({ ok: true });
              return adapter.parseWebhook(request).events.some((e) => e.externalId === started.conversationId);
            }),
          10_000,
          'webhook about the new conversation',
        );
        const request = { rawBody: hook.body, headers: hook.headers, url: '/hook' };
        const tampered = { ...request, rawBody: Buffer.concat([hook.body, Buffer.from(' ')]) };
        expect(adapter.verifyWebhook(tampered).ok).toBe(false);
      } finally {
        fake.setWebhookTarget(`${hubUrl}/webhooks/${id}`);
        await new Promise<void>((r) => server.close(() => r()));
      }
    });
  });
}
