import type { Kysely } from 'kysely';
import type { HubDatabase } from '../../store/schema.js';
import type { Tx } from '../../store/store.js';

export type RetentionKindName = 'rawMime' | 'attachments' | 'bodies' | 'auditRows';

/** What a kind removed (or would remove): items of its own unit, and for bodies the conversations they belong to. */
export interface RetentionTally {
  items: number;
  conversations?: number;
}

/** Where a kind's batches stopped: the key of the last row looked at (keyset pagination), or null before the first. */
export type RetentionCursor = readonly string[] | null;

export interface RetentionBatch extends RetentionTally {
  /** The key to continue after, or null when nothing eligible is left. */
  next: RetentionCursor;
}

export interface RemovalContext {
  cutoff: Date;
  /** When this run started: stamped on what it marks as removed. */
  now: Date;
  days: number;
  limit: number;
}

/**
 * One kind of data under retention. `count` and `removeBatch` share one eligibility rule, so a dry
 * run's numbers are what the run removes. A batch runs in its own transaction and only touches
 * rows still carrying what it removes, so a rerun after a crash (or a second run) continues where
 * the data says, and never counts a row twice.
 */
export interface RetentionKind {
  name: RetentionKindName;
  /** How the CLI names the unit counted ("mails", "attachments", …). */
  unit: string;
  count(db: Kysely<HubDatabase>, cutoff: Date): Promise<RetentionTally>;
  removeBatch(tx: Tx, after: RetentionCursor, context: RemovalContext): Promise<RetentionBatch>;
}
