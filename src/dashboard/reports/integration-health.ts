import { sql } from 'kysely';
import type { CapabilityName } from '../../capabilities/integration.js';
import type { IntegrationRegistry } from '../../capabilities/registry.js';
import type { HubMetrics } from '../../ops/metrics.js';
import type { Store } from '../../store/store.js';
import type { HelpdeskSync } from '../../sync/index.js';
import { budgetUseOf } from '../../vendors/budget-use.js';
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
  sidebarApp: 'Sidebar app',
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
  /** Whole units left when it was last used (it refills from there): the burst allowance, not the quota. */
  tokens: number;
  /** When it was last drawn; null: not drawn since the database was set up. */
  updatedAt: Date | null;
  /** Units this process took in the last 60 s and the vendor's limit per minute; null for a bucket this hub does not draw from. */
  lastMinute: { used: number; limitPerMinute: number } | null;
}

/** What `/metrics` counts for an integration (this process, since it started). */
export interface IntegrationCalls {
  /** `hub_vendor_requests_total`: vendor API requests by response status ("none": no response). */
  requests: { status: string; count: number }[];
  requestTotal: number;
  /** `hub_escalation_target_calls_total`: escalation steps at this target by outcome. */
  escalationSteps: { outcome: string; count: number }[];
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
  calls: IntegrationCalls;
  rateBuckets: RateBucketView[];
}

export interface IntegrationHealthReport {
  integrations: IntegrationHealthRow[];
  /** Escalation targets that are not integrations (the built-in email target), with their latest error. */
  otherTargets: TargetError[];
}

export async function integrationHealth(deps: {
  store: Store;
  registry: IntegrationRegistry;
  sync: HelpdeskSync;
  metrics: HubMetrics;
  redact: Redactor;
}): Promise<IntegrationHealthReport> {
  const { store, redact } = deps;
  const [health, syncErrors, syncErrorCounts, targetErrors, buckets, vendorCalls, targetCalls] = await Promise.all([
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
    deps.metrics.vendorCalls.get(),
    deps.metrics.escalationTargets.get(),
  ]);
  const use = budgetUseOf(store);
  // A bucket this hub draws from but has not drawn yet has no row: it is shown as unused.
  const bucketRows = [
    ...buckets,
    ...use
      .keys()
      .filter((key) => !buckets.some((b) => b.key === key))
      .map((key) => ({ key, tokens: Number.POSITIVE_INFINITY, updated_at: null })),
  ].sort((a, b) => a.key.localeCompare(b.key));
  const callsOf = (id: string): IntegrationCalls => {
    const requests = vendorCalls.values
      .filter((v) => v.labels['integration'] === id && v.value > 0)
      .map((v) => ({ status: String(v.labels['status']), count: v.value }))
      .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status));
    const escalationSteps = targetCalls.values
      .filter((v) => v.labels['target'] === id && v.value > 0)
      .map((v) => ({ outcome: String(v.labels['outcome']), count: v.value }))
      .sort((a, b) => b.count - a.count);
    return { requests, requestTotal: requests.reduce((sum, r) => sum + r.count, 0), escalationSteps };
  };

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
      calls: callsOf(status.id),
      rateBuckets: bucketRows
        .filter((b) => b.key.startsWith(`${status.id}:`))
        .map((b) => ({
          label: bucketLabel(b.key),
          backingOff: b.tokens < 0,
          tokens: Number.isFinite(b.tokens) ? Math.max(0, Math.floor(b.tokens)) : 0,
          updatedAt: b.updated_at ? new Date(b.updated_at) : null,
          lastMinute: use.lastMinute(b.key),
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
