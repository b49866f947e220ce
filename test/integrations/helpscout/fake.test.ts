import { afterEach, describe, expect, it } from 'vitest';
import { startFakeHelpScout, type FakeHelpScout } from '../../fakes/helpscout/index.js';
import { rawToken } from './support.js';

/**
 * The fake Help Scout itself: the hub's tests are only as good as its fidelity to the documented
 * API (auth, validation envelope, limits, list lag, consistent thread reads).
 */
let fake: FakeHelpScout | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

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
    expect((await call(fake, token, 'GET', '/conversations?status=all&tag=vip')).body!['_embedded']['conversations']).toEqual([]);
    const threads = await call(fake, token, 'GET', `/conversations/${id}/threads`);
    expect(threads.body!['_embedded']['threads']).toHaveLength(1);
    expect(threads.body!['_embedded']['threads'][0]).toMatchObject({ type: 'customer', source: { type: 'api', via: 'customer' }, createdBy: { type: 'customer' } });
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
