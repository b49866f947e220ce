import { audit } from '../../dashboard/audit.js';
import type { AlsoInTransaction, Store } from '../../store/store.js';
import type { RetentionConfig } from './config.js';
import type { RetentionCursor, RetentionKind, RetentionKindName, RetentionTally } from './kind.js';
import { attachments } from './kinds/attachments.js';
import { auditRows } from './kinds/audit-rows.js';
import { bodies } from './kinds/bodies.js';
import { rawMime } from './kinds/raw-mime.js';

/** In run order; each with the setting that gives its period. */
const KINDS: readonly { kind: RetentionKind; days: (config: RetentionConfig) => number }[] = [
  { kind: rawMime, days: (c) => c.rawMimeDays },
  { kind: attachments, days: (c) => c.attachmentDays },
  { kind: bodies, days: (c) => c.closedConversationBodyDays },
  { kind: auditRows, days: (c) => c.auditDays },
];

/**
 * Rows per batch transaction: small enough that a batch holds its locks for milliseconds and its
 * keys in a few KB, large enough that 10,000 conversations take a handful of round trips.
 * Bodies count conversations (each with all its messages).
 */
const ROWS_PER_BATCH = 1000;
const CONVERSATIONS_PER_BATCH = 200;

export interface RetentionOutcome extends RetentionTally {
  kind: RetentionKindName;
  unit: string;
  /** 0 = kept forever (the kind is off; nothing counted). */
  days: number;
  cutoff: Date | null;
}

export interface RetentionRun {
  dryRun: boolean;
  startedAt: Date;
  durationMs: number;
  outcomes: RetentionOutcome[];
}

export interface RetentionOptions {
  dryRun: boolean;
  /** Who ran it, for the audit row (`hub:retention-job`, `cli:privacy:retention`). */
  actor: string;
  clock?: () => Date;
  /** Batch sizes (tests use small ones to cross many batch boundaries). */
  rowsPerBatch?: number;
  conversationsPerBatch?: number;
  /** Written in the transaction of the run's audit row (the job's "this day is done" mark). */
  alsoWithAudit?: AlsoInTransaction;
  /** Called after each committed batch (tests interrupt a run here). */
  afterBatch?: (kind: RetentionKindName) => void | Promise<void>;
}

/**
 * One retention pass: per kind, the cutoff from its setting, then either a count (dry run: nothing
 * is written, not even the audit row) or removal in bounded batches, each its own transaction —
 * an interrupted run keeps what it committed, and the next run finishes the rest. A real run ends
 * with one audit row holding the counts (never content).
 */
export async function runRetention(store: Store, config: RetentionConfig, options: RetentionOptions): Promise<RetentionRun> {
  const startedAt = (options.clock ?? (() => new Date()))();
  const started = performance.now();
  const outcomes: RetentionOutcome[] = [];
  for (const { kind, days: daysOf } of KINDS) {
    const days = daysOf(config);
    const cutoff = days > 0 ? new Date(startedAt.getTime() - days * 86_400_000) : null;
    const outcome: RetentionOutcome = { kind: kind.name, unit: kind.unit, days, cutoff, items: 0, ...(kind === bodies ? { conversations: 0 } : {}) };
    outcomes.push(outcome);
    if (!cutoff) continue;
    if (options.dryRun) {
      Object.assign(outcome, await kind.count(store.db, cutoff));
      continue;
    }
    const limit = kind === bodies ? (options.conversationsPerBatch ?? CONVERSATIONS_PER_BATCH) : (options.rowsPerBatch ?? ROWS_PER_BATCH);
    let after: RetentionCursor = null;
    do {
      const batch = await store.transaction((tx) => kind.removeBatch(tx, after, { cutoff, now: startedAt, days, limit }));
      outcome.items += batch.items;
      if (outcome.conversations !== undefined) outcome.conversations += batch.conversations ?? 0;
      after = batch.next;
      await options.afterBatch?.(kind.name);
    } while (after);
  }
  const durationMs = Math.round(performance.now() - started);
  if (!options.dryRun) {
    await store.transaction(async (tx) => {
      await audit(tx, { actor: { id: null, email: options.actor }, action: 'privacy.retention', detail: auditDetail(outcomes, durationMs) });
      await options.alsoWithAudit?.(tx);
    });
  }
  return { dryRun: options.dryRun, startedAt, durationMs, outcomes };
}

function auditDetail(outcomes: RetentionOutcome[], durationMs: number): Record<string, unknown> {
  return {
    durationMs,
    kinds: Object.fromEntries(
      outcomes.map((o) => [o.kind, { days: o.days, cutoff: o.cutoff?.toISOString() ?? null, removed: o.items, ...(o.conversations !== undefined ? { conversations: o.conversations } : {}) }]),
    ),
  };
}
