import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import { HubError } from '../../../src/errors.js';
import type { Store } from '../../../src/store/store.js';
import { parseHelpScoutWebhook, verifyHelpScoutWebhook } from '../../../integrations/helpscout/webhook.js';
import { startFakeHelpScout, type FakeHelpScout } from '../../fakes/helpscout/index.js';
import { waitFor } from '../../support/hub.js';
import { adapterFor, createOp, openTestStore } from './support.js';

/**
 * Help Scout webhooks: X-HelpScout-Signature over the raw bytes (ARCHITECTURE §7), parsed into
 * canonical events with a delivery id that is the same for a redelivery and different otherwise.
 */
const SECRET = 'webhook-secret-for-tests';
const sign = (body: string | Buffer, secret = SECRET) => createHmac('sha1', secret).update(body).digest('base64');
const request = (body: string, headers: IncomingHttpHeaders = {}): RawRequest => ({ rawBody: Buffer.from(body), headers, url: '/webhooks/helpscout' });

const payload = {
  id: 123,
  number: 12,
  status: 'closed',
  tags: [{ id: 1, color: '#929499', tag: 'hub-0b6c54c4-6a8e-4a36-9a55-2d0d57e5a1f4' }],
  _embedded: {
    threads: [
      { id: 902, type: 'lineitem', createdAt: '2024-05-01T10:05:00Z', source: { type: 'web', via: 'user' }, createdBy: { id: 3, type: 'user' } },
      { id: 901, type: 'reply', createdAt: '2024-05-01T10:04:00Z', source: { type: 'web', via: 'user' }, createdBy: { id: 3, type: 'user' } },
    ],
  },
};

describe('verifyWebhook', () => {
  const body = JSON.stringify(payload);
  it('accepts the base64 HMAC-SHA1 of the raw body', () => {
    expect(verifyHelpScoutWebhook(SECRET, request(body, { 'x-helpscout-signature': sign(body) }))).toEqual({ ok: true });
  });
  it('rejects a wrong secret, a tampered body, a missing header, and says why', () => {
    expect(verifyHelpScoutWebhook(SECRET, request(body, { 'x-helpscout-signature': sign(body, 'other') }))).toEqual({ ok: false, reason: 'invalid X-HelpScout-Signature' });
    expect(verifyHelpScoutWebhook(SECRET, request(`${body} `, { 'x-helpscout-signature': sign(body) })).ok).toBe(false);
    expect(verifyHelpScoutWebhook(SECRET, request(body, { 'x-helpscout-signature': sign(body).slice(0, 10) })).ok).toBe(false);
    expect(verifyHelpScoutWebhook(SECRET, request(body))).toEqual({ ok: false, reason: 'missing X-HelpScout-Signature header' });
  });
  it('without a configured secret every webhook is rejected with a reason naming the setting (no crash)', () => {
    const result = verifyHelpScoutWebhook(undefined, request(body, { 'x-helpscout-signature': sign(body) }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/HELPSCOUT_WEBHOOK_SECRET/);
  });
});

describe('parseWebhook', () => {
  const parse = (body: unknown, event = 'convo.status') =>
    parseHelpScoutWebhook(request(typeof body === 'string' ? body : JSON.stringify(body), { 'x-helpscout-event': event }));

  const digest = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32);

  it('maps events, our id from the hub tag, the status, the threads the body names; delivery id = event + conversation + digest of the bytes', () => {
    expect(parse(payload)).toEqual({
      deliveryId: `convo.status:123:${digest(payload)}`,
      events: [{ kind: 'status.changed', externalId: '123', hubConversationId: '0b6c54c4-6a8e-4a36-9a55-2d0d57e5a1f4', status: 'closed', threadIds: ['902', '901'] }],
    });
    expect(parse(payload, 'convo.agent.reply.created').events[0]!.kind).toBe('agent.replied');
    expect(parse(payload, 'convo.customer.reply.created').events[0]!.kind).toBe('customer.replied');
    expect(parse(payload, 'convo.created').events[0]!.kind).toBe('conversation.created');
    expect(parse(payload, 'convo.assigned').events[0]!.kind).toBe('assigned');
    expect(parse(payload, 'convo.tags').events[0]!.kind).toBe('other');
    expect(parse({ id: 7 }, 'customer.created').events).toEqual([]);
  });

  it('threads are hints from wherever the body puts them (the SDK fixture: top-level `threads`); a body naming none reports none (fetch, then decide)', () => {
    const { _embedded: _threads, ...bare } = payload;
    const topLevel = { ...bare, threads: [{ id: 77, type: 'customer', createdAt: '2024-05-01T10:07:00Z' }] };
    expect(parse(topLevel, 'convo.customer.reply.created').events[0]!.threadIds).toEqual(['77']);
    expect(parse(bare, 'convo.customer.reply.created').events[0]).not.toHaveProperty('threadIds');
    // No field the vendor does not promise decides whether a delivery is new: two bodies without
    // threads for the same conversation are two deliveries unless their bytes are the same.
    const later = { ...bare, status: 'active' };
    expect(parse(bare, 'convo.customer.reply.created').deliveryId).not.toBe(parse(later, 'convo.customer.reply.created').deliveryId);
  });

  it('a redelivery has the same delivery id; a new thread or another event a different one', () => {
    const first = parse(payload, 'convo.agent.reply.created').deliveryId;
    expect(parse(payload, 'convo.agent.reply.created').deliveryId).toBe(first);
    const newer = { ...payload, _embedded: { threads: [{ id: 903, type: 'reply', createdAt: '2024-05-01T10:06:00Z' }, ...payload._embedded.threads] } };
    expect(parse(newer, 'convo.agent.reply.created').deliveryId).not.toBe(first);
    expect(parse(payload, 'convo.note.created').deliveryId).not.toBe(first);
  });

  it('malformed input is a 400 invalid_webhook HubError, never a crash', () => {
    for (const [body, event] of [
      ['{"id": 1', 'convo.created'],
      ['[1,2]', 'convo.created'],
      ['{"subject":"no id"}', 'convo.created'],
      ['{"id":"abc"}', 'convo.status'],
    ] as const) {
      let thrown: unknown;
      try {
        parse(body, event);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, body).toBeInstanceOf(HubError);
      expect(thrown).toMatchObject({ status: 400, code: 'invalid_webhook' });
    }
    expect(() => parseHelpScoutWebhook(request(JSON.stringify(payload)))).toThrow(HubError);
  });
});

describe('webhooks the fake sends', () => {
  let db: Awaited<ReturnType<typeof openTestStore>>;
  let store: Store;
  let fake: FakeHelpScout;
  let receiver: Server;
  const received: { body: Buffer; headers: IncomingHttpHeaders }[] = [];
  let answer = 200;

  beforeAll(async () => {
    db = await openTestStore();
    store = db.store;
    fake = await startFakeHelpScout();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks), headers: req.headers });
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    fake.setWebhookTarget(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/helpscout`);
  });
  afterAll(async () => {
    await fake?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
    await db?.close();
  });

  const hooks = (event: string) => received.filter((r) => r.headers['x-helpscout-event'] === event).map((r) => ({ rawBody: r.body, headers: r.headers, url: '/webhooks/helpscout' }));

  it('an agent reply arrives signed, verifies with the adapter and parses to agent.replied for our conversation (not byHub)', async () => {
    const { adapter } = adapterFor(fake, store);
    const op = createOp();
    const externalId = (await adapter.write(op)).externalId!;
    const { threadId } = await fake.agentReply(externalId, 'Fixed!');
    await fake.flushWebhooks();
    const hook = hooks('convo.agent.reply.created').at(-1)!;
    expect(adapter.verifyWebhook(hook)).toEqual({ ok: true });
    const parsed = adapter.parseWebhook(hook);
    expect(parsed.deliveryId).toBe(`convo.agent.reply.created:${externalId}:${createHash('sha256').update(hook.rawBody).digest('hex').slice(0, 32)}`);
    // The fake's default reading: the body names no threads, so the hub will fetch, then decide.
    expect(parsed.events).toEqual([{ kind: 'agent.replied', externalId, hubConversationId: op.conversationId }]);
    expect(threadId).toBeTruthy();
    expect(adapter.verifyWebhook({ ...hook, rawBody: Buffer.concat([hook.rawBody, Buffer.from('\n')]) }).ok).toBe(false);
  });

  it('Help Scout also reports the hub’s own writes: when the body names threads they are the ones the write recorded (so the hub skips the pull); nothing is assumed from `source`', async () => {
    const friendly = await startFakeHelpScout({ webhookThreads: 'top-level', apiThreadSource: 'email' });
    try {
      friendly.setWebhookTarget(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/helpscout`);
      const { adapter } = adapterFor(friendly, store);
      const op = createOp();
      const created = await adapter.write(op);
      await friendly.flushWebhooks();
      // (Two fakes number their conversations alike: find ours by our id.)
      const createdHook = hooks('convo.created').find((h) => adapter.parseWebhook(h).events[0]!.hubConversationId === op.conversationId)!;
      const event = adapter.parseWebhook(createdHook).events[0]!;
      expect(event).toMatchObject({ kind: 'conversation.created', hubConversationId: op.conversationId });
      expect(event).not.toHaveProperty('byHub');
      expect(created.threadIds.length).toBeGreaterThan(0);
      expect(event.threadIds).toEqual(created.threadIds);
    } finally {
      await friendly.close();
    }
  });

  it('a webhook answered with an error is retried until it is accepted; a duplicate has the same delivery id', async () => {
    const { adapter } = adapterFor(fake, store);
    const started = await fake.customerWrites({ email: 'retry@example.com', subject: 'retry', text: 'please' });
    await fake.flushWebhooks();
    answer = 503;
    setTimeout(() => (answer = 200), 150);
    await fake.customerReplies(started.conversationId, 'again');
    await fake.flushWebhooks();
    const delivery = fake.webhookDeliveries().at(-1)!;
    expect(delivery.attempts.at(-1)).toBe(200);
    expect(delivery.attempts.filter((s) => s === 503).length).toBeGreaterThanOrEqual(1);
    fake.setFaults({ webhookDuplicateRate: 1 });
    await fake.customerReplies(started.conversationId, 'and again');
    fake.setFaults({ webhookDuplicateRate: 0 });
    await fake.flushWebhooks();
    const copies = await waitFor(() => {
      const list = hooks('convo.customer.reply.created').filter((h) => h.rawBody.toString().includes('and again'));
      return list.length === 2 && list;
    }, 5000, 'two copies');
    expect(adapter.parseWebhook(copies[0]!).deliveryId).toBe(adapter.parseWebhook(copies[1]!).deliveryId);
  });
});
