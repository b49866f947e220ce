import type { Logger } from 'pino';
import type { AccountDataCapability, AccountFacts } from '../capabilities/account-data.js';
import type { AccountCache } from './account-cache.js';

export interface AccountSource {
  integrationId: string;
  name: string;
  /** What it tells about (`Billing`), for the "unavailable" line. */
  topic?: string;
  capability: AccountDataCapability;
}

export type SourceOutcome =
  | { integrationId: string; name: string; state: 'found'; email: string; facts: AccountFacts; staleSince: Date | null; freshUntil?: number | null }
  | { integrationId: string; name: string; state: 'none'; freshUntil?: number | null }
  | { integrationId: string; name: string; topic?: string; state: 'unavailable'; reason: 'timeout' | 'error' };

/** At most this many of a customer's addresses are asked about (primary first). */
const MAX_ADDRESSES = 3;

/**
 * Asks every source about the customer at once (through the cache) and waits until `deadline` at
 * most: a source that has not answered by then is `unavailable`, so one slow vendor never holds
 * the card back; its lookup runs on in the cache, so the answer shows next time the card loads.
 * A source answering for several addresses counts the first address, in the order given, that it
 * knows.
 */
export async function lookUpAccounts(sources: readonly AccountSource[], emails: readonly string[], deadline: number, cache: AccountCache, log: Logger): Promise<SourceOutcome[]> {
  const addresses = emails.slice(0, MAX_ADDRESSES);
  if (sources.length === 0 || addresses.length === 0) return sources.map((s) => ({ integrationId: s.integrationId, name: s.name, state: 'none' }));
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.all(
      sources.map(async (source): Promise<SourceOutcome> => {
        const base = { integrationId: source.integrationId, name: source.name };
        const unavailable = (reason: 'timeout' | 'error'): SourceOutcome => ({ ...base, ...(source.topic ? { topic: source.topic } : {}), state: 'unavailable', reason });
        const answer = askSource(source, addresses, cache);
        // A late rejection must not become an unhandled one once the card has gone.
        answer.catch(() => {});
        try {
          const result = await Promise.race([answer, timeUp]);
          if (result === 'timeout') {
            log.warn({ integration: source.integrationId }, 'account-data source missed the sidebar time budget');
            return unavailable('timeout');
          }
          return result.found ? { ...base, state: 'found', ...result.found, freshUntil: result.freshUntil } : { ...base, state: 'none', freshUntil: result.freshUntil };
        } catch (error) {
          log.warn({ integration: source.integrationId, err: error }, 'account-data lookup failed');
          return unavailable('error');
        }
      }),
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The first address the source knows, and until when everything asked stays fresh (null = something was stale). */
async function askSource(
  source: AccountSource,
  addresses: readonly string[],
  cache: AccountCache,
): Promise<{ found: { email: string; facts: AccountFacts; staleSince: Date | null } | null; freshUntil: number | null }> {
  const lookup = (email: string, signal: AbortSignal) => source.capability.lookup(email, signal);
  const answers = await Promise.all(addresses.map((email) => cache.get(source.integrationId, email, lookup)));
  const freshUntil = answers.some((a) => a.freshUntil === null) ? null : Math.min(...answers.map((a) => a.freshUntil!));
  const index = answers.findIndex((answer) => answer.facts !== null);
  if (index === -1) return { found: null, freshUntil };
  const answer = answers[index]!;
  return { found: { email: addresses[index]!, facts: answer.facts!, staleSince: answer.staleSince }, freshUntil };
}
