import { randomUUID } from 'node:crypto';
import { z, ZodError } from 'zod';
import { badRequest, notFound } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Conversation, Message } from '../store/schema.js';
import type { JobRequest } from '../jobs/catalog.js';
import type { Store } from '../store/store.js';
import type { EventBus, HubEvent } from './events.js';
import { withTransientRetry } from './transient.js';

/** A message to the customer: an agent's reply from a helpdesk, or the hub's own (acknowledgement). */
export const outboundReplySchema = z.object({
  conversationId: z.uuid(),
  /** Dedupe: the same (source, sourceMessageId) again returns the stored reply and sends nothing. */
  source: z.string().min(1).max(200),
  sourceMessageId: z.string().min(1).max(1000),
  authorKind: z.enum(['agent', 'system']),
  authorName: z.string().max(500).nullish(),
  text: z.string().min(1).max(1_000_000),
  html: z.string().max(5_000_000).nullish(),
  attachments: z
    .array(z.object({ id: z.string(), filename: z.string(), contentType: z.string(), size: z.number().int().nonnegative(), location: z.string() }))
    .default([]),
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type OutboundReply = z.input<typeof outboundReplySchema>;

export interface ReplyResult {
  created: boolean;
  message: Message;
}

/**
 * `reply()`: stores an outbound message and enqueues its delivery to the customer's channel in the
 * same transaction; the event after commit lets an open chat socket show it at once, while the
 * durable delivery job is the fallback that makes it arrive anyway.
 */
export async function reply(
  deps: {
    store: Store;
    queue: JobQueue;
    bus: EventBus;
    clock?: () => Date;
    /** Channel jobs enqueued with the reply (ChannelDelivery.jobsOnStore). */
    jobsOnStore?: (message: Message, conversation: Conversation) => JobRequest[];
  },
  input: OutboundReply,
): Promise<ReplyResult> {
  let outbound: z.output<typeof outboundReplySchema>;
  try {
    outbound = outboundReplySchema.parse(input);
  } catch (error) {
    const detail = error instanceof ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(error);
    throw badRequest(`invalid reply: ${detail}`, 'invalid_reply');
  }
  const now = deps.clock?.() ?? new Date();
  const committed = await withTransientRetry(() =>
    deps.store.transaction(async (tx) => {
      // Lock the customer's row (as ingest does) and the conversation: all of one customer's
      // messages then commit in the order their positions were assigned, so a client resuming
      // "after position N" can never skip one that committed late.
      const conversation = await tx
        .selectFrom('conversations')
        .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
        .selectAll('conversations')
        .where('conversations.id', '=', outbound.conversationId)
        .forUpdate()
        .executeTakeFirst();
      if (!conversation) throw notFound(`conversation ${outbound.conversationId} does not exist`, 'conversation_not_found');
      const inserted = await tx
        .insertInto('messages')
        .values({
          id: randomUUID(),
          conversation_id: conversation.id,
          direction: 'outbound',
          author_kind: outbound.authorKind,
          author_name: outbound.authorName ?? null,
          text: outbound.text,
          html: outbound.html ?? null,
          attachments: JSON.stringify(outbound.attachments),
          source: outbound.source,
          source_message_id: outbound.sourceMessageId,
          metadata: JSON.stringify(outbound.metadata),
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['source', 'source_message_id']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) {
        const stored = await tx
          .selectFrom('messages')
          .selectAll()
          .where('source', '=', outbound.source)
          .where('source_message_id', '=', outbound.sourceMessageId)
          .executeTakeFirstOrThrow();
        return { created: false, message: stored, events: [] as HubEvent[] };
      }
      await tx
        .updateTable('conversations')
        .set({
          updated_at: now,
          last_message_at: now,
          ...(outbound.authorKind === 'agent' && !conversation.first_agent_reply_at ? { first_agent_reply_at: now } : {}),
        })
        .where('id', '=', conversation.id)
        .execute();
      await deps.queue.enqueueIn(tx, [
        { name: 'message.deliver', data: { messageId: inserted.id } },
        ...(deps.jobsOnStore?.(inserted, conversation) ?? []),
      ]);
      const events: HubEvent[] = [
        {
          type: 'message.created',
          conversationId: conversation.id,
          messageId: inserted.id,
          position: inserted.position,
          direction: 'outbound',
          authorKind: inserted.author_kind,
          channel: conversation.channel,
        },
      ];
      await deps.bus.stageIn(tx, events);
      return { created: true, message: inserted, events };
    }),
  );
  deps.bus.emitLocal(committed.events.map((event) => ({ ...event, row: committed.message })));
  if (committed.created) deps.queue.wake(['message.deliver']);
  return { created: committed.created, message: committed.message };
}
