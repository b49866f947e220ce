import type { Logger } from 'pino';
import type { AccountDataCapability, AccountFacts } from '../capabilities/account-data.js';

export interface AccountSource {
  integrationId: string;
  name: string;
  capability: AccountDataCapability;
}

export type SourceOutcome =
  | { integrationId: string; name: string; state: 'found'; email: string; facts: AccountFacts }
  | { integrationId: string; name: string; state: 'none' }
  | { integrationId: string; name: string; state: 'unavailable'; reason: 'timeout' | 'error' };

/** At most this many of a customer's addresses are asked about (primary first). */
const MAX_ADDRESSES = 3;

/**
 * Asks every source about the customer at once and waits until `deadline` at most: a source that
 * has not answered by then is `unavailable` (and its lookup aborted), so one slow vendor never
 * holds the card back. A source answering for several addresses counts the first address, in the
 * order given, that it knows.
 */
export async function lookUpAccounts(sources: readonly AccountSource[], emails: readonly string[], deadline: number, log: Logger): Promise<SourceOutcome[]> {
  const addresses = emails.slice(0, MAX_ADDRESSES);
  if (sources.length === 0 || addresses.length === 0) return sources.map((s) => ({ integrationId: s.integrationId, name: s.name, state: 'none' }));
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.all(
      sources.map(async (source): Promise<SourceOutcome> => {
        const base = { integrationId: source.integrationId, name: source.name };
        const answer = askSource(source, addresses, abort.signal);
        // A late rejection must not become an unhandled one once the card has gone.
        answer.catch(() => {});
        try {
          const result = await Promise.race([answer, timeUp]);
          if (result === 'timeout') {
            log.warn({ integration: source.integrationId }, 'account-data source missed the sidebar time budget');
            return { ...base, state: 'unavailable', reason: 'timeout' };
          }
          return result ? { ...base, state: 'found', email: result.email, facts: result.facts } : { ...base, state: 'none' };
        } catch (error) {
          log.warn({ integration: source.integrationId, err: error }, 'account-data lookup failed');
          return { ...base, state: 'unavailable', reason: 'error' };
        }
      }),
    );
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

async function askSource(source: AccountSource, addresses: readonly string[], signal: AbortSignal): Promise<{ email: string; facts: AccountFacts } | null> {
  const answers = await Promise.all(addresses.map((email) => source.capability.lookup(email, signal)));
  const index = answers.findIndex((facts) => facts !== null);
  return index === -1 ? null : { email: addresses[index]!, facts: answers[index]! };
}
