import type { RawRequest, VerifyResult } from './webhook.js';

/**
 * What the sync engine asks of a helpdesk (Help Scout, Zendesk, …). Every push is keyed by our
 * own ids so the adapter can make a retry harmless at the vendor (idempotency key, external_id,
 * or look-up-before-retry where the vendor offers neither).
 */
export type HelpdeskSyncEvent =
  | {
      kind: 'conversation.created';
      conversationId: string;
      channel: 'chat' | 'email' | 'helpdesk';
      subject: string | null;
      customer: { email: string | null; name: string | null; verified: boolean };
      firstMessage: SyncedMessage;
    }
  | { kind: 'message.appended'; conversationId: string; externalConversationId: string; messages: SyncedMessage[] }
  | { kind: 'note.added'; conversationId: string; externalConversationId: string; noteId: string; text: string }
  | {
      kind: 'triage.updated';
      conversationId: string;
      externalConversationId: string;
      level: 'urgent' | 'high' | 'normal' | 'low';
      tags: string[];
      note: string;
    };

export interface SyncedMessage {
  messageId: string;
  text: string;
  html: string | null;
  createdAt: Date;
  attachments: { filename: string; contentType: string; size: number; url: string | null }[];
}

export interface HelpdeskPushResult {
  /** The vendor's id for the conversation/ticket (and for each pushed message where it has one). */
  externalConversationId: string;
  externalMessageIds?: Record<string, string>;
}

/** Canonical events a helpdesk webhook turns into. */
export type HelpdeskInboundEvent =
  | {
      kind: 'agent.replied';
      externalConversationId: string;
      externalMessageId: string;
      agentName: string | null;
      text: string | null;
      html: string | null;
      createdAt: Date;
    }
  | { kind: 'conversation.status_changed'; externalConversationId: string; status: 'open' | 'pending' | 'closed' }
  | {
      kind: 'conversation.started';
      externalConversationId: string;
      customer: { email: string; name: string | null };
      subject: string | null;
      text: string;
      externalMessageId: string;
      createdAt: Date;
    };

export interface ConnectionCheck {
  ok: boolean;
  detail: string;
  /** A hint for an operator when `ok` is false (shown by `npm run doctor`). */
  hint?: string;
}

export interface HelpdeskCapability {
  push(event: HelpdeskSyncEvent, signal?: AbortSignal): Promise<HelpdeskPushResult>;
  verifyWebhook(request: RawRequest): VerifyResult;
  /** Parses a verified webhook body; `deliveryId` is what dedupes a redelivery. */
  parseWebhook(request: RawRequest): { deliveryId: string; events: HelpdeskInboundEvent[] };
  checkConnection(): Promise<ConnectionCheck>;
}
