import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bucketShape } from '../../../src/vendors/rate-budget.js';
import { isVendorError, type VendorError } from '../../../src/vendors/error.js';
import type { Store } from '../../../src/store/store.js';
import { startFakeHelpScout, type FakeHelpScout } from '../../fakes/helpscout/index.js';
import { adapterFor, openTestStore, rawToken } from './support.js';

/**
 * The Help Scout client: OAuth2 client-credentials tokens (cached, refreshed, one request at a
 * time), revoked credentials reported as `auth`, and the account's rate limit honoured.
 */
let db: Awaited<ReturnType<typeof openTestStore>>;
let store: Store;
let fake: FakeHelpScout | undefined;
beforeAll(async () => {
  db = await openTestStore();
  store = db.store;
});
afterAll(async () => db?.close());
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const failure = async (promise: Promise<unknown>): Promise<VendorError> => {
  try {
    await promise;
  } catch (error) {
    if (isVendorError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
};

describe('Help Scout access tokens', () => {
  it('are fetched once and reused by later calls', async () => {
    fake = await startFakeHelpScout();
    const { adapter, calls } = adapterFor(fake, store);
    for (let i = 0; i < 4; i++) expect(await adapter.conversation('1')).toBeNull();
    expect(fake.tokensIssued()).toBe(1);
    expect(calls.filter((c) => c.path === '/oauth2/token')).toHaveLength(1);
  });

  it('concurrent first calls share one token request', async () => {
    fake = await startFakeHelpScout();
    const { adapter } = adapterFor(fake, store);
    await Promise.all(Array.from({ length: 8 }, () => adapter.conversation('1')));
    expect(fake.tokensIssued()).toBe(1);
  });

  it('a token the vendor already expired is replaced once, shared by the calls that hit the 401, and the calls succeed', async () => {
    fake = await startFakeHelpScout();
    const { adapter } = adapterFor(fake, store);
    expect((await adapter.checkConnection()).ok).toBe(true);
    // The vendor's clock runs ahead of ours: it expires the token before we planned to refresh.
    fake.advanceTime(7_300_000);
    const checks = await Promise.all(Array.from({ length: 5 }, () => adapter.checkConnection()));
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(fake.tokensIssued()).toBe(2);
    expect(fake.requests().filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
  });

  it('are refreshed shortly before they expire, without waiting for a 401', async () => {
    fake = await startFakeHelpScout({ tokenExpiresIn: 2 });
    const { adapter } = adapterFor(fake, store);
    expect((await adapter.checkConnection()).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await adapter.checkConnection()).ok).toBe(true);
    expect(fake.tokensIssued()).toBe(2);
    expect(fake.requests().filter((r) => r.status === 401)).toEqual([]);
  });

  it('revoked credentials: one refresh attempt, then VendorError auth (not "unavailable"); restored, calls work again', async () => {
    fake = await startFakeHelpScout();
    const { adapter } = adapterFor(fake, store);
    expect((await adapter.checkConnection()).ok).toBe(true);
    fake.revokeCredentials();
    const error = await failure(adapter.conversation('1'));
    expect(error.kind).toBe('auth');
    expect(error.outcomeUnknown).toBe(false);
    // One API attempt answered 401; the refresh was refused; nothing was retried after that.
    expect(fake.requests().filter((r) => r.status === 401)).toHaveLength(1);
    const check = await adapter.checkConnection();
    expect(check.ok).toBe(false);
    expect(check.hint).toMatch(/HELPSCOUT_CLIENT_ID/);
    fake.restoreCredentials();
    expect((await adapter.checkConnection()).ok).toBe(true);
  });

  it('credentials refused before any token was issued are `auth` too, even for a write', async () => {
    fake = await startFakeHelpScout();
    fake.revokeCredentials();
    const { adapter } = adapterFor(fake, store);
    const error = await failure(adapter.write({ kind: 'note', ref: { conversationId: 'c', externalId: '1', metadata: {} }, key: 'k', text: 'hello' }));
    expect(error.kind).toBe('auth');
    expect(error.outcomeUnknown).toBe(false);
  });
});

describe('Help Scout rate limit', () => {
  it('a hub configured with the account limit never meets a 429 and stays under it in every window', async () => {
    fake = await startFakeHelpScout({ rateLimit: { limit: 12, windowMs: 2000 } });
    const { adapter } = adapterFor(fake, store, { rateLimit: '12/2' });
    await adapter.checkConnection(); // token + first read
    await Promise.all(Array.from({ length: 20 }, () => adapter.conversation('1')));
    const stats = fake.stats();
    expect(stats.byStatus[429] ?? 0).toBe(0);
    expect(stats.rateUnits).toBe(21);
    expect(stats.maxUnitsInWindow).toBeLessThanOrEqual(12);
  });

  it('when another client spent the window: no 429 beyond the first burst: everyone waits out Retry-After, then succeeds', async () => {
    // A window long enough that retrying on a default pause (VendorHttp waits 1 s without a
    // Retry-After) would meet it again: only waiting out the vendor's Retry-After avoids that.
    fake = await startFakeHelpScout({ rateLimit: { limit: 10, windowMs: 6000 } });
    const { adapter } = adapterFor(fake, store, { rateLimit: '10/6' });
    await adapter.checkConnection();
    // Another integration on the account spends the rest of the window (with 4 s or more left in it).
    const token = await rawToken(fake);
    const spend = async () => {
      for (;;) {
        const response = await fetch(`${fake!.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
        await response.body?.cancel();
        if (response.status === 429) return Number(response.headers.get('x-ratelimit-retry-after'));
      }
    };
    for (let left = await spend(); left < 5; left = await spend()) await new Promise((r) => setTimeout(r, left * 1000 + 50));
    fake.resetStats();
    const callers = 5;
    const results = await Promise.all(Array.from({ length: callers }, () => adapter.conversation('1')));
    expect(results).toEqual(Array.from({ length: callers }, () => null));
    const limited = fake.requests().filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    // Only the burst the shared bucket let out before the first 429 meets the spent window: after it
    // every caller waits out Retry-After. Retrying on any shorter schedule would meet it again.
    expect(limited.length).toBeLessThanOrEqual(Math.floor(bucketShape({ limit: 10, windowSeconds: 6 }, 2).capacity));
    expect(fake.requests().filter((r) => r.status === 404)).toHaveLength(callers);
  });
});
