import type { ChannelDelivery } from '../../conversations/delivery.js';
import type { Store } from '../../store/store.js';
import type { Mailer } from '../../mail/mailer.js';
import { replyAddress } from './reply-address.js';
import { recordMessageId } from './threading.js';

/**
 * Agent replies and acknowledgements on an email conversation, mailed by the hub (ARCHITECTURE
 * §6: for mail the hub received, the hub speaks and the helpdesk's own mail stays off). Each
 * carries our signed reply address, a Message-ID of our domain derived from the message id, and
 * In-Reply-To/References of the thread, so the customer's client threads it and their answer
 * comes back to the same conversation. Automatic mail is marked `Auto-Submitted: auto-replied`.
 */
export function emailDelivery(deps: { store: Store; mailer: Mailer | null; replySecret: string | undefined; domain: string | null }): ChannelDelivery {
  return {
    channel: 'email',
    async deliver({ message, conversation, contact }) {
      const { mailer, replySecret, domain } = deps;
      if (!mailer || !replySecret || !domain) throw new Error('outbound mail is not configured (MAIL_SMTP_URL, MAIL_FROM, MAIL_INBOUND_ADDRESS, MAIL_REPLY_SECRET)');
      if (!contact.email) throw new Error(`customer of conversation ${conversation.id} has no email address`);
      const mailbox = conversation.source.replace(/^email:/, '');
      const key = `message:${message.id}`;
      const messageId = mailer.messageIdFor(key);
      // Look before resending: a send whose answer was lost is already recorded by its Message-ID.
      const sent = await deps.store.db.selectFrom('mail_message_ids').select('message_id').where('mailbox', '=', mailbox).where('message_id', '=', messageId).executeTakeFirst();
      if (sent) return;
      const thread = await deps.store.db
        .selectFrom('mail_message_ids')
        .select(['message_id', 'direction'])
        .where('conversation_id', '=', conversation.id)
        .orderBy('created_at')
        .execute();
      const lastInbound = [...thread].reverse().find((t) => t.direction === 'inbound');
      const subject = conversation.subject ? (/^re:/i.test(conversation.subject) ? conversation.subject : `Re: ${conversation.subject}`) : 'Re: your message';
      await mailer.send({
        to: { address: contact.email, name: contact.name },
        subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
        key,
        ...(message.author_kind === 'system' ? { automatic: 'auto-replied' as const } : {}),
        ...(lastInbound ? { inReplyTo: lastInbound.message_id } : {}),
        // RFC 5322 §3.6.4: the thread's ids, oldest first; long threads keep the root and the newest.
        references: keepRootAndNewest(thread.map((t) => t.message_id), 20),
        replyTo: replyAddress(replySecret, conversation.id, domain),
      });
      await recordMessageId(deps.store, { mailbox, messageId, conversationId: conversation.id, direction: 'outbound', hubMessageId: message.id });
    },
  };
}

function keepRootAndNewest(ids: string[], max: number): string[] {
  return ids.length <= max ? ids : [ids[0]!, ...ids.slice(ids.length - (max - 1))];
}
