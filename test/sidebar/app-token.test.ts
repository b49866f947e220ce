import { describe, expect, it } from 'vitest';
import { CustomerBindings, mintPageToken, mintPanelToken, readToken, tokenKey } from '../../src/sidebar/app-token.js';

/** The Help Scout app's card token: only the hub can mint it, it expires, and it binds one customer. */
describe('sidebar app card token', () => {
  const key = tokenKey('app-secret-0123456789abcdef');

  it('reads back what a page load minted; a token of another key, a changed payload or an expired one is refused', () => {
    const token = mintPageToken(key, { conversationId: '42', mailboxId: '85' });
    expect(readToken(key, token)).toMatchObject({ ok: true, token: { k: 'page', c: '42', m: '85' } });
    expect(readToken(tokenKey('another-secret-0123456789'), token)).toMatchObject({ ok: false });
    const [version, body, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), c: '43' })).toString('base64url');
    expect(readToken(key, `${version}.${forged}.${mac}`)).toMatchObject({ ok: false, reason: 'card token signature does not match' });
    expect(readToken(key, mintPageToken(key, { conversationId: '42', mailboxId: null }, Date.now() - 11 * 60_000))).toMatchObject({ ok: false, reason: expect.stringContaining('expired') });
    expect(readToken(key, undefined)).toMatchObject({ ok: false });
  });

  it('carries the bound customer into the panel token', () => {
    const page = readToken(key, mintPageToken(key, { conversationId: '42', mailboxId: '85' }));
    if (!page.ok) throw new Error(page.reason);
    const panel = readToken(key, mintPanelToken(key, page.token, { emails: ['jane@example.com'], name: 'Jane' }));
    expect(panel).toMatchObject({ ok: true, token: { k: 'panel', i: page.token.i, c: '42', e: ['jane@example.com'], n: 'Jane' } });
  });

  it('binds a token id to its first customer, forgets expired ones and stays bounded', () => {
    const bindings = new CustomerBindings(3);
    const now = 1_000_000;
    expect(bindings.bind('t1', 'jane', now + 100, now)).toBe(true);
    expect(bindings.bind('t1', 'jane', now + 100, now)).toBe(true);
    expect(bindings.bind('t1', 'mallory', now + 100, now)).toBe(false);
    // Once expired, the id is free (its token is refused before this anyway).
    expect(bindings.bind('t1', 'mallory', now + 300, now + 200)).toBe(true);
    for (const id of ['t2', 't3', 't4', 't5']) expect(bindings.bind(id, 'x', now + 1000, now + 200)).toBe(true);
    // The oldest entries made room: t1 is no longer remembered, t5 is.
    expect(bindings.bind('t1', 'someone', now + 1000, now + 200)).toBe(true);
    expect(bindings.bind('t5', 'y', now + 1000, now + 200)).toBe(false);
  });
});
