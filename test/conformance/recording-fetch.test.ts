import { describe, expect, it } from 'vitest';
import { recordingFetch } from './recording-fetch.js';

describe('recording fetch', () => {
  it('records a JSON exchange and passes request and answer through unchanged', async () => {
    const seen: { url: string; body: unknown }[] = [];
    const inner = (async (input: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(input), body: init?.body });
      return new Response(JSON.stringify({ ticket: { id: 1 } }), { status: 201, headers: { 'content-type': 'application/json; charset=utf-8', 'x-rate-limit-remaining': '99' } });
    }) as typeof fetch;
    const { fetch, exchanges } = recordingFetch(inner);
    const body = JSON.stringify({ ticket: { subject: 'Hi' } });
    const response = await fetch(new URL('http://vendor.test/api/v2/tickets?include=users&page[size]=2'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    expect(await response.json()).toEqual({ ticket: { id: 1 } }); // the caller's answer is unread
    expect(seen).toEqual([{ url: 'http://vendor.test/api/v2/tickets?include=users&page[size]=2', body }]);
    expect(exchanges).toEqual([
      {
        method: 'POST',
        url: 'http://vendor.test/api/v2/tickets?include=users&page[size]=2',
        path: '/api/v2/tickets',
        query: [['include', 'users'], ['page[size]', '2']],
        request: { contentType: 'application/json', bytes: body.length, json: { ticket: { subject: 'Hi' } } },
        response: { status: 201, headers: expect.objectContaining({ 'x-rate-limit-remaining': '99' }), contentType: 'application/json; charset=utf-8', json: { ticket: { id: 1 } } },
      },
    ]);
  });

  it('keeps only the size of a binary upload, and records a request that got no answer', async () => {
    let calls = 0;
    const inner = (async () => {
      if (++calls === 2) throw new TypeError('fetch failed');
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const { fetch, exchanges } = recordingFetch(inner);
    await fetch('http://vendor.test/api/v2/uploads?filename=a.png', { method: 'POST', headers: { 'content-type': 'image/png' }, body: Buffer.alloc(300) });
    await expect(fetch('http://vendor.test/api/v2/tickets/1', { method: 'PUT' })).rejects.toThrow('fetch failed');
    expect(exchanges[0]).toMatchObject({ request: { contentType: 'image/png', bytes: 300 }, response: { status: 204 } });
    expect(exchanges[0]!.request).not.toHaveProperty('json');
    expect(exchanges[1]).toMatchObject({ method: 'PUT', response: null, error: 'fetch failed' });
  });
});
