import { z } from 'zod';
import type { Logger } from 'pino';
import { parseInput } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Conversation, Message } from '../store/schema.js';
import type { JobRequest } from '../jobs/catalog.js';
import type { Store, Tx } from '../store/store.js';
import type { EventBus, HubEvent } from './events.js';
import { withTransientRetry } from './transient.js';
import { GroupCommitter } from './group-commit.js';
import { writeReplyBatch, type StoredReply } from './reply-batch.js';

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
  /** `helpdesk`: the helpdesk itself reaches the customer; the hub stores the reply and sends nothing. */
  deliveredBy: z.enum(['hub', 'helpdesk']).default('hub'),
});
export type OutboundReply = z.input<typeof outboundReplySchema>;

export type ParsedReply = z.output<typeof outboundReplySchema>;

export interface ReplyResult {
  created: boolean;
  message: Message;
}

export interface ReplierDeps {
  store: Store;
  queue: JobQueue;
  bus: EventBus;
  log: Logger;
  clock?: () => Date;
  /** Jobs enqueued with the stored replies, in their transaction (the channel's, sync's and triage's). */
  jobsOnStore?: (tx: Tx, stored: readonly { message: Message; conversation: Conversation }[]) => Promise<JobRequest[]>;
  /** The conversation's channel delivers as the reply commits: no delivery job (ChannelDelivery.deliveredOnStore). */
  deliveredOnStore?: (conversation: Conversation) => boolean;
}

/**
 * `reply()`: stores an outbound message (an agent's reply from a helpdesk, or the hub's own) and
 * enqueues its delivery to the customer's channel in the same transaction (email: a durable
 * delivery job). Chat needs none: the event right after commit shows it on open sockets, and a
 * client that was away reads it from its cursor when it connects. The same (source,
 * sourceMessageId) again returns the stored reply and sends nothing. Concurrent replies share
 * transactions (group commit).
 */
export class Replier {
  private readonly group: GroupCommitter<ParsedReply, ReplyResult>;

  constructor(private readonly deps: ReplierDeps) {
    this.group = new GroupCommitter({
      commit: (items) => this.commit(items),
      laneKey: (item) => item.conversationId,
      log: deps.log,
      what: 'reply',
    });
  }

  reply(input: OutboundReply): Promise<ReplyResult> {
    let outbound: ParsedReply;
    try {
      outbound = parseInput(outboundReplySchema, input, 'reply', 'invalid_reply');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.group.submit(outbound);
  }

  drain(): Promise<void> {
    return this.group.drain();
  }

  private async commit(items: ParsedReply[]): Promise<(ReplyResult | Error)[]> {
    const { store, queue, bus } = this.deps;
    const now = this.deps.clock?.() ?? new Date();
    const committed = await withTransientRetry(() =>
      store.transaction(async (tx) => {
        const results = await writeReplyBatch(tx, items, now, this.deps.deliveredOnStore);
        const created = results.filter((r): r is StoredReply => !(r instanceof Error) && r.created);
        const jobs: JobRequest[] = [
          ...created.flatMap(({ message }) => (message.delivered_at ? [] : [{ name: 'message.deliver' as const, data: { messageId: message.id } }])),
          ...(created.length > 0 && this.deps.jobsOnStore ? await this.deps.jobsOnStore(tx, created) : []),
        ];
        await queue.enqueueIn(tx, jobs);
        const events: HubEvent[] = created.map(({ message, conversation }) => ({
          type: 'message.created',
          conversationId: conversation.id,
          messageId: message.id,
          position: message.position,
          direction: 'outbound',
          authorKind: message.author_kind,
          channel: conversation.channel,
        }));
        await bus.stageIn(tx, events);
        return { results, created, events };
      }),
    );
    // In this process listeners get the committed row and need not read it back.
    bus.emitLocal(committed.events.map((event, i) => ({ ...event, row: committed.created[i]!.message })));
    return committed.results.map((r) => (r instanceof Error ? r : { created: r.created, message: r.message }));
  }
}
