import { sql } from 'kysely';
import type { RetentionKind } from '../kind.js';

/**
 * Attachment bytes, by when they were stored. The row stays — id, name, type, size and checksum —
 * with empty content: messages still list the file, and the endpoints that serve it answer 410
 * (removed-attachment.ts). Empty content with a non-zero size is the mark (`content` is NOT NULL;
 * uploads refuse empty files, so no live attachment looks like that).
 */
export const attachments: RetentionKind = {
  name: 'attachments',
  unit: 'attachments',
  async count(db, cutoff) {
    const result = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM attachments WHERE created_at < ${cutoff} AND octet_length(content) > 0`.execute(db);
    return { items: result.rows[0]!.n };
  },
  async removeBatch(tx, after, { cutoff, limit }) {
    // octet_length reads a stored value's length without fetching its (TOASTed) bytes.
    const keys = await sql<{ id: string }>`
      SELECT id FROM attachments
      WHERE ${after ? sql`id > ${after[0]} AND` : sql``} created_at < ${cutoff} AND octet_length(content) > 0
      ORDER BY id LIMIT ${limit}`.execute(tx);
    const last = keys.rows.at(-1);
    if (!last) return { items: 0, next: null };
    const updated = await sql`
      UPDATE attachments SET content = ''::bytea
      WHERE id = ANY(${keys.rows.map((k) => k.id)}::uuid[]) AND octet_length(content) > 0`.execute(tx);
    return { items: Number(updated.numAffectedRows ?? 0), next: [last.id] };
  },
};
