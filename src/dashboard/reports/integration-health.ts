import { sql } from 'kysely';
import type { CapabilityName } from '../../capabilities/integration.js';
import type { IntegrationRegistry } from '../../capabilities/registry.js';
import type { Store } from '../../store/store.js';
import type { HelpdeskSync } from '../../sync/index.js';
import type { Redactor } from './redaction.js';

/**
 * What an operator needs to see per integration, from state the hub already keeps: which
 * capabilities are configured (never the values), whether sync is paused for re-authentication,
 * the latest sync and escalation errors, and the shared rate budget. Every text that came from a
 * vendor passes through the redactor.
 */

export const CAPABILITY_LABELS: Record<CapabilityName, string> = {
  helpdesk: 'Helpdesk sync',
  sidebar: 'Sidebar card',
  accountData: 'Account data',
  escalation: 'Escalation target',
};

export interface TargetError {
  target: string;
  escalationId: string;
  step: number;
  /** `failed` (given up) or still `pending` (retrying). */
  state: string;
  message: string;
  /** When it failed (the failure event), else when its step was due. */
  at: Date | null;
}

export interface RateBucketView {
  /** Which bucket of the integration ("main", or the endpoint class a vendor limits separately). */
  label: string;
  /** Negative: the vendor told us to wait; the bucket is in debt until it refills. */
  backingOff: boolean;
  /** Whole units left when it was last used (it refills from there). */
  tokens: number;
  updatedAt: Date;
}

export interface IntegrationHealthRow {
  id: string;
  name: string;
  capabilities: { name: CapabilityName; label: string; configured: boolean }[];
  /** Nothing configured: the integration is shipped but not in use. */
  inUse: boolean;
  pausedForAuth: { reason: string; since: Date } | null;
  lastSyncError: { message: string; at: Date; conversationId: string } | null;
  /** Conversations whose latest sync attempt failed. */
  syncErrorCount: number;
  lastTargetError: TargetError | null;
  rateBuckets: RateBucketView[];
}

export interface IntegrationHealthReport {
  integrations: IntegrationHealthRow[];
  /** Escalation targets that are not integrations (the built-in email target), with their latest error. */
  otherTargets: TargetError[];
}

export async function integrationHealth(deps: { store: Store; registry: IntegrationRegistry; sync: HelpdeskSync; redact: Redactor }): Promise<IntegrationHealthReport> {
  const { store, redact } = deps;
  const [health, syncErrors, syncErrorCounts, targetErrors, buckets] = await Promise.all([
    deps.sync.health(),
    sql<{ integration_id: string; conversation_id: string; last_error: string; updated_at: Date | string }>`
      SELECT DISTINCT ON (integration_id) integration_id, conversation_id, last_error, updated_at
      FROM sync_conversations WHERE last_error IS NOT NULL
      ORDER BY integration_id, updated_at DESC`.execute(store.db),
    sql<{ integration_id: string; n: number | string }>`
      SELECT integration_id, count(*) AS n FROM sync_conversations WHERE last_error IS NOT NULL GROUP BY integration_id`.execute(store.db),
    sql<{ target: string; escalation_id: string; step: number; state: string; last_error: string; at: Date | string | null }>`
      SELECT DISTINCT ON (t.target) t.target, t.escalation_id, t.step, t.state, t.last_error, COALESCE(ev.at, s.ran_at, s.due_at) AS at
      FROM escalation_targets t
      JOIN escalation_steps s ON s.escalation_id = t.escalation_id AND s.step = t.step
      LEFT JOIN LATERAL (
        SELECT max(e.at) AS at FROM escalation_events e
        WHERE e.escalation_id = t.escalation_id AND e.kind = 'target.failed' AND e.detail->>'target' = t.target
      ) ev ON TRUE
      WHERE t.last_error IS NOT NULL
      ORDER BY t.target, COALESCE(ev.at, s.ran_at, s.due_at) DESC NULLS LAST`.execute(store.db),
    store.db.selectFrom('rate_buckets').selectAll().orderBy('key').execute(),
  ]);

  const targetErrorOf = (r: (typeof targetErrors.rows)[number]): TargetError => ({
    target: r.target,
    escalationId: r.escalation_id,
    step: r.step,
    state: r.state,
    message: redact(r.last_error),
    at: r.at ? new Date(r.at) : null,
  });
  const statuses = deps.registry.status();
  const ids = new Set(statuses.map((s) => s.id));

  const integrations = statuses.map((status): IntegrationHealthRow => {
    const capabilities = (Object.entries(status.capabilities) as [CapabilityName, string][]).map(([name, state]) => ({
      name,
      label: CAPABILITY_LABELS[name] ?? name,
      configured: state === 'enabled',
    }));
    const h = health[status.id];
    const syncError = syncErrors.rows.find((r) => r.integration_id === status.id);
    const targetError = targetErrors.rows.find((r) => r.target === status.id);
    return {
      id: status.id,
      name: status.name,
      capabilities,
      inUse: capabilities.some((c) => c.configured),
      pausedForAuth: h?.status === 'needs_reauth' ? { reason: redact(h.reason || 'authentication failed'), since: new Date(h.since) } : null,
      lastSyncError: syncError ? { message: redact(syncError.last_error), at: new Date(syncError.updated_at), conversationId: syncError.conversation_id } : null,
      syncErrorCount: Number(syncErrorCounts.rows.find((r) => r.integration_id === status.id)?.n ?? 0),
      lastTargetError: targetError ? targetErrorOf(targetError) : null,
      rateBuckets: buckets
        .filter((b) => b.key.startsWith(`${status.id}:`))
        .map((b) => ({
          label: bucketLabel(b.key),
          backingOff: b.tokens < 0,
          tokens: Math.max(0, Math.floor(b.tokens)),
          updatedAt: new Date(b.updated_at),
        })),
    };
  });
  return { integrations, otherTargets: targetErrors.rows.filter((r) => !ids.has(r.target)).map(targetErrorOf) };
}

/**
 * Bucket keys are `<integration>:<account>[:<endpoint class>]`. The account part (a client id, a
 * subdomain) is configuration, so the page names only the endpoint class.
 */
function bucketLabel(key: string): string {
  const parts = key.split(':');
  return parts.length > 2 ? parts.slice(2).join(':') : 'all requests';
}
