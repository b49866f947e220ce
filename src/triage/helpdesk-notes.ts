import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { HubDatabase } from '../store/schema.js';

/**
 * A private note for the conversation's helpdesk (what the customer was promised, "the GitHub
 * issue was closed"): stored here and pushed by sync (src/sync/push.ts) once the conversation
 * exists there. `key` makes it once-only: the same key again adds nothing.
 */
export async function addHelpdeskNote(db: Kysely<HubDatabase>, conversationId: string, key: string, text: string): Promise<boolean> {
  const inserted = await db
    .insertInto('helpdesk_notes')
    .values({ id: randomUUID(), conversation_id: conversationId, key, text })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}
