import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

export type IntegrationHealth = { status: 'active' } | { status: 'needs_reauth'; reason: string; since: Date };

/** Consecutive 401/403 answers that switch an integration to "needs re-auth". */
export const AUTH_FAILURES_TO_PAUSE = 2;

/**
 * The re-auth breaker, shared by every hub process through `integration_state`: two consecutive
 * auth failures pause an integration's sync (its jobs park their work instead of burning retries)
 * until a connection check succeeds again. Reads are cached briefly — every job asks.
 */
export class IntegrationStates {
  private readonly cache = new Map<string, { health: IntegrationHealth; failures: number; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly cacheMs = 1000,
  ) {}

  async health(integrationId: string): Promise<IntegrationHealth> {
    const cached = this.cache.get(integrationId);
    if (cached && Date.now() - cached.at < this.cacheMs) return cached.health;
    const row = await this.store.db.selectFrom('integration_state').selectAll().where('integration_id', '=', integrationId).executeTakeFirst();
    const health: IntegrationHealth =
      row?.status === 'needs_reauth' ? { status: 'needs_reauth', reason: row.reason ?? 'authentication failed', since: row.changed_at } : { status: 'active' };
    this.cache.set(integrationId, { health, failures: row?.auth_failures ?? 0, at: Date.now() });
    return health;
  }

  async all(): Promise<Record<string, IntegrationHealth>> {
    const rows = await this.store.db.selectFrom('integration_state').selectAll().execute();
    return Object.fromEntries(
      rows.map((row) => [
        row.integration_id,
        row.status === 'needs_reauth' ? { status: 'needs_reauth', reason: row.reason ?? '', since: row.changed_at } : { status: 'active' },
      ]),
    );
  }

  /**
   * Records a 401/403; returns true when this one paused the integration. `since` is when the
   * failed work began: a refusal of work begun before the integration was last resumed is old
   * news (the credentials were fixed meanwhile) and must not pause it again.
   */
  async authFailed(integrationId: string, reason: string, since: Date): Promise<boolean> {
    const row = await sql<{ status: string; auth_failures: number }>`
      INSERT INTO integration_state (integration_id, auth_failures, status, reason, changed_at)
      VALUES (${integrationId}, 1, ${AUTH_FAILURES_TO_PAUSE <= 1 ? 'needs_reauth' : 'active'}, ${reason}, now())
      ON CONFLICT (integration_id) DO UPDATE SET
        auth_failures = integration_state.auth_failures + 1,
        status = CASE WHEN integration_state.auth_failures + 1 >= ${AUTH_FAILURES_TO_PAUSE} THEN 'needs_reauth' ELSE integration_state.status END,
        reason = ${reason},
        changed_at = CASE WHEN integration_state.status = 'active' AND integration_state.auth_failures + 1 >= ${AUTH_FAILURES_TO_PAUSE} THEN now() ELSE integration_state.changed_at END
      WHERE integration_state.changed_at <= ${since}
      RETURNING status, auth_failures`.execute(this.store.db);
    this.cache.delete(integrationId);
    const result = row.rows[0];
    if (!result) return false;
    const paused = result.status === 'needs_reauth' && Number(result.auth_failures) === AUTH_FAILURES_TO_PAUSE;
    if (paused) this.log.error({ integration: integrationId, reason }, 'integration needs re-authentication: sync paused until its credentials work again');
    return paused;
  }

  /**
   * A call succeeded: clears a run of auth failures, and resumes a paused integration — the
   * credentials evidently work again (a cheap no-op when nothing is amiss).
   */
  async succeeded(integrationId: string): Promise<void> {
    if (!this.cache.has(integrationId)) await this.health(integrationId);
    const cached = this.cache.get(integrationId)!;
    if (cached.health.status === 'needs_reauth') {
      await this.resume(integrationId);
      return;
    }
    if (cached.failures === 0) return;
    await this.store.db
      .updateTable('integration_state')
      .set({ auth_failures: 0 })
      .where('integration_id', '=', integrationId)
      .where('auth_failures', '>', 0)
      .where('status', '=', 'active')
      .execute();
    this.cache.delete(integrationId);
  }

  /** A connection check passed while paused: resume. Returns true if it was paused. */
  async resume(integrationId: string): Promise<boolean> {
    const resumed = await this.store.db
      .updateTable('integration_state')
      .set({ status: 'active', auth_failures: 0, reason: null, changed_at: new Date() })
      .where('integration_id', '=', integrationId)
      .where('status', '=', 'needs_reauth')
      .returning('integration_id')
      .execute();
    this.cache.delete(integrationId);
    if (resumed.length > 0) this.log.info({ integration: integrationId }, 'integration credentials work again: sync resumed');
    return resumed.length > 0;
  }
}
