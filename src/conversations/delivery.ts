import type { Logger } from 'pino';
import type { JobHandler, JobRequest } from '../jobs/catalog.js';
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

/** Handler of the `message.deliver` job. */
export function deliverMessageJob(deps: {
  store: Store;
  bus: EventBus;
  log: Logger;
  channels: readonly ChannelDelivery[];
}): JobHandler<'message.deliver'> {
  const byChannel = new Map(deps.channels.map((channel) => [channel.channel, channel]));
  return async ({ messageId }) => {
    const message = await deps.store.db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
    if (!message) {
      deps.log.warn({ messageId }, 'message to deliver no longer exists; dropping the job');
      return;
    }
    if (message.delivered_at || message.direction !== 'outbound') return;
    // Conversation and customer in one read.
    const row = await deps.store.db
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
      .where('c.id', '=', message.conversation_id)
      .executeTakeFirstOrThrow();
    const { k_identity_kind, k_identity_key, k_email, k_name, k_verified, k_created_at, k_updated_at, ...conversation } = row;
    const channel = byChannel.get(conversation.channel);
    if (!channel) throw new NoChannelError(conversation.channel);
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
    await channel.deliver({ message, conversation, contact });
    const marked = await deps.store.db
      .updateTable('messages')
      .set({ delivered_at: new Date() })
      .where('id', '=', messageId)
      .where('delivered_at', 'is', null)
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) > 0) {
      await deps.bus.publish([{ type: 'message.delivered', conversationId: conversation.id, messageId }]);
    }
  };
}
