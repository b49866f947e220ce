import { z } from 'zod';
import { envBoolean } from '../config/env-boolean.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Which helpdesk each source syncs to (ARCHITECTURE §6: every chat app and hub mailbox routes to
 * exactly one helpdesk, or none). `helpdesk` is the default for every source; `routes` overrides
 * it per source (`chat:<app id>`, `email:<mailbox>`) and `none` keeps a source out of any helpdesk.
 * With a single helpdesk configured and no default given, everything syncs to it.
 */
export const syncSchema = z
  .object({
    helpdesk: z.string().min(1).optional(),
    routes: z.record(z.string(), z.string().min(1)).default({}),
    /** Seconds between reconciliation polls (agent replies whose webhook never came, paused integrations). */
    reconcileSeconds: int(1, 3600).default(60),
    /** Import conversations that start in the helpdesk (mail sent straight to it) so triage covers them. */
    importHelpdeskConversations: envBoolean.default(true),
    /** Longest one push job works on a conversation before handing on to a fresh job (bounded by job expiry). */
    pushBudgetSeconds: int(1, 25).default(15),
    /**
     * Lines of one conversation arriving within this many milliseconds of its first unsent one go
     * to the helpdesk as one write (one thread or comment): calls per line fall as chat gets busier,
     * and Zendesk's 30 updates per ticket per 10 minutes last longer. A lone line waits at most this.
     */
    coalesceMs: int(0, 5000).default(200),
  })
  .prefault({});

export type SyncConfig = z.infer<typeof syncSchema>;

export const syncEnv = [
  { env: 'SYNC_HELPDESK', path: ['sync', 'helpdesk'], description: 'Helpdesk every source syncs to (`helpscout`, `zendesk`, `none`); per-source routes: `sync.routes` in the file' },
  { env: 'SYNC_RECONCILE_SECONDS', path: ['sync', 'reconcileSeconds'], description: 'Seconds between polls that find agent replies whose webhook never arrived' },
  {
    env: 'SYNC_COALESCE_MS',
    path: ['sync', 'coalesceMs'],
    description: 'Lines of one conversation within this many ms go to the helpdesk as one write (0: each at once)',
  },
  {
    env: 'SYNC_IMPORT_HELPDESK_CONVERSATIONS',
    path: ['sync', 'importHelpdeskConversations'],
    description: 'Import conversations that start in the helpdesk itself so they are triaged and acknowledged',
  },
];

/** Resolves a conversation's source to the one helpdesk it syncs to, or null. */
export function routeFor(config: SyncConfig, enabledHelpdesks: readonly string[], source: string): string | null {
  const routed = config.routes[source] ?? config.helpdesk ?? (enabledHelpdesks.length === 1 ? enabledHelpdesks[0] : undefined);
  if (!routed || routed === 'none') return null;
  return enabledHelpdesks.includes(routed) ? routed : null;
}

/** Boot-time check: every named helpdesk must be enabled. */
export function routingProblems(config: SyncConfig, enabledHelpdesks: readonly string[]): string[] {
  const problems: string[] = [];
  const named = [...(config.helpdesk ? [['SYNC_HELPDESK', config.helpdesk]] : []), ...Object.entries(config.routes).map(([s, h]) => [`sync.routes.${s}`, h])];
  for (const [where, helpdesk] of named) {
    if (helpdesk !== 'none' && !enabledHelpdesks.includes(helpdesk!)) {
      problems.push(`${where} names helpdesk "${helpdesk}", which is not configured (enabled: ${enabledHelpdesks.join(', ') || 'none'})`);
    }
  }
  if (!config.helpdesk && enabledHelpdesks.length > 1) {
    problems.push(`several helpdesks are configured (${enabledHelpdesks.join(', ')}): set SYNC_HELPDESK to the default one (each source syncs to exactly one)`);
  }
  return problems;
}
