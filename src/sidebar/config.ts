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
  })
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
];
