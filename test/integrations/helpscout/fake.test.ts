import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeHelpScout, type FakeHelpScout } from '../../fakes/helpscout/index.js';
import { rawToken } from './support.js';

/**
 * The fake Help Scout itself: the hub's tests are only as good as its fidelity to the documented
 * API (auth, validation envelope, limits, list lag, consistent thread reads).
 */
let fake: FakeHelpScout | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  receiver = undefined;
});

/** Points the fake's webhooks at a local endpoint that answers 200; bodies are read from webhookDeliveries(). */
async function receiveWebhooks(f: FakeHelpScout): Promise<void> {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  f.setWebhookTarget(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/helpscout`);
}

const webhookBodies = (f: FakeHelpScout, event: string) =>
  f.webhookDeliveries().filter((d) => d.event === event).map((d) => JSON.parse(d.body) as Record<string, unknown>);

async function call(f: FakeHelpScout, token: string | null, method: string, path: string, body?: unknown) {
  const response = await fetch(`${f.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

const conversationBody = (mailboxId: number, extra: Record<string, unknown> = {}) => ({
  subject: 'Help',
  customer: { email: 'bear@acme.com', firstName: 'Vernon', lastName: 'Bear' },
  mailboxId,
  type: 'email',
  status: 'active',
  threads: [{ type: 'customer', customer: { email: 'bear@acme.com' }, text: 'Hello, Help Scout.' }],
  ...extra,
});

describe('fake Help Scout: authentication', () => {
  it('refuses API calls without a valid bearer token, with the error envelope, and issues tokens for client credentials (form or JSON)', async () => {
    fake = await startFakeHelpScout();
    const anonymous = await call(fake, null, 'GET', '/users/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toHaveProperty('logRef');
    const form = await fetch(`${fake.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.env['HELPSCOUT_CLIENT_SECRET']! }).toString(),
    });
    const issued = (await form.json()) as { token_type: string; access_token: string; expires_in: number };
    expect(issued).toMatchObject({ token_type: 'bearer', expires_in: 7200 });
    expect((await call(fake, issued.access_token, 'GET', '/users/me')).status).toBe(200);
    const wrong = await fetch(`${fake.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: 'nope' }),
    });
    expect(wrong.status).toBe(401);
  });

  it('tokens expire, and revoking the app fails both issued tokens and new ones until restored', async () => {
    fake = await startFakeHelpScout({ tokenExpiresIn: 60 });
    const token = await rawToken(fake);
    fake.advanceTime(61_000);
    expect((await call(fake, token, 'GET', '/users/me')).status).toBe(401);
    const fresh = await rawToken(fake);
    fake.revokeCredentials();
    expect((await call(fake, fresh, 'GET', '/users/me')).status).toBe(401);
    const refused = await fetch(`${fake.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.env['HELPSCOUT_CLIENT_SECRET'] }),
    });
    expect(refused.status).toBe(401);
    fake.restoreCredentials();
    expect((await call(fake, fresh, 'GET', '/users/me')).status).toBe(200);
  });
});

describe('fake Help Scout: requests', () => {
  it('validates like the API: 400 with _embedded.errors naming the field, 404 for unknown ids, 413 over the size limits', async () => {
    fake = await startFakeHelpScout();
    const token = await rawToken(fake);
    const mailboxId = Number(fake.env['HELPSCOUT_MAILBOX_ID']);
    const missing = await call(fake, token, 'POST', '/conversations', { ...conversationBody(mailboxId), subject: '' });
    expect(missing.status).toBe(400);
    expect(missing.body!['_embedded']['errors']).toEqual([expect.objectContaining({ path: 'subject', source: 'JSON' })]);
    const badDate = await call(fake, token, 'POST', '/conversations', conversationBody(mailboxId, { imported: true, threads: [{ type: 'customer', text: 'x', createdAt: '2024-01-01T10:00:00.123Z' }] }));
    expect(badDate.status).toBe(400);
    expect((await call(fake, token, 'GET', '/conversations/424242')).status).toBe(404);
    const big = Buffer.alloc(10 * 1024 * 1024 + 1).toString('base64');
    const tooBig = await call(fake, token, 'POST', '/conversations', conversationBody(mailboxId, { threads: [{ type: 'customer', text: 'x', attachments: [{ fileName: 'a.bin', mimeType: 'application/octet-stream', data: big }] }] }));
    expect(tooBig.status).toBe(413);
    expect(fake.conversations()).toHaveLength(0);
  });

  it('answers a create with 201, Resource-ID and Location and an empty body; lists lag behind, thread reads do not', async () => {
    fake = await startFakeHelpScout({ faults: { searchLagMs: 30_000 } });
    const token = await rawToken(fake);
    const created = await call(fake, token, 'POST', '/conversations', conversationBody(Number(fake.env['HELPSCOUT_MAILBOX_ID']), { tags: ['VIP', 'hub-chat'] }));
    expect(created.status).toBe(201);
    expect(created.body).toBeNull();
    const id = created.headers.get('resource-id')!;
    expect(created.headers.get('location')).toBe(`${fake.url}/conversations/${id}`);
    // An empty page has no _embedded at all (ConversationPayloads.getConversations-empty.json).
    const lagging = await call(fake, token, 'GET', '/conversations?status=all&tag=vip');
    expect(lagging.body).not.toHaveProperty('_embedded');
    expect(lagging.body!['page']).toMatchObject({ totalElements: 0, totalPages: 0 });
    const threads = await call(fake, token, 'GET', `/conversations/${id}/threads`);
    expect(threads.body!['_embedded']['threads']).toHaveLength(1);
    expect(threads.body!['_embedded']['threads'][0]).toMatchObject({ type: 'customer', source: { type: 'email', via: 'customer' }, createdBy: { type: 'customer' } });
    fake.advanceTime(31_000);
    const listed = await call(fake, token, 'GET', '/conversations?status=all&tag=vip');
    expect(listed.body!['_embedded']['conversations'].map((c: { id: number }) => String(c.id))).toEqual([id]);
    expect(listed.body!['page']).toMatchObject({ number: 1, totalElements: 1, totalPages: 1 });
    // Help Scout lowercases tags.
    expect(listed.body!['_embedded']['conversations'][0]['tags'].map((t: { tag: string }) => t.tag)).toEqual(['vip', 'hub-chat']);
  });

  it('counts writes as 2 units and reads as 1, sends the rate headers, and answers 429 with Retry-After when the window is spent', async () => {
    fake = await startFakeHelpScout({ rateLimit: { limit: 5, windowMs: 60_000 } });
    const token = await rawToken(fake);
    const read = await call(fake, token, 'GET', '/users/me');
    expect(read.headers.get('x-ratelimit-limit-minute')).toBe('5');
    expect(read.headers.get('x-ratelimit-remaining-minute')).toBe('4');
    const write = await call(fake, token, 'PUT', '/conversations/1/tags', { tags: [] });
    expect(write.status).toBe(404);
    expect(write.headers.get('x-ratelimit-remaining-minute')).toBe('2');
    await call(fake, token, 'GET', '/users/me');
    await call(fake, token, 'GET', '/users/me');
    const refused = await call(fake, token, 'GET', '/users/me');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('x-ratelimit-retry-after'))).toBeGreaterThan(0);
    // Only a message (ErrorPayloads.rateLimitExceededError.json), not the validation envelope.
    expect(refused.body).toEqual({ message: 'API rate limit exceeded' });
    expect(fake.stats()).toMatchObject({ rateUnits: 5, maxUnitsInWindow: 5 });
    expect(fake.stats().byStatus[429]).toBe(1);
  });

  it('a lost response still commits the write, and is counted under status 0', async () => {
    fake = await startFakeHelpScout({ faults: { lostResponseRate: 1 } });
    const token = await rawToken(fake);
    await expect(call(fake, token, 'POST', '/conversations', conversationBody(Number(fake.env['HELPSCOUT_MAILBOX_ID'])))).rejects.toThrow();
    expect(fake.conversations()).toHaveLength(1);
    expect(fake.stats().byStatus[0]).toBe(1);
  });
});

describe('fake Help Scout: shapes from the official payloads', () => {
  it('GET /users/me carries every field of UserPayloads.getUser.json', async () => {
    fake = await startFakeHelpScout();
    const me = await call(fake, await rawToken(fake), 'GET', '/users/me');
    expect(Object.keys(me.body!).sort()).toEqual(
      ['_links', 'alternateEmails', 'createdAt', 'email', 'firstName', 'id', 'jobTitle', 'lastName', 'phone', 'photoUrl', 'role', 'timezone', 'type', 'updatedAt'],
    );
    expect(me.body).toMatchObject({ id: fake.apiUserId, type: 'user', alternateEmails: [] });
  });

  it('an agent reply posted to …/reply is stored and listed as a `message` thread', async () => {
    fake = await startFakeHelpScout();
    const token = await rawToken(fake);
    const created = await call(fake, token, 'POST', '/conversations', conversationBody(Number(fake.env['HELPSCOUT_MAILBOX_ID'])));
    const id = created.headers.get('resource-id')!;
    const reply = await call(fake, token, 'POST', `/conversations/${id}/reply`, { customer: { email: 'bear@acme.com' }, text: 'On it' });
    expect(reply.status).toBe(201);
    const threads = await call(fake, token, 'GET', `/conversations/${id}/threads`);
    expect(threads.body!['_embedded']['threads'][0]).toMatchObject({ id: Number(reply.headers.get('resource-id')), type: 'message', to: ['bear@acme.com'] });
    expect(fake.raw(id)!.threads.map((t) => t.type)).toEqual(['customer', 'message']);
  });
});

describe('fake Help Scout: webhook bodies (the webhook fixture shape, not the REST one)', () => {
  it("with webhookThreads 'top-level' a body has the fixture's flat fields, string tags and a top-level array of the newest threads, newest first", async () => {
    fake = await startFakeHelpScout({ webhookThreads: 'top-level' });
    await receiveWebhooks(fake);
    const { conversationId } = await fake.customerWrites({ email: 'casey@example.com', name: 'Casey Lockwood', subject: 'Demo?', text: 'Are you there?' });
    await fake.agentReply(conversationId, 'Yes');
    await fake.agentNote(conversationId, 'Wants a demo');
    await fake.customerReplies(conversationId, 'Great, when?');
    await call(fake, await rawToken(fake), 'PUT', `/conversations/${conversationId}/tags`, { tags: ['New-Customer'] });
    await fake.flushWebhooks();
    const [body] = webhookBodies(fake, 'convo.tags');
    expect(body).toMatchObject({
      id: Number(conversationId),
      isDraft: false,
      owner: null,
      mailbox: { id: Number(fake.env['HELPSCOUT_MAILBOX_ID']), name: 'Support' },
      customer: { firstName: 'Casey', lastName: 'Lockwood', email: 'casey@example.com', type: 'customer' },
      createdBy: { firstName: 'Casey', type: 'customer' },
      threadCount: 4,
      closedAt: null,
      tags: ['new-customer'],
      customFields: [],
    });
    for (const key of ['_embedded', '_links', 'state', 'mailboxId', 'primaryCustomer']) expect(body).not.toHaveProperty(key);
    const threads = body!['threads'] as Record<string, unknown>[];
    // At most the newest WEBHOOK_THREAD_LIMIT (3): the first customer thread is left out.
    expect(threads.map((t) => [t['type'], (t['source'] as { type: string }).type])).toEqual([
      ['customer', 'email'],
      ['note', 'web'],
      ['message', 'web'],
    ]);
    expect(threads[2]).toMatchObject({ assignedTo: null, actionType: null, fromMailbox: null, state: 'published', createdBy: { type: 'user', firstName: 'Alex' }, attachments: [] });
  });

  it("with the default webhookThreads 'none' a body has no threads, only threadCount", async () => {
    fake = await startFakeHelpScout();
    await receiveWebhooks(fake);
    const { conversationId } = await fake.customerWrites({ email: 'casey@example.com', subject: 'Demo?', text: 'Are you there?' });
    await fake.customerReplies(conversationId, 'Hello?');
    await fake.flushWebhooks();
    const bodies = [...webhookBodies(fake, 'convo.created'), ...webhookBodies(fake, 'convo.customer.reply.created')];
    expect(bodies.map((b) => b['threadCount'])).toEqual([1, 2]);
    for (const body of bodies) {
      expect(body).not.toHaveProperty('threads');
      expect(body).not.toHaveProperty('_embedded');
    }
  });
});

describe('fake Help Scout: readings where the docs are silent', () => {
  it("apiThreadSource sets the source of threads written through the API (default 'email'); UI threads stay 'web'", async () => {
    for (const [option, expected] of [[undefined, 'email'], ['api', 'api']] as const) {
      fake = await startFakeHelpScout(option ? { apiThreadSource: option } : {});
      const token = await rawToken(fake);
      const id = (await call(fake, token, 'POST', '/conversations', conversationBody(Number(fake.env['HELPSCOUT_MAILBOX_ID'])))).headers.get('resource-id')!;
      await call(fake, token, 'POST', `/conversations/${id}/notes`, { text: 'Device: Pixel 8' });
      await fake.agentReply(id, 'typed in the UI');
      expect(fake.raw(id)!.threads.map((t) => [t.type, t.source.type])).toEqual([
        ['customer', expected],
        ['note', expected],
        ['message', 'web'],
      ]);
      await fake.close();
      fake = undefined;
    }
  });

  it('by default an agent reply typed in the UI on an imported email conversation is mailed; importedSilencesAgentReplies: true keeps it (and API replies) silent', async () => {
    const importedEmail = (mailboxId: number) => conversationBody(mailboxId, { imported: true });
    fake = await startFakeHelpScout();
    let token = await rawToken(fake);
    let id = (await call(fake, token, 'POST', '/conversations', importedEmail(Number(fake.env['HELPSCOUT_MAILBOX_ID'])))).headers.get('resource-id')!;
    expect(fake.notifications()).toEqual([]);
    const { threadId } = await fake.agentReply(id, 'Help Scout mails this');
    expect(fake.notifications().map((n) => [n.to, n.kind, n.threadId])).toEqual([['bear@acme.com', 'agent-reply', threadId]]);
    await fake.close();

    fake = await startFakeHelpScout({ importedSilencesAgentReplies: true });
    token = await rawToken(fake);
    id = (await call(fake, token, 'POST', '/conversations', importedEmail(Number(fake.env['HELPSCOUT_MAILBOX_ID'])))).headers.get('resource-id')!;
    await fake.agentReply(id, 'not mailed under this reading');
    await call(fake, token, 'POST', `/conversations/${id}/reply`, { customer: { email: 'bear@acme.com' }, text: 'nor this' });
    expect(fake.notifications()).toEqual([]);
  });

  it('a notification to an address under .invalid (RFC 2606) is recorded with that address, so filtering by a real address does not see it', async () => {
    fake = await startFakeHelpScout();
    const token = await rawToken(fake);
    const visitor = 'visitor-42@chat.invalid';
    const body = conversationBody(Number(fake.env['HELPSCOUT_MAILBOX_ID']), { type: 'chat', customer: { email: visitor }, threads: [{ type: 'chat', text: 'hi' }] });
    const id = (await call(fake, token, 'POST', '/conversations', body)).headers.get('resource-id')!;
    await fake.agentReply(id, 'Hello visitor');
    expect(fake.notifications().map((n) => [n.to, n.kind])).toEqual([[visitor, 'agent-reply']]);
    expect(fake.notifications().filter((n) => n.to === 'bear@acme.com')).toEqual([]);
  });
});
