import type { Logger } from 'pino';
import type { BatchJobHandler, JobRequest } from '../jobs/catalog.js';
import type { ChannelKind, Contact, Conversation, Message } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { EventBus } from './events.js';

/**
 * The one interface the core calls to reach a customer (ARCHITECTURE §4). Chat and email each
 * implement it. Delivery is at least once, so `deliver` must be idempotent by message id: the
 * same message delivered twice reaches the customer once.
 */
export interface ChannelDelivery {
  channel: ChannelKind;
  deliver(delivery: OutboundDelivery): Promise<void>;
  /**
   * Jobs the channel wants enqueued in the same transaction that stores an outbound message
   * (e.g. chat's check for a reply left unread), so they exist exactly when the message does.
   */
  jobsOnStore?(message: Message, conversation: Conversation): JobRequest[];
  /**
   * The channel hands an outbound message to its customers as it commits (chat: the event bus to
   * open sockets, the client's cursor on its next connect), so it is delivered when stored: no
   * delivery job is enqueued for it. `deliver` still serves jobs enqueued before.
   */
  deliveredOnStore?: boolean;
}

export interface OutboundDelivery {
  message: Message;
  conversation: Conversation;
  contact: Contact;
}

export class NoChannelError extends Error {
  constructor(channel: string) {
    super(`no delivery is configured for the ${channel} channel; the message stays queued for retry`);
    this.name = 'NoChannelError';
  }
}

/**
 * Handler of the `message.deliver` job, a fetched batch at a time: the messages, their
 * conversations and customers in two reads, each delivered on its channel in order, then marked
 * delivered in one write. A message already delivered (a redelivered job) is skipped.
 */
export function deliverMessageJob(deps: {
  store: Store;
  bus: EventBus;
  log: Logger;
  channels: readonly ChannelDelivery[];
}): BatchJobHandler<'message.deliver'> {
  const byChannel = new Map(deps.channels.map((channel) => [channel.channel, channel]));
  return {
    async batch(jobs) {
      const ids = [...new Set(jobs.map((j) => j.payload.messageId))];
      const messages = new Map(
        (await deps.store.db.selectFrom('messages').selectAll().where('id', 'in', ids).orderBy('position').execute()).map((m) => [m.id, m]),
      );
      const conversationIds = [...new Set([...messages.values()].map((m) => m.conversation_id))];
      const rows =
        conversationIds.length === 0
          ? []
          : await deps.store.db
              .selectFrom('conversations as c')
              .innerJoin('contacts as k', 'k.id', 'c.contact_id')
              .selectAll('c')
              .select([
                'k.identity_kind as k_identity_kind',
                'k.identity_key as k_identity_key',
                'k.email as k_email',
                'k.name as k_name',
                'k.verified as k_verified',
                'k.created_at as k_created_at',
                'k.updated_at as k_updated_at',
              ])
              .where('c.id', 'in', conversationIds)
              .execute();
      const context = new Map(
        rows.map(({ k_identity_kind, k_identity_key, k_email, k_name, k_verified, k_created_at, k_updated_at, ...conversation }) => {
          const contact: Contact = {
            id: conversation.contact_id,
            identity_kind: k_identity_kind,
            identity_key: k_identity_key,
            email: k_email,
            name: k_name,
            verified: k_verified,
            created_at: k_created_at,
            updated_at: k_updated_at,
          };
          return [conversation.id, { conversation, contact }] as const;
        }),
      );
      const outcome = new Map<string, Error | null>();
      const delivered: string[] = [];
      // In position order, so a customer receives a conversation's messages in order.
      for (const message of messages.values()) {
        if (message.delivered_at || message.direction !== 'outbound') {
          outcome.set(message.id, null);
          continue;
        }
        const found = context.get(message.conversation_id);
        const channel = found && byChannel.get(found.conversation.channel);
        if (!found || !channel) {
          outcome.set(message.id, new NoChannelError(found?.conversation.channel ?? 'unknown'));
          continue;
        }
        try {
          await channel.deliver({ message, conversation: found.conversation, contact: found.contact });
          delivered.push(message.id);
          outcome.set(message.id, null);
        } catch (error) {
          outcome.set(message.id, error as Error);
        }
      }
      if (delivered.length > 0) {
        const marked = await deps.store.db
          .updateTable('messages')
          .set({ delivered_at: new Date() })
          .where('id', 'in', delivered)
          .where('delivered_at', 'is', null)
          .returning(['id', 'conversation_id'])
          .execute();
        if (marked.length > 0) {
          await deps.bus.publish(marked.map((m) => ({ type: 'message.delivered' as const, conversationId: m.conversation_id, messageId: m.id })));
        }
      }
      for (const id of ids) {
        if (!messages.has(id)) {
          deps.log.warn({ messageId: id }, 'message to deliver no longer exists; dropping the job');
          outcome.set(id, null);
        }
      }
      return jobs.map((j) => outcome.get(j.payload.messageId) ?? null);
    },
  };
}
