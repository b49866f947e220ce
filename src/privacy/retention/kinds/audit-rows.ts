import { sql } from 'kysely';
import type { RetentionKind } from '../kind.js';

/** Audit log rows, by when they were written (the index on `at` finds them). */
export const auditRows: RetentionKind = {
  name: 'auditRows',
  unit: 'audit rows',
  async count(db, cutoff) {
    const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE at < ${cutoff}`.execute(db);
    return { items: result.rows[0]!.n };
  },
  async removeBatch(tx, _after, { cutoff, limit }) {
    // Deleted rows are gone, so every batch simply takes the oldest that are left.
    const deleted = await sql`
      DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ${cutoff} ORDER BY id LIMIT ${limit})`.execute(tx);
    const items = Number(deleted.numAffectedRows ?? 0);
    return { items, next: items < limit ? null : ['oldest'] };
  },
};
