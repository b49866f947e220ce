import type { Conversation } from '../../store/schema.js';
import type { Store } from '../../store/store.js';

/**
 * A conversation's own reply-time promise, as the API (and the widget header) shows it: the
 * promise its acknowledgement made, and when the team first answered. Once a customer has
 * written, this — not the availability notice for someone who has not — is what they were told.
 */
export interface ApiFirstReply {
  /** Ready to show ("We'll reply within about an hour"); null until an acknowledgement promised something. */
  promise: string | null;
  due_at: string | null;
  /** The team's first public reply in this conversation. */
  answered_at: string | null;
}

/** The acknowledgement's promise phrase ("within about an hour", "incident #3 update by 9:00 AM…") as a sentence. */
export function promiseSentence(promise: string): string {
  const incident = /^incident #(\d+) update (.+)$/.exec(promise);
  if (incident) return `We'll update you ${incident[2]} (incident #${incident[1]})`;
  return `We'll reply ${promise}`;
}

export async function firstReplies(store: Store, conversations: readonly Conversation[]): Promise<Map<string, ApiFirstReply>> {
  const promises = new Map<string, { promise: string | null; due_at: Date | null }>();
  if (conversations.length > 0) {
    const rows = await store.db
      .selectFrom('acknowledgements')
      .select(['conversation_id', 'promise', 'due_at'])
      .where('conversation_id', 'in', conversations.map((c) => c.id))
      .where('decision', '=', 'sent')
      // Decided but not yet delivered is not yet told: the header changes when the message arrives.
      .where('message_id', 'is not', null)
      .execute();
    for (const row of rows) promises.set(row.conversation_id, { promise: row.promise, due_at: row.due_at ? new Date(row.due_at) : null });
  }
  return new Map(
    conversations.map((c) => {
      const made = promises.get(c.id);
      return [
        c.id,
        {
          promise: made?.promise ? promiseSentence(made.promise) : null,
          due_at: made?.due_at ? made.due_at.toISOString() : null,
          answered_at: c.first_agent_reply_at ? new Date(c.first_agent_reply_at).toISOString() : null,
        },
      ];
    }),
  );
}
