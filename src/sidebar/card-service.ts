import type { Logger } from 'pino';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { Store } from '../store/store.js';
import type { AccountCache } from './account-cache.js';
import { lookUpAccounts, type AccountSource } from './account-lookup.js';
import { assembleCard, mayShowAccountData } from './assemble.js';
import { noticeCard, type SidebarCard } from './card.js';
import { hubFactsFor, type HubFacts } from './hub-facts.js';

export interface CardServiceDeps {
  store: Store;
  registry: IntegrationRegistry;
  log: Logger;
  /** Longest a card waits for anything (SIDEBAR_BUDGET_MS). */
  budgetMs: number;
  cache: AccountCache;
  /** Dates are written in this zone when the helpdesk does not say the agent's (TEAM_TIME_ZONE). */
  teamTimeZone: string;
  now?: () => Date;
}

export interface CardRequest {
  /** Addresses, primary first, already normalised (see addresses.ts). */
  emails: readonly string[];
  name: string | null;
  /** The agent's IANA zone when the helpdesk sends it (Zendesk's app does; Help Scout's does not). */
  agentTimeZone?: string | null;
}

export interface CardService {
  cardFor(request: CardRequest): Promise<SidebarCard>;
}

export const NO_EMAIL_NOTICE = 'No customer email on this conversation yet.';

/**
 * Builds a card within the time budget: the hub's own records first (they decide whether the
 * sender is proven, and account data is only asked for a proven or unknown sender), then every
 * account-data source in parallel with whatever time is left.
 */
export function createCardService(deps: CardServiceDeps): CardService {
  const now = deps.now ?? (() => new Date());
  const names = new Map(deps.registry.status().map((s) => [s.id, s.name]));
  const sources: AccountSource[] = deps.registry
    .all('accountData')
    .map((c) => ({
      integrationId: c.integrationId,
      name: c.instance.title ?? names.get(c.integrationId) ?? c.integrationId,
      ...(c.instance.topic ? { topic: c.instance.topic } : {}),
      capability: c.instance,
    }));

  return {
    async cardFor(request) {
      if (request.emails.length === 0) return noticeCard(NO_EMAIL_NOTICE, now());
      const deadline = Date.now() + deps.budgetMs;
      const hub = await withinDeadline(hubFactsFor(deps.store, request.emails), deadline).catch((error: unknown): 'unavailable' => {
        deps.log.error({ err: error }, 'sidebar: reading the hub’s own records failed');
        return 'unavailable';
      });
      const accounts = mayShowAccountData(hub) ? await lookUpAccounts(sources, request.emails, deadline, deps.cache, deps.log) : null;
      return assembleCard({ emails: request.emails, name: request.name, hub, accounts, agentTimeZone: request.agentTimeZone || deps.teamTimeZone, now: now() });
    },
  };
}

async function withinDeadline(work: Promise<HubFacts>, deadline: number): Promise<HubFacts | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<'unavailable'>((resolve) => {
    timer = setTimeout(() => resolve('unavailable'), Math.max(0, deadline - Date.now()));
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, timeUp]);
  } finally {
    clearTimeout(timer);
  }
}
