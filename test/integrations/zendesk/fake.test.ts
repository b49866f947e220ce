import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeZendesk, type FakeZendesk } from '../../fakes/zendesk/index.js';

/** The answer fields these checks read. */
interface ApiBody {
  error?: string;
  user?: { id: number };
  ticket: { id: number };
  tickets: unknown[];
  results: unknown[];
  audit: { events: { id: number; type: string }[] };
  comments: { id: number }[];
  users: unknown[];
  meta: { has_more: boolean; after_cursor: string };
}

const commentEventId = (body: ApiBody) => body.audit.events.find((e) => e.type === 'Comment')!.id;

/** The fake speaks the Support API as the docs describe it: tests of the hub are only as good as this. */
describe('fake Zendesk: API behaviour', () => {
  let fake: FakeZendesk;
  let auth: string;

  beforeAll(async () => {
    fake = await startFakeZendesk({ maxUploadBytes: 1024 });
    auth = `Basic ${Buffer.from(`${fake.env['ZENDESK_EMAIL']}/token:${fake.env['ZENDESK_API_TOKEN']}`).toString('base64')}`;
  });
  afterAll(async () => {
    await fake?.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as ApiBody };
  };
  const newTicket = (externalId: string) => ({ ticket: { subject: 'S', comment: { body: 'first' }, requester: { name: 'R', email: 'r@example.com' }, external_id: externalId } });

  it('refuses bad credentials with Zendesk’s 401 body; accepts API token and OAuth bearer', async () => {
    const bad = await fetch(`${fake.url}/api/v2/users/me.json`, { headers: { authorization: 'Basic eDp5' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: "Couldn't authenticate you" });
    expect((await call('GET', '/api/v2/users/me')).body.user).toMatchObject({ id: fake.apiUserId, role: 'admin' });
    const bearer = await call('GET', '/api/v2/users/me.json', undefined, { authorization: `Bearer ${fake.oauthToken}` });
    expect(bearer.status).toBe(200);
  });

  it('Idempotency-Key: the same payload gets the original answer (lookup hit), another payload is refused', async () => {
    const first = await call('POST', '/api/v2/tickets', newTicket('idem-1'), { 'Idempotency-Key': 'k-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('x-idempotency-lookup')).toBe('miss');
    const again = await call('POST', '/api/v2/tickets', newTicket('idem-1'), { 'Idempotency-Key': 'k-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('x-idempotency-lookup')).toBe('hit');
    expect(again.body.ticket.id).toBe(first.body.ticket.id);
    const other = await call('POST', '/api/v2/tickets', newTicket('idem-2'), { 'Idempotency-Key': 'k-1' });
    expect(other.status).toBe(400);
    expect(other.body.error).toBe('IdempotentRequestError');
    expect(fake.conversations().filter((c) => c.hubConversationId?.startsWith('idem-'))).toHaveLength(1);
  });

  it('404 and 422 in Zendesk’s shapes; closed tickets refuse updates', async () => {
    expect(await call('GET', '/api/v2/tickets/424242')).toMatchObject({ status: 404, body: { error: 'RecordNotFound', description: 'Not found' } });
    const invalid = await call('POST', '/api/v2/tickets', { ticket: { comment: { body: 'x' }, priority: 'asap' } });
    expect(invalid).toMatchObject({ status: 422, body: { error: 'RecordInvalid', details: { priority: [expect.objectContaining({ description: expect.any(String) })] } } });
    expect((await call('POST', '/api/v2/tickets', { ticket: { comment: { body: '  ' } } })).status).toBe(422);
    expect((await call('POST', '/api/v2/tickets', '{nope')).status).toBe(400);
    const created = await call('POST', '/api/v2/tickets', newTicket('closing'));
    fake.ticket(String(created.body.ticket.id))!.status = 'closed';
    const update = await call('PUT', `/api/v2/tickets/${created.body.ticket.id}`, { ticket: { comment: { body: 'late' } } });
    expect(update).toMatchObject({ status: 422, body: { details: { status: [{ description: 'Status: closed prevents ticket update' }] } } });
  });

  it('the update audit names the comment; comments page by cursor, oldest first, with sideloaded users', async () => {
    const created = await call('POST', '/api/v2/tickets', newTicket('paging'));
    const id = created.body.ticket.id;
    // Create Ticket answers `{ticket}` (TicketResponse): the first comment's id is read back.
    const ids: number[] = [(await call('GET', `/api/v2/tickets/${id}/comments`)).body.comments[0]!.id];
    for (let i = 0; i < 4; i++) {
      const updated = await call('PUT', `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: `c${i}`, public: i % 2 === 0 } } });
      ids.push(commentEventId(updated.body));
    }
    const seen: number[] = [];
    let after = '';
    for (let page = 0; page < 10; page++) {
      const result = await call('GET', `/api/v2/tickets/${id}/comments?page[size]=2&include=users${after ? `&page[after]=${after}` : ''}`);
      seen.push(...result.body.comments.map((c) => c.id));
      expect(result.body.users.length).toBeGreaterThan(0);
      if (!result.body.meta.has_more) break;
      after = result.body.meta.after_cursor;
    }
    expect(seen).toEqual(ids);
  });

  it('list by external_id lags behind writes; show ticket does not', async () => {
    fake.setFaults({ searchLagMs: 60_000 });
    try {
      const created = await call('POST', '/api/v2/tickets', newTicket('laggy'));
      expect((await call('GET', '/api/v2/tickets?external_id=laggy')).body.tickets).toEqual([]);
      expect((await call('GET', `/api/v2/search.json?query=${encodeURIComponent('type:ticket external_id:laggy')}`)).body.results).toEqual([]);
      expect((await call('GET', `/api/v2/tickets/${created.body.ticket.id}`)).status).toBe(200);
    } finally {
      fake.setFaults({ searchLagMs: 0 });
    }
    expect((await call('GET', '/api/v2/tickets?external_id=laggy')).body.tickets).toHaveLength(1);
  });

  it('uploads over the size limit are refused', async () => {
    const ok = await fetch(`${fake.url}/api/v2/uploads?filename=a.txt`, { method: 'POST', headers: { authorization: auth, 'content-type': 'text/plain' }, body: 'hello' });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { upload: { token: string } }).upload.token).toMatch(/\w+/);
    const big = await fetch(`${fake.url}/api/v2/uploads?filename=b.bin`, { method: 'POST', headers: { authorization: auth }, body: 'x'.repeat(2048) });
    expect(big.status).toBe(413);
  });

  it('the account limit answers 429 with Retry-After and X-Rate-Limit headers', async () => {
    fake.setRateLimit({ limit: 2, windowMs: 1000 });
    try {
      const first = await call('GET', '/api/v2/users/me');
      expect(first.headers.get('x-rate-limit')).toBe('2');
      expect(first.headers.get('x-rate-limit-remaining')).toBe('1');
      await call('GET', '/api/v2/users/me');
      const limited = await call('GET', '/api/v2/users/me');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      fake.setRateLimit(null);
    }
  });
});
