import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { WriteOutcome } from '../capabilities/helpdesk.js';
import type { PendingWrite } from '../store/schema.js';
import type { Store } from '../store/store.js';

/** How long a lease holds without renewal: a SIGKILLed pusher's conversation is free again after this. */
export const LEASE_MS = 30_000;
const RENEW_EVERY_MS = 8_000;

export class LeaseLostError extends Error {
  constructor(conversationId: string) {
    super(`lost the sync lease of conversation ${conversationId}`);
    this.name = 'LeaseLostError';
  }
}

export interface SyncStateRow {
  external_id: string | null;
  metadata: Record<string, unknown>;
  pending_write: PendingWrite | null;
  triage_pushed: string | null;
  incident_pushed: string | null;
}

/**
 * One pusher per (helpdesk, conversation) across every hub process: a lease row in
 * `sync_conversations`, renewed while the work lasts. Every state change is fenced by the owner,
 * so a pusher that lost its lease (stalled past expiry) cannot overwrite its successor's state;
 * its in-flight write is then just another lost answer, found by the successor's lookup.
 * `signal` aborts vendor calls as soon as the lease is known to be lost.
 */
export class SyncLease {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  /** Aborts on a lost lease or when the run's deadline passes. */
  readonly signal: AbortSignal;

  constructor(
    private readonly store: Store,
    readonly integrationId: string,
    readonly conversationId: string,
    private readonly owner: string,
    private readonly log: Logger,
    runDeadlineMs = 25_000,
  ) {
    this.signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(runDeadlineMs)]);
  }

  /** Takes the lease if it is free, expired or already ours; marks the conversation dirty. */
  async acquire(): Promise<boolean> {
    const until = new Date(Date.now() + LEASE_MS);
    const result = await sql<{ conversation_id: string }>`
      INSERT INTO sync_conversations (integration_id, conversation_id, dirty, lease_owner, lease_until)
      VALUES (${this.integrationId}, ${this.conversationId}, true, ${this.owner}, ${until})
      ON CONFLICT (integration_id, conversation_id) DO UPDATE
        SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until, dirty = true, updated_at = now()
        WHERE sync_conversations.lease_until IS NULL OR sync_conversations.lease_until < now()
          OR sync_conversations.lease_owner = excluded.lease_owner
      RETURNING conversation_id`.execute(this.store.db);
    if (result.rows.length === 0) return false;
    this.timer ??= setInterval(() => {
      this.renew().catch((error: unknown) => {
        if (!(error instanceof LeaseLostError)) this.log.warn({ err: error, conversationId: this.conversationId }, 'sync lease renewal failed');
      });
    }, RENEW_EVERY_MS);
    this.timer.unref();
    return true;
  }

  async renew(): Promise<void> {
    if (this.controller.signal.aborted) throw new LeaseLostError(this.conversationId);
    const renewed = await this.fenced(
      sql`UPDATE sync_conversations SET lease_until = ${new Date(Date.now() + LEASE_MS)} WHERE ${this.mine()} RETURNING 1 AS ok`,
    );
    if (!renewed) this.lost();
  }

  async state(): Promise<SyncStateRow> {
    const row = await this.store.db
      .selectFrom('sync_conversations')
      .select(['external_id', 'metadata', 'pending_write', 'triage_pushed', 'incident_pushed', 'lease_owner'])
      .where('integration_id', '=', this.integrationId)
      .where('conversation_id', '=', this.conversationId)
      .executeTakeFirst();
    if (!row || row.lease_owner !== this.owner) this.lost();
    return { external_id: row!.external_id, metadata: row!.metadata ?? {}, pending_write: row!.pending_write, triage_pushed: row!.triage_pushed, incident_pushed: row!.incident_pushed };
  }

  async setPending(pending: PendingWrite | null): Promise<void> {
    const ok = await this.fenced(
      sql`UPDATE sync_conversations SET pending_write = ${pending ? JSON.stringify(pending) : null}::jsonb, updated_at = now() WHERE ${this.mine()} RETURNING 1 AS ok`,
    );
    if (!ok) this.lost();
  }

  /** Thread ids already recorded for this conversation (so an older identical message is not taken for a lost one). */
  async knownThreadIds(): Promise<Set<string>> {
    const rows = await this.store.db
      .selectFrom('sync_pushed')
      .select('thread_id')
      .where('integration_id', '=', this.integrationId)
      .where('conversation_id', '=', this.conversationId)
      .where('thread_id', 'is not', null)
      .execute();
    return new Set(rows.map((r) => r.thread_id!));
  }

  /**
   * Records what a write produced, in one transaction: the pushed items with their thread, the
   * external id and adapter metadata, the triage level, and the pending write cleared. The facts
   * are recorded even if the lease was lost meanwhile (they are true either way); only the
   * lease-owned fields are fenced.
   */
  async recordOutcome(pending: PendingWrite, outcome: WriteOutcome, facts: RecordedFacts = {}): Promise<void> {
    const { triageLevel } = facts;
    const threadId = outcome.threadIds[0] ?? null;
    const metadata = JSON.stringify(outcome.metadata ?? {});
    // One statement, so atomic without a transaction (one round trip instead of five: this runs
    // once per vendor write). The pushed items and facts are written whoever holds the lease; only
    // clearing the pending write is the owner's, and `mine` reports whether it still was.
    const pushed =
      pending.items.length > 0
        ? sql`WITH pushed AS (
            INSERT INTO sync_pushed (integration_id, item_id, conversation_id, thread_id)
            VALUES ${sql.join(pending.items.map((item, i) => sql`(${this.integrationId}, ${item}, ${this.conversationId}, ${outcome.threadIds[i] ?? threadId})`))}
            ON CONFLICT (integration_id, item_id) DO NOTHING)`
        : sql``;
    const result = await sql<{ mine: boolean }>`
      ${pushed}
      UPDATE sync_conversations SET
        external_id = COALESCE(external_id, ${outcome.externalId ?? null}),
        metadata = metadata || ${metadata}::jsonb,
        triage_pushed = COALESCE(${triageLevel ?? null}, triage_pushed),
        ${'incidentPushed' in facts ? sql`incident_pushed = ${facts.incidentPushed ?? null}::uuid,` : sql``}
        pending_write = CASE WHEN lease_owner = ${this.owner} THEN NULL ELSE pending_write END,
        last_error = CASE WHEN lease_owner = ${this.owner} THEN NULL ELSE last_error END,
        updated_at = now()
      WHERE integration_id = ${this.integrationId} AND conversation_id = ${this.conversationId}
      RETURNING lease_owner IS NOT DISTINCT FROM ${this.owner} AS mine`.execute(this.store.db);
    if (result.rows[0]?.mine !== true) this.lost();
  }

  /** Gives the lease up; `dirty` says whether work is left for the next pusher. */
  async release(options: { dirty: boolean; error?: string }): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await sql`
      UPDATE sync_conversations SET lease_owner = NULL, lease_until = NULL, dirty = ${options.dirty},
        last_error = COALESCE(${options.error ?? null}, CASE WHEN ${options.dirty} THEN last_error ELSE NULL END), updated_at = now()
      WHERE ${this.mine()}`.execute(this.store.db);
  }

  private mine() {
    return sql`integration_id = ${this.integrationId} AND conversation_id = ${this.conversationId} AND lease_owner = ${this.owner}`;
  }

  private async fenced(query: ReturnType<typeof sql>): Promise<boolean> {
    const result = await query.execute(this.store.db);
    return result.rows.length > 0;
  }

  private lost(): never {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.controller.abort(new LeaseLostError(this.conversationId));
    throw new LeaseLostError(this.conversationId);
  }
}

/** What a write settled besides its items: the urgency the helpdesk now shows, the incident it shows the conversation in. */
export interface RecordedFacts {
  triageLevel?: string;
  /** Present (null included) only for an incident write. */
  incidentPushed?: string | null;
}
