import type { Router } from 'express';
import type { Logger } from 'pino';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { EventBus } from '../conversations/events.js';
import type { Store } from '../store/store.js';
import { AccountCache } from './account-cache.js';
import { accountWebhookRouter } from './account-webhooks.js';
import { createCardService, type CardService } from './card-service.js';
import type { SidebarConfig } from './config.js';
import { sidebarRouter } from './routes.js';
import type { SidebarAppAssets } from './app-client/build.js';
import { helpScoutAppRouter } from './helpscout-app-routes.js';

export interface Sidebar {
  cards: CardService;
  /** Verify signatures over the raw bytes: mount among the raw-body routers, before the helpdesk webhooks. */
  routers: Router[];
  close(): void;
}

/**
 * The sidebar: cards for every configured helpdesk sidebar and for `POST /sidebar/card`, the cache
 * of account-data answers, and the account-data webhooks that invalidate it in every process.
 */
export function createSidebar(deps: { store: Store; registry: IntegrationRegistry; bus: EventBus; log: Logger; config: SidebarConfig; teamTimeZone: string; maxBodyBytes: number; appAssets: SidebarAppAssets }): Sidebar {
  const { config } = deps;
  const cache = new AccountCache({
    ttlMs: config.cacheTtlSeconds * 1000,
    staleMs: config.cacheStaleSeconds * 1000,
    maxEntries: config.cacheMaxEntries,
    lookupTimeoutMs: config.lookupTimeoutMs,
  });
  const cards = createCardService({ store: deps.store, registry: deps.registry, log: deps.log, budgetMs: config.budgetMs, cache, teamTimeZone: deps.teamTimeZone });
  const unsubscribe = deps.bus.subscribe((event) => {
    switch (event.type) {
      case 'account.changed': {
        const dropped = cache.invalidate({ sourceId: event.integrationId, emails: event.emails, keys: event.keys });
        deps.log.debug({ integration: event.integrationId, dropped }, 'sidebar cache: account changed');
        break;
      }
      // What the card shows from the hub's own records: history, urgency, device, sender proof.
      case 'conversation.created':
      case 'conversation.updated':
      case 'message.created':
      case 'triage.updated':
        cards.hubChanged();
        break;
      default:
    }
  });
  return {
    cards,
    routers: [
      sidebarRouter({ registry: deps.registry, cards, cardSecret: config.cardSecret, previewToken: config.previewToken, maxBodyBytes: deps.maxBodyBytes }),
      // Help Scout's App Developer Platform app (iframe, signed URL); the Dynamic App is sidebarRouter's POST.
      helpScoutAppRouter({ registry: deps.registry, cards, assets: deps.appAssets }),
      accountWebhookRouter({ registry: deps.registry, bus: deps.bus, maxBodyBytes: deps.maxBodyBytes }),
    ],
    close: unsubscribe,
  };
}
