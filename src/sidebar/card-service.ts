import type { Logger } from 'pino';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { Store } from '../store/store.js';
import type { AccountCache } from './account-cache.js';
import { lookUpAccounts, type AccountSource, type SourceOutcome } from './account-lookup.js';
import { assembleCard, mayShowAccountData } from './assemble.js';
import { noticeCard, type SidebarCard } from './card.js';
import { chatContactIds, uniqueAddresses } from './addresses.js';
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
  /** The fuller view (the Help Scout app's side panel): also the customer's open escalation. */
  details?: boolean;
}

export interface CardService {
  /** The card; the same object again while nothing behind it changed (renderers may memoise by identity). */
  cardFor(request: CardRequest): Promise<SidebarCard>;
  /** Something in the hub's own records changed (a message, a conversation, a triage call). */
  hubChanged(): void;
}

/** Longest a finished card is reused, whatever else holds; every change shortens it (below). */
const CARD_REUSE_MS = 30_000;
const MAX_CARDS = 10_000;

interface ReusableCard {
  card: SidebarCard;
  hubGeneration: number;
  accountGeneration: number;
  expiresAt: number;
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

  // Agents open the same customer's card again and again (every view of the conversation). A
  // finished card is reused while nothing behind it changed: no hub event since (messages,
  // conversations, triage — from every process through the event bus), no account answer stored
  // or dropped since, and every account answer it shows still fresh. Cards with a stale,
  // unavailable or unread part are never reused, so they are rebuilt on the next load.
  const reusable = new Map<string, ReusableCard>();
  let hubGeneration = 0;

  return {
    hubChanged() {
      hubGeneration++;
      if (reusable.size > 0) reusable.clear();
    },

    async cardFor(asked) {
      if (asked.emails.length === 0) return noticeCard(NO_EMAIL_NOTICE, now());
      // A chat address names one hub contact: the card is about it alone, under its own email.
      const contactIds = chatContactIds(asked.emails);
      const contacts = contactIds.length > 0 ? await deps.store.db.selectFrom('contacts').select(['id', 'email']).where('id', 'in', contactIds).execute() : [];
      const request = contactIds.length > 0 ? { ...asked, emails: uniqueAddresses(contacts.map((c) => c.email)) } : asked;
      const key = `${contactIds.join(' ')}\n${request.emails.join(' ')}\n${request.name ?? ''}\n${request.agentTimeZone ?? ''}\n${request.details ? 'details' : ''}`;
      const reuse = reusable.get(key);
      if (reuse && reuse.hubGeneration === hubGeneration && reuse.accountGeneration === deps.cache.generation && Date.now() < reuse.expiresAt) return reuse.card;
      const startedHub = hubGeneration;
      const startedAccounts = deps.cache.generation;
      const deadline = Date.now() + deps.budgetMs;
      const hub = await withinDeadline(hubFactsFor(deps.store, request.emails, contactIds.length > 0 ? contactIds : undefined, { openEscalation: request.details === true }), deadline).catch((error: unknown): 'unavailable' => {
        deps.log.error({ err: error }, 'sidebar: reading the hub’s own records failed');
        return 'unavailable';
      });
      const accounts = mayShowAccountData(hub) ? await lookUpAccounts(sources, request.emails, deadline, deps.cache, deps.log) : null;
      const card = assembleCard({ emails: request.emails, name: request.name, hub, accounts, agentTimeZone: request.agentTimeZone || deps.teamTimeZone, now: now() });
      const expiresAt = hub === 'unavailable' ? null : reusableUntil(accounts);
      if (expiresAt !== null) {
        reusable.delete(key);
        if (reusable.size >= MAX_CARDS) reusable.delete(reusable.keys().next().value as string);
        reusable.set(key, { card, hubGeneration: startedHub, accountGeneration: startedAccounts, expiresAt });
      }
      return card;
    },
  };
}

/** Until when a card built from these outcomes may be reused; null = not at all. */
function reusableUntil(accounts: readonly SourceOutcome[] | null): number | null {
  let until = Date.now() + CARD_REUSE_MS;
  for (const outcome of accounts ?? []) {
    if (outcome.state === 'unavailable' || outcome.freshUntil == null) return null;
    until = Math.min(until, outcome.freshUntil);
  }
  return until;
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
