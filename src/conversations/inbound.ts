import { z } from 'zod';
import type { Contact, Conversation, Message } from '../store/schema.js';
import type { JobRequest } from '../jobs/catalog.js';

/** What a channel hands to `ingest()`: one customer message, already verified and parsed. */
export const inboundMessageSchema = z.object({
  channel: z.enum(['chat', 'email', 'helpdesk']),
  /** Routing source: `chat:<app id>`, `email:<mailbox>`, or a helpdesk integration id. */
  source: z.string().min(1).max(200),
  /** The source's own id for this message (chat client_id, Message-ID, helpdesk thread id). */
  sourceMessageId: z.string().min(1).max(1000),
  /** Find-or-create by the source's threading key, or append to a known conversation. */
  thread: z.union([z.object({ key: z.string().min(1).max(1000) }), z.object({ conversationId: z.uuid() })]),
  contact: z.object({
    identityKind: z.string().min(1).max(50),
    identityKey: z.string().min(1).max(500),
    email: z.string().max(320).nullish(),
    name: z.string().max(500).nullish(),
    /** Proven (user_hash, DMARC pass, helpdesk record); unverified claims never unlock account data. */
    verified: z.boolean(),
  }),
  subject: z.string().max(2000).nullish(),
  text: z.string().max(1_000_000),
  html: z.string().max(5_000_000).nullish(),
  attachments: z
    .array(
      z.object({
        id: z.string(),
        filename: z.string(),
        contentType: z.string(),
        size: z.number().int().nonnegative(),
        location: z.string(),
      }),
    )
    .default([]),
  metadata: z.record(z.string(), z.unknown()).default({}),
  receivedAt: z.date().optional(),
});

export type InboundMessage = z.input<typeof inboundMessageSchema>;
export type ParsedInbound = z.output<typeof inboundMessageSchema>;

export interface IngestResult {
  /** False when this source message was already stored: nothing was written or enqueued. */
  created: boolean;
  newConversation: boolean;
  message: Message;
  conversation: Conversation;
  contact: Contact;
}

/**
 * Who reacts to a new inbound message (triage; sync to each enabled helpdesk): each follow-up
 * turns a stored message into the jobs enqueued in the same transaction.
 */
export type InboundFollowUp = (result: IngestResult) => JobRequest[];
