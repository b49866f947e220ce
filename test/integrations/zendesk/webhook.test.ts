import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import { HubError } from '../../../src/errors.js';
import { parseZendeskWebhook, verifyZendeskWebhook } from '../../../integrations/zendesk/webhook.js';
import { signZendeskWebhook } from '../../fakes/zendesk/index.js';
import { createOp, startHarness, testStore, type Harness } from './support.js';

const secret = 'dGhlIHNpZ25pbmcgc2VjcmV0';

function signed(body: string, at: Date = new Date(), key = secret): RawRequest {
  const timestamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    rawBody: Buffer.from(body),
    headers: { 'x-zendesk-webhook-signature': signZendeskWebhook(key, timestamp, body), 'x-zendesk-webhook-signature-timestamp': timestamp },
    url: '/webhooks/zendesk',
  };
}

const commentPayload = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'zen:event-type:ticket.comment_added',
    account_id: 1,
    id: 'd4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52',
    time: '2025-01-08T14:25:30.123456789Z',
    zendesk_event_version: '2022-11-06',
    subject: 'zen:ticket:5158',
    detail: { id: '5158', external_id: 'conv-1', status: 'OPEN', requester_id: '20', actor_id: '30' },
    event: { comment: { id: '99', body: 'We are on it', is_public: true, author: { id: '30', is_staff: true, name: 'Ana' } } },
    ...over,
  });

describe('Zendesk webhook signatures (base64 HMAC-SHA256 over timestamp + body, 5-minute window)', () => {
  it('accepts a correctly signed delivery', () => {
    expect(verifyZendeskWebhook(secret, signed(commentPayload()))).toEqual({ ok: true });
  });

  it('rejects a wrong secret, a tampered body, and missing headers', () => {
    expect(verifyZendeskWebhook(secret, signed(commentPayload(), new Date(), 'another-secret'))).toEqual({ ok: false, reason: 'signature does not match' });
    const good = signed(commentPayload());
    expect(verifyZendeskWebhook(secret, { ...good, rawBody: Buffer.from(commentPayload().replace('We are on it', 'We are not on it')) }).ok).toBe(false);
    const { ['x-zendesk-webhook-signature']: _s, ...noSignature } = good.headers;
    expect(verifyZendeskWebhook(secret, { ...good, headers: noSignature })).toMatchObject({ ok: false, reason: expect.stringContaining('X-Zendesk-Webhook-Signature') });
    const { ['x-zendesk-webhook-signature-timestamp']: _t, ...noTimestamp } = good.headers;
    expect(verifyZendeskWebhook(secret, { ...good, headers: noTimestamp })).toMatchObject({ ok: false, reason: expect.stringContaining('Timestamp') });
    expect(verifyZendeskWebhook(secret, { ...good, headers: { ...good.headers, 'x-zendesk-webhook-signature': 'not base64 at all!' } }).ok).toBe(false);
  });

  it('rejects a stale or future timestamp even with a valid signature (replays)', () => {
    const sixMinutes = 6 * 60 * 1000;
    expect(verifyZendeskWebhook(secret, signed(commentPayload(), new Date(Date.now() - sixMinutes)))).toMatchObject({ ok: false, reason: expect.stringContaining('old') });
    expect(verifyZendeskWebhook(secret, signed(commentPayload(), new Date(Date.now() + sixMinutes)))).toMatchObject({ ok: false, reason: expect.stringContaining('future') });
    expect(verifyZendeskWebhook(secret, signed(commentPayload(), new Date(Date.now() - 4 * 60 * 1000))).ok).toBe(true);
  });
});

describe('Zendesk webhook payloads → canonical events', () => {
  const parse = (body: string, apiUserId: number | null = null) => parseZendeskWebhook({ rawBody: Buffer.from(body), headers: {}, url: '/' }, apiUserId);

  it('a public staff comment is an agent reply naming its comment; the event id dedupes redeliveries', () => {
    expect(parse(commentPayload())).toEqual({
      deliveryId: 'd4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52',
      // The comment's id lets the hub skip the read when the comment is one it already knows.
      events: [{ kind: 'agent.replied', externalId: '5158', hubConversationId: 'conv-1', threadIds: ['99'] }],
    });
  });

  it("the requester's comment is a customer reply; a private note is neither", () => {
    const byRequester = commentPayload({ event: { comment: { id: '1', body: 'x', is_public: true, author: { id: '20', is_staff: false, name: 'C' } } } });
    expect(parse(byRequester).events[0]!.kind).toBe('customer.replied');
    const note = commentPayload({ event: { comment: { id: '1', body: 'x', is_public: false, author: { id: '30', is_staff: true, name: 'A' } } } });
    expect(parse(note).events[0]!.kind).toBe('other');
  });

  it('status changes map Zendesk statuses to ours; created tickets without external_id are not ours', () => {
    const solved = commentPayload({ type: 'zen:event-type:ticket.status_changed', event: { previous: 'OPEN', current: 'SOLVED' } });
    expect(parse(solved).events).toEqual([{ kind: 'status.changed', externalId: '5158', hubConversationId: 'conv-1', status: 'closed' }]);
    const hold = commentPayload({ type: 'zen:event-type:ticket.status_changed', event: { previous: 'OPEN', current: 'HOLD' } });
    expect(parse(hold).events[0]!.status).toBe('pending');
    const created = commentPayload({ type: 'zen:event-type:ticket.created', detail: { id: 7, external_id: null, status: 'NEW' }, event: {} });
    expect(parse(created).events).toEqual([{ kind: 'conversation.created', externalId: '7', hubConversationId: null }]);
  });

  it("marks the hub's own writes (actor is the hub's API user) once that user is known", () => {
    expect(parse(commentPayload(), 30).events[0]).toMatchObject({ byHub: true });
    expect(parse(commentPayload(), 31).events[0]!.byHub).toBeUndefined();
  });

  it('non-ticket events are acknowledged with nothing to do', () => {
    const user = JSON.stringify({ type: 'zen:event-type:user.active_changed', id: 'u-1', detail: { id: '6596848315901' }, event: { current: false } });
    expect(parse(user)).toEqual({ deliveryId: 'u-1', events: [] });
  });

  it('malformed bodies are a 400 HubError, not a crash', () => {
    for (const body of ['not json', '{}', JSON.stringify({ type: 'zen:event-type:ticket.created', id: 'x' }), commentPayload({ event: {} }), commentPayload({ detail: { id: 'abc' } })]) {
      let error: unknown;
      try {
        parse(body);
      } catch (e) {
        error = e;
      }
      expect(error, body).toBeInstanceOf(HubError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_webhook' });
    }
  });
});

describe('webhooks the fake Zendesk sends', () => {
  let db: Awaited<ReturnType<typeof testStore>>;
  let h: Harness;
  let server: Server;
  const received: RawRequest[] = [];
  let status = 200;

  beforeAll(async () => {
    db = await testStore();
    h = await startHarness(db.store);
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ rawBody: Buffer.concat(chunks), headers: req.headers as IncomingHttpHeaders, url: req.url ?? '/' });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    h.fake.setWebhookTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/zendesk`);
  });
  afterAll(async () => {
    await h?.close();
    await new Promise<void>((r) => server?.close(() => r()));
    await db?.close();
  });
  beforeEach(() => {
    received.length = 0;
    status = 200;
    h.fake.setFaults({ webhookDuplicateRate: 0, webhookDropRate: 0 });
  });

  const events = () => received.map((r) => ({ verified: h.zendesk.verifyWebhook(r), ...h.zendesk.parseWebhook(r) }));

  it("an agent's reply in Zendesk arrives signed and parses to agent.replied for our conversation; our own create is marked byHub", async () => {
    const conversationId = randomUUID();
    const outcome = await h.zendesk.write(createOp(conversationId, ['webhook please']));
    await h.fake.agentReply(outcome.externalId!, 'An agent answers');
    await h.fake.flushWebhooks();
    const all = events();
    expect(all.every((e) => e.verified.ok)).toBe(true);
    expect(received[0]!.headers).toMatchObject({ 'x-zendesk-webhook-id': expect.any(String), 'x-zendesk-webhook-invocation-id': expect.any(String), 'x-zendesk-account-id': expect.any(String) });
    const kinds = all.flatMap((e) => e.events.map((ev) => [ev.kind, ev.externalId, ev.hubConversationId, ev.byHub ?? false]));
    expect(kinds).toEqual([
      ['conversation.created', outcome.externalId, conversationId, true],
      ['customer.replied', outcome.externalId, conversationId, true],
      ['agent.replied', outcome.externalId, conversationId, false],
    ]);
  });

  it('a delivery the receiver fails is retried with the same event id; a duplicate repeats the event id', async () => {
    status = 503;
    const started = await h.fake.customerWrites({ email: 'retry@example.com', subject: 'Retry', text: 'again' });
    setTimeout(() => (status = 200), 100);
    await h.fake.flushWebhooks();
    const created = events().filter((e) => e.events[0]?.kind === 'conversation.created' && e.events[0].externalId === started.conversationId);
    expect(created.length).toBeGreaterThan(1);
    expect(new Set(created.map((e) => e.deliveryId)).size).toBe(1);
    expect(created.every((e) => e.verified.ok)).toBe(true);

    received.length = 0;
    h.fake.setFaults({ webhookDuplicateRate: 1 });
    await h.fake.setStatus(started.conversationId, 'pending');
    await h.fake.flushWebhooks();
    const changes = events().filter((e) => e.events[0]?.kind === 'status.changed');
    expect(changes).toHaveLength(2);
    expect(changes[0]!.deliveryId).toBe(changes[1]!.deliveryId);
    expect(changes[0]!.events[0]!.status).toBe('pending');
  });
});
