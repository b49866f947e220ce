import { z } from 'zod';
import { secret } from '../config/secrets.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The sidebar core: how long a card may wait for account-data sources, and the secret of the
 * generic `POST /sidebar/card` endpoint (the hub's own X-Hub-Signature scheme; unset = endpoint off).
 * Each helpdesk's sidebar secret lives in its integration's section (e.g. HELPSCOUT_SIDEBAR_SECRET).
 */
export const sidebarSchema = z
  .object({
    /** Longest a card waits for account-data sources; whatever is not ready is shown "unavailable". */
    budgetMs: int(50, 30_000).default(2000),
    cardSecret: secret(z.string().min(16, 'must be at least 16 characters').optional()),
    /** Account-data answers are fresh this long (then served stale while one refresh runs). */
    cacheTtlSeconds: int(0, 86_400).default(60),
    /** How old a cached answer may be and still be shown (marked "as of") while the source is slow or down. */
    cacheStaleSeconds: int(0, 7 * 86_400).default(3600),
    cacheMaxEntries: int(100, 10_000_000).default(50_000),
    /** A lookup's own limit: it outlives the card's budget so a late answer fills the cache. */
    lookupTimeoutMs: int(100, 120_000).default(10_000),
    /** Opens `GET /sidebar/preview?email=…` (Bearer token) until staff logins exist; unset = off. */
    previewToken: secret(z.string().min(16, 'must be at least 16 characters').optional()),
  })
  .refine((c) => c.cacheStaleSeconds >= c.cacheTtlSeconds, { path: ['cacheStaleSeconds'], message: 'must be at least SIDEBAR_CACHE_TTL_SECONDS' })
  .prefault({});

export type SidebarConfig = z.infer<typeof sidebarSchema>;

export const sidebarEnv = [
  {
    env: 'SIDEBAR_BUDGET_MS',
    path: ['sidebar', 'budgetMs'],
    description: 'Longest a sidebar card waits for account data (Stripe, product facts); sources not ready by then show as unavailable',
  },
  {
    env: 'SIDEBAR_CARD_SECRET',
    path: ['sidebar', 'cardSecret'],
    description: 'Verifies `POST /sidebar/card` (X-Hub-Signature, 5-minute window), the card as JSON for other tools; unset = that endpoint is off',
  },
  {
    env: 'SIDEBAR_CACHE_TTL_SECONDS',
    path: ['sidebar', 'cacheTtlSeconds'],
    description: 'How long an account-data answer (Stripe, product facts) is fresh; Stripe webhooks drop changed customers sooner',
  },
  {
    env: 'SIDEBAR_CACHE_STALE_SECONDS',
    path: ['sidebar', 'cacheStaleSeconds'],
    description: 'How old a cached answer may still be shown (marked "as of") while it refreshes or its source is down',
  },
  { env: 'SIDEBAR_CACHE_MAX_ENTRIES', path: ['sidebar', 'cacheMaxEntries'], description: 'Most account-data answers kept in memory per process (least recently used dropped first)' },
  {
    env: 'SIDEBAR_LOOKUP_TIMEOUT_MS',
    path: ['sidebar', 'lookupTimeoutMs'],
    description: 'Longest one account-data lookup runs; it outlives a card’s budget so a late answer is cached for the next load',
  },
  {
    env: 'SIDEBAR_PREVIEW_TOKEN',
    path: ['sidebar', 'previewToken'],
    description: 'Bearer token for `GET /sidebar/preview?email=…` (the card as agents see it); unset = preview off',
  },
];
