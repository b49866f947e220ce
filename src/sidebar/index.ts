import type { Router } from 'express';
import type { Logger } from 'pino';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { Store } from '../store/store.js';
import { createCardService, type CardService } from './card-service.js';
import type { SidebarConfig } from './config.js';
import { sidebarRouter } from './routes.js';

export interface Sidebar {
  cards: CardService;
  /** Verifies signatures over the raw bytes: mount among the raw-body routers. */
  router: Router;
}

/** The sidebar: cards for every configured helpdesk sidebar and for `POST /sidebar/card`. */
export function createSidebar(deps: { store: Store; registry: IntegrationRegistry; log: Logger; config: SidebarConfig; maxBodyBytes: number }): Sidebar {
  const cards = createCardService({ store: deps.store, registry: deps.registry, log: deps.log, budgetMs: deps.config.budgetMs });
  return { cards, router: sidebarRouter({ registry: deps.registry, cards, cardSecret: deps.config.cardSecret, maxBodyBytes: deps.maxBodyBytes }) };
}
