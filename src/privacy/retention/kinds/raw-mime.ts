import { sql } from 'kysely';
import type { RetentionKind } from '../kind.js';

/**
 * The original MIME of inbound mail (mail_message_ids.raw), by when it was received. The row stays
 * with raw null: its Message-ID is what replies thread on (threading rule 2), and the message's
 * stripped text lives in messages.
 */
export const rawMime: RetentionKind = {
  name: 'rawMime',
  unit: 'mails',
  async count(db, cutoff) {
    const result = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM mail_message_ids WHERE created_at < ${cutoff} AND raw IS NOT NULL`.execute(db);
    return { items: result.rows[0]!.n };
  },
  async removeBatch(tx, after, { cutoff, limit }) {
    // Keyset over the primary key: each batch starts where the last stopped, so a large table is
    // read once per run rather than rescanned from the top for every batch.
    const keys = await sql<{ mailbox: string; message_id: string }>`
      SELECT mailbox, message_id FROM mail_message_ids
      WHERE ${after ? sql`(mailbox, message_id) > (${after[0]}, ${after[1]}) AND` : sql``} created_at < ${cutoff} AND raw IS NOT NULL
      ORDER BY mailbox, message_id LIMIT ${limit}`.execute(tx);
    const last = keys.rows.at(-1);
    if (!last) return { items: 0, next: null };
    const updated = await sql`
      UPDATE mail_message_ids SET raw = NULL
      WHERE (mailbox, message_id) IN (SELECT * FROM unnest(${keys.rows.map((k) => k.mailbox)}::text[], ${keys.rows.map((k) => k.message_id)}::text[]))
        AND raw IS NOT NULL`.execute(tx);
    return { items: Number(updated.numAffectedRows ?? 0), next: [last.mailbox, last.message_id] };
  },
};
