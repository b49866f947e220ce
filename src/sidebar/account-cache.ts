import type { AccountFacts } from '../capabilities/account-data.js';

/**
 * What the sidebar remembers of each account-data source's answers, per (source, email): an
 * in-memory LRU with a TTL, stale-while-revalidate and one lookup in flight per key.
 *
 * - Fresh (younger than `ttlMs`): answered from memory, no vendor call.
 * - Stale (older, but younger than `staleMs`): answered from memory at once, marked with its age,
 *   while one refresh runs in the background. A vendor that is slow or down therefore costs the
 *   agent nothing once it has answered once; the card says "as of …".
 * - Missing: one lookup per key however many cards ask at once (100 agents opening the same
 *   customer make one Stripe call), and it runs to its own timeout rather than to the card's
 *   budget, so an answer that misses the card still fills the cache for the next load.
 *
 * Webhooks (`invalidate`) drop entries by email or by a source's own ids (`AccountFacts.keys`),
 * and also discard an in-flight answer that started before the change (it may predate it).
 * Errors are never cached: the next card asks again.
 */

export interface CachedAnswer {
  facts: AccountFacts | null;
  /** When the answer was fetched; set only when it is older than the TTL (shown as "as of"). */
  staleSince: Date | null;
  /** Until when this answer counts as fresh (epoch ms); null when it is stale already. */
  freshUntil: number | null;
}

export interface AccountCacheOptions {
  ttlMs: number;
  /** How long past its fetch an answer may still be shown while a refresh runs (≥ ttlMs). */
  staleMs: number;
  maxEntries: number;
  /** A lookup's own limit, independent of any card's budget. */
  lookupTimeoutMs: number;
  now?: () => number;
}

export type Lookup = (email: string, signal: AbortSignal) => Promise<AccountFacts | null>;

interface Entry {
  facts: AccountFacts | null;
  fetchedAt: number;
}

interface Flight {
  promise: Promise<AccountFacts | null>;
  startedAt: number;
}

interface Invalidation {
  at: number;
  sourceId: string | null;
  emails: Set<string>;
  keys: Set<string>;
}

export interface CacheStats {
  hits: number;
  staleHits: number;
  misses: number;
  joined: number;
  lookups: number;
  entries: number;
}

export class AccountCache {
  readonly #entries = new Map<string, Entry>();
  readonly #flights = new Map<string, Flight>();
  /** Recent invalidations, so an answer in flight across one is not stored. */
  #recentInvalidations: Invalidation[] = [];
  readonly #now: () => number;
  readonly #counts = { hits: 0, staleHits: 0, misses: 0, joined: 0, lookups: 0 };
  #generation = 0;

  constructor(private readonly options: AccountCacheOptions) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * The source's answer for the email: from memory when fresh or stale (refreshing a stale one in
   * the background), else from the one shared lookup. Rejects only when there is nothing cached
   * and the lookup fails.
   */
  async get(sourceId: string, email: string, lookup: Lookup): Promise<CachedAnswer> {
    const key = cacheKey(sourceId, email);
    const now = this.#now();
    const entry = this.#entries.get(key);
    if (entry && now - entry.fetchedAt <= this.options.staleMs) {
      // Re-insert: Map order is the LRU order (oldest first).
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      if (now - entry.fetchedAt <= this.options.ttlMs) {
        this.#counts.hits++;
        return { facts: entry.facts, staleSince: null, freshUntil: entry.fetchedAt + this.options.ttlMs };
      }
      this.#counts.staleHits++;
      // The refresh's failure is logged by the caller's next miss, if any; the stale answer stands.
      this.#flight(sourceId, email, key, lookup).promise.catch(() => {});
      return { facts: entry.facts, staleSince: new Date(entry.fetchedAt), freshUntil: null };
    }
    if (this.#flights.has(key)) this.#counts.joined++;
    else this.#counts.misses++;
    const flight = this.#flight(sourceId, email, key, lookup);
    return { facts: await flight.promise, staleSince: null, freshUntil: flight.startedAt + this.options.ttlMs };
  }

  get stats(): CacheStats {
    return { ...this.#counts, entries: this.#entries.size };
  }

  /** Changes whenever an answer is stored or dropped: a card built from answers is valid while it stays the same. */
  get generation(): number {
    return this.#generation;
  }

  /** Drops every entry a change names (emails, or the source's own ids); returns how many. */
  invalidate(change: { sourceId: string | null; emails: readonly string[]; keys: readonly string[] }): number {
    const emails = new Set(change.emails.map((e) => e.trim().toLowerCase()));
    const keys = new Set(change.keys);
    const now = this.#now();
    this.#recentInvalidations = this.#recentInvalidations.filter((i) => now - i.at <= this.options.lookupTimeoutMs);
    this.#recentInvalidations.push({ at: now, sourceId: change.sourceId, emails, keys });
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      const [sourceId, email] = splitKey(key);
      if (matches({ sourceId: change.sourceId, emails, keys }, sourceId, email, entry.facts)) {
        this.#entries.delete(key);
        dropped++;
      }
    }
    // Also when nothing was dropped: an answer in flight may be about to be discarded.
    this.#generation++;
    return dropped;
  }

  #flight(sourceId: string, email: string, key: string, lookup: Lookup): Flight {
    const running = this.#flights.get(key);
    if (running) return running;
    const startedAt = this.#now();
    this.#counts.lookups++;
    const promise = (async () => {
      try {
        const facts = await lookup(email, AbortSignal.timeout(this.options.lookupTimeoutMs));
        if (!this.#invalidatedSince(startedAt, sourceId, email, facts)) this.#store(key, { facts, fetchedAt: startedAt });
        return facts;
      } finally {
        this.#flights.delete(key);
      }
    })();
    const flight = { promise, startedAt };
    this.#flights.set(key, flight);
    return flight;
  }

  #invalidatedSince(startedAt: number, sourceId: string, email: string, facts: AccountFacts | null): boolean {
    return this.#recentInvalidations.some((i) => i.at >= startedAt && matches(i, sourceId, email, facts));
  }

  #store(key: string, entry: Entry): void {
    this.#generation++;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.options.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}

function cacheKey(sourceId: string, email: string): string {
  return `${sourceId}\n${email}`;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('\n');
  return [key.slice(0, at), key.slice(at + 1)];
}

function matches(change: { sourceId: string | null; emails: Set<string>; keys: Set<string> }, sourceId: string, email: string, facts: AccountFacts | null): boolean {
  if (change.sourceId !== null && change.sourceId !== sourceId) return false;
  if (change.emails.has(email)) return true;
  return (facts?.keys ?? []).some((k) => change.keys.has(k));
}
