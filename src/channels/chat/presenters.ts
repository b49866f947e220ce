import type { AttachmentRef, Conversation, Message } from '../../store/schema.js';
import type { ApiFirstReply } from './first-reply.js';

/**
 * Store rows → API v1 objects. Responses only ever gain fields (the v1 compatibility promise), so
 * every field here is in `openapi.json`, and nothing internal (sources, metadata) leaks out.
 */
export interface ApiAttachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
}

export interface ApiMessage {
  id: string;
  conversation_id: string;
  client_id: string | null;
  direction: 'inbound' | 'outbound';
  author: { kind: 'customer' | 'agent' | 'system'; name: string | null };
  text: string;
  attachments: ApiAttachment[];
  created_at: string;
  read_at: string | null;
  cursor: string;
}

export interface ApiConversation {
  id: string;
  subject: string | null;
  status: 'open' | 'pending' | 'closed';
  created_at: string;
  updated_at: string;
  last_message_at: string;
  unread_count: number;
  /** Added in v1 (additive): this conversation's reply-time promise and when it was answered. */
  first_reply: ApiFirstReply;
}

/** Cursors are opaque to clients; inside they are the store's global message position. */
export function encodeCursor(position: number): string {
  return Buffer.from(`p${position}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined | null): number | null {
  if (!cursor) return null;
  const match = /^p(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

export function presentAttachment(ref: AttachmentRef): ApiAttachment {
  return { id: ref.id, filename: ref.filename, content_type: ref.contentType, size: ref.size, url: `/v1/attachments/${ref.id}` };
}

export function presentMessage(message: Message): ApiMessage {
  const metadata = message.metadata as { clientId?: unknown };
  return {
    id: message.id,
    conversation_id: message.conversation_id,
    client_id: typeof metadata.clientId === 'string' ? metadata.clientId : null,
    direction: message.direction,
    author: { kind: message.author_kind, name: message.author_name },
    text: message.text,
    attachments: (message.attachments as AttachmentRef[]).map(presentAttachment),
    created_at: message.created_at.toISOString(),
    read_at: message.read_at ? message.read_at.toISOString() : null,
    cursor: encodeCursor(message.position),
  };
}

const NOTHING_PROMISED: ApiFirstReply = { promise: null, due_at: null, answered_at: null };

export function presentConversation(conversation: Conversation, unreadCount: number, firstReply: ApiFirstReply = NOTHING_PROMISED): ApiConversation {
  return {
    id: conversation.id,
    subject: conversation.subject,
    status: conversation.status,
    created_at: conversation.created_at.toISOString(),
    updated_at: conversation.updated_at.toISOString(),
    last_message_at: conversation.last_message_at.toISOString(),
    unread_count: unreadCount,
    first_reply: firstReply,
  };
}
