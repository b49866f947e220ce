import { describe, expect, it } from 'vitest';
import type { AccountFacts } from '../../src/capabilities/account-data.js';
import { AccountCache, type Lookup } from '../../src/sidebar/account-cache.js';

/** A lookup the test answers by hand, counting calls. */
function controlledLookup() {
  const pending: { email: string; resolve: (facts: AccountFacts | null) => void; reject: (error: Error) => void }[] = [];
  const lookup: Lookup = (email) => new Promise((resolve, reject) => pending.push({ email, resolve, reject }));
  return { lookup, pending };
}

const facts = (company: string, keys: string[] = []): AccountFacts => ({ source: 'stripe', company, keys });

function cacheAt(clock: { now: number }, overrides: Partial<ConstructorParameters<typeof AccountCache>[0]> = {}) {
  return new AccountCache({ ttlMs: 60_000, staleMs: 3_600_000, maxEntries: 1000, lookupTimeoutMs: 10_000, now: () => clock.now, ...overrides });
}

describe('sidebar account cache', () => {
  it('answers a fresh entry from memory and shares one lookup among 100 concurrent misses', async () => {
    const clock = { now: 1_000_000 };
    const cache = cacheAt(clock);
    const { lookup, pending } = controlledLookup();
    const answers = Array.from({ length: 100 }, () => cache.get('stripe', 'a@example.com', lookup));
    expect(pending).toHaveLength(1);
    pending[0]!.resolve(facts('Acme'));
    for (const answer of await Promise.all(answers)) expect(answer).toEqual({ facts: facts('Acme'), staleSince: null, freshUntil: 1_060_000 });
    clock.now += 59_000;
    expect(await cache.get('stripe', 'a@example.com', lookup)).toMatchObject({ facts: { company: 'Acme' }, staleSince: null });
    expect(pending).toHaveLength(1);
    expect(cache.stats).toMatchObject({ lookups: 1, misses: 1, joined: 99, hits: 1 });
  });

  it('keeps sources and emails apart, and remembers "no account" too', async () => {
    const clock = { now: 0 };
    const cache = cacheAt(clock);
    const { lookup, pending } = controlledLookup();
    const a = cache.get('stripe', 'a@example.com', lookup);
    const b = cache.get('crm', 'a@example.com', lookup);
    const c = cache.get('stripe', 'c@example.com', lookup);
    expect(pending.map((p) => p.email)).toEqual(['a@example.com', 'a@example.com', 'c@example.com']);
    pending[0]!.resolve(facts('A'));
    pending[1]!.resolve(null);
    pending[2]!.resolve(facts('C'));
    expect((await a).facts?.company).toBe('A');
    expect((await b).facts).toBeNull();
    expect((await c).facts?.company).toBe('C');
    expect((await cache.get('crm', 'a@example.com', lookup)).facts).toBeNull();
    expect(pending).toHaveLength(3);
  });

  it('serves a stale entry at once, marked with its age, while one refresh runs; the refresh then replaces it', async () => {
    const clock = { now: 10_000 };
    const cache = cacheAt(clock);
    const { lookup, pending } = controlledLookup();
    const first = cache.get('stripe', 'a@example.com', lookup);
    pending[0]!.resolve(facts('Old name'));
    await first;
    clock.now += 61_000;
    const stale = await cache.get('stripe', 'a@example.com', lookup);
    expect(stale).toEqual({ facts: facts('Old name'), staleSince: new Date(10_000), freshUntil: null });
    await cache.get('stripe', 'a@example.com', lookup);
    expect(pending).toHaveLength(2); // one refresh however many stale reads
    pending[1]!.resolve(facts('New name'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('stripe', 'a@example.com', lookup)).toEqual({ facts: facts('New name'), staleSince: null, freshUntil: 71_000 + 60_000 });
  });

  it('keeps the stale entry when its refresh fails, never caches an error, and drops entries older than the stale limit', async () => {
    const clock = { now: 0 };
    const cache = cacheAt(clock, { staleMs: 120_000 });
    const { lookup, pending } = controlledLookup();
    const first = cache.get('stripe', 'a@example.com', lookup);
    pending[0]!.resolve(facts('Kept'));
    await first;
    clock.now = 70_000;
    expect((await cache.get('stripe', 'a@example.com', lookup)).staleSince).not.toBeNull();
    pending[1]!.reject(new Error('Stripe 500'));
    await new Promise((resolve) => setImmediate(resolve));
    expect((await cache.get('stripe', 'a@example.com', lookup)).facts?.company).toBe('Kept');
    pending[2]!.reject(new Error('Stripe 500 again'));
    await new Promise((resolve) => setImmediate(resolve));
    clock.now = 130_000; // past the stale limit: a miss, which waits for the lookup
    const miss = cache.get('stripe', 'a@example.com', lookup);
    expect(pending).toHaveLength(4);
    pending[3]!.reject(new Error('still down'));
    await expect(miss).rejects.toThrow('still down');
    const again = cache.get('stripe', 'a@example.com', lookup);
    expect(pending).toHaveLength(5); // the error was not remembered
    pending[4]!.resolve(facts('Back'));
    expect((await again).facts?.company).toBe('Back');
  });

  it('drops entries a change names by email or by the source’s own ids, for that source only', async () => {
    const clock = { now: 0 };
    const cache = cacheAt(clock);
    const { lookup, pending } = controlledLookup();
    const fill = async (source: string, email: string, value: AccountFacts | null) => {
      const answer = cache.get(source, email, lookup);
      pending.at(-1)!.resolve(value);
      await answer;
    };
    await fill('stripe', 'a@example.com', facts('A', ['cus_A']));
    await fill('stripe', 'b@example.com', facts('B', ['cus_B1', 'cus_B2']));
    await fill('crm', 'b@example.com', facts('B in CRM', ['cus_B2']));
    await fill('stripe', 'c@example.com', facts('C', ['cus_C']));
    expect(cache.invalidate({ sourceId: 'stripe', emails: ['A@Example.com'], keys: [] })).toBe(1);
    expect(cache.invalidate({ sourceId: 'stripe', emails: [], keys: ['cus_B2'] })).toBe(1);
    expect(cache.invalidate({ sourceId: 'stripe', emails: [], keys: ['cus_unknown'] })).toBe(0);
    const before = pending.length;
    await cache.get('stripe', 'c@example.com', lookup);
    await cache.get('crm', 'b@example.com', lookup);
    expect(pending).toHaveLength(before);
    void cache.get('stripe', 'a@example.com', lookup);
    void cache.get('stripe', 'b@example.com', lookup);
    expect(pending).toHaveLength(before + 2);
  });

  it('does not store an answer that was in flight when a change named it (it may predate the change)', async () => {
    const clock = { now: 0 };
    const cache = cacheAt(clock);
    const { lookup, pending } = controlledLookup();
    const inFlight = cache.get('stripe', 'a@example.com', lookup);
    clock.now = 5;
    cache.invalidate({ sourceId: 'stripe', emails: [], keys: ['cus_A'] });
    pending[0]!.resolve(facts('Before the change', ['cus_A']));
    expect((await inFlight).facts?.company).toBe('Before the change');
    const next = cache.get('stripe', 'a@example.com', lookup);
    expect(pending).toHaveLength(2);
    pending[1]!.resolve(facts('After the change', ['cus_A']));
    expect((await next).facts?.company).toBe('After the change');
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const clock = { now: 0 };
    const cache = cacheAt(clock, { maxEntries: 2 });
    const { lookup, pending } = controlledLookup();
    const fill = async (email: string) => {
      const answer = cache.get('stripe', email, lookup);
      pending.at(-1)!.resolve(facts(email));
      await answer;
    };
    await fill('a@example.com');
    await fill('b@example.com');
    await cache.get('stripe', 'a@example.com', lookup); // a is now the most recently used
    await fill('c@example.com'); // evicts b
    const count = pending.length;
    await cache.get('stripe', 'a@example.com', lookup);
    await cache.get('stripe', 'c@example.com', lookup);
    expect(pending).toHaveLength(count);
    void cache.get('stripe', 'b@example.com', lookup);
    expect(pending).toHaveLength(count + 1);
    expect(cache.stats.entries).toBe(2);
  });

  it('gives each lookup its own timeout signal, not the card’s', async () => {
    const cache = new AccountCache({ ttlMs: 60_000, staleMs: 60_000, maxEntries: 10, lookupTimeoutMs: 50 });
    const aborted = await cache
      .get('stripe', 'a@example.com', (_email, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))))
      .then(
        () => 'answered',
        (error: Error) => error.name,
      );
    expect(aborted).toBe('TimeoutError');
  });
});
