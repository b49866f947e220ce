import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { HelpdeskCapability } from '../capabilities/helpdesk.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import type { IntegrationStates } from './integration-state.js';
import { pushRequest } from './push.js';
import { isVendorError } from '../vendors/error.js';
import { pullRequest } from './webhooks.js';

export interface ReconcilerDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  states: IntegrationStates;
  helpdesks: ReadonlyMap<string, HelpdeskCapability>;
  intervalMs: number;
}

/**
 * The safety net under webhooks and jobs, run for each helpdesk every `intervalMs` by whichever hub
 * process claims the round first (a timestamp row in `integration_state`):
 * - a paused integration (needs re-auth) gets a connection check; when it passes, sync resumes
 *   and every conversation left dirty is pushed;
 * - dirty conversations nobody is pushing (their pusher died) are queued again;
 * - conversations changed at the vendor since the last round are pulled, which finds agent
 *   replies whose webhook never arrived. The window overlaps the vendor's search lag.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Vendor "updated at" last pulled per conversation (per process): an unchanged conversation is not pulled twice. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly deps: ReconcilerDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.max(250, Math.min(this.deps.intervalMs / 2, 5000)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over every helpdesk whose round is due (exposed for tests and `npm run sync:replay`). */
  tick(force = false): Promise<void> {
    this.running ??= (async () => {
      try {
        for (const [integrationId, helpdesk] of this.deps.helpdesks) {
          try {
            await this.round(integrationId, helpdesk, force);
          } catch (error) {
            this.deps.log.warn({ err: error, integrationId }, 'sync reconciliation round failed');
          }
        }
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async round(integrationId: string, helpdesk: HelpdeskCapability, force: boolean): Promise<void> {
    const { store, queue, states, log } = this.deps;
    const claimed = await this.claim(integrationId, force);
    if (!claimed) return;
    const health = await states.health(integrationId);
    if (health.status !== 'active') {
      const check = await helpdesk.checkConnection().catch((error: Error) => ({ ok: false, detail: error.message }));
      if (!check.ok) return;
      await states.resume(integrationId);
    }
    const dirty = await store.db
      .selectFrom('sync_conversations')
      .select('conversation_id')
      .where('integration_id', '=', integrationId)
      .where('dirty', '=', true)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', new Date())]))
      .limit(1000)
      .execute();
    if (dirty.length > 0) await queue.enqueue(dirty.map((r) => pushRequest(integrationId, r.conversation_id)));

    const startedAt = new Date();
    const overlapMs = helpdesk.traits.searchLagMs + 60_000;
    const since = new Date((claimed.reconciledThrough?.getTime() ?? startedAt.getTime() - 3_600_000) - overlapMs);
    let changed: { externalId: string; updatedAt: Date }[];
    try {
      changed = await helpdesk.changedSince(since);
    } catch (error) {
      if (isVendorError(error) && error.kind === 'auth') await states.authFailed(integrationId, error.message, startedAt);
      throw error;
    }
    const due = changed.filter((c) => this.seen.get(`${integrationId}:${c.externalId}`) !== c.updatedAt.getTime());
    if (due.length > 0) {
      await queue.enqueue(due.map((c) => pullRequest(integrationId, c.externalId)));
      for (const c of due) this.seen.set(`${integrationId}:${c.externalId}`, c.updatedAt.getTime());
      if (this.seen.size > 50_000) this.seen.clear();
      log.debug({ integrationId, pulls: due.length }, 'reconciliation queued pulls');
    }
    await store.db.updateTable('integration_state').set({ reconciled_through: startedAt }).where('integration_id', '=', integrationId).execute();
  }

  /** Claims this round for this process (one process per interval across the cluster). */
  private async claim(integrationId: string, force: boolean): Promise<{ reconciledThrough: Date | null } | null> {
    const next = new Date(Date.now() + this.deps.intervalMs);
    // changed_at 'epoch': no status change has happened yet, so every auth failure counts.
    await sql`INSERT INTO integration_state (integration_id, next_reconcile_at, changed_at) VALUES (${integrationId}, now(), 'epoch') ON CONFLICT (integration_id) DO NOTHING`.execute(this.deps.store.db);
    const result = await sql<{ reconciled_through: Date | null }>`
      UPDATE integration_state SET next_reconcile_at = ${next}
      WHERE integration_id = ${integrationId} AND (${force} OR next_reconcile_at <= now())
      RETURNING reconciled_through`.execute(this.deps.store.db);
    const row = result.rows[0];
    return row ? { reconciledThrough: row.reconciled_through ? new Date(row.reconciled_through) : null } : null;
  }
}
