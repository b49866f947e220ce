import { helpdeskChatAddress, type HelpdeskConversationInfo, type HelpdeskCustomer, type HelpdeskThread, type HelpdeskWrite, type SyncedMessage, type WriteOutcome } from '../../src/capabilities/helpdesk.js';
import { conversationSubject } from '../../src/conversations/subject.js';
import type { ZendeskComment, ZendeskTicket, ZendeskTicketWrite, ZendeskUser } from './dto.js';

/**
 * Canonical model ⇄ Zendesk. Every body built here is a pure function of the write, so a write
 * rebuilt after a crash sends (and `findWrite` looks for) exactly the same text.
 */

/**
 * Set on every ticket the hub creates. The README has admins add "Tags: contains none of
 * hub_delivered" to the triggers that mail requesters, so Zendesk stays quiet where the hub
 * delivers agent replies itself (ARCHITECTURE §6).
 */
export const HUB_TAG = 'hub_delivered';
export const URGENCY_LEVELS = ['urgent', 'high', 'normal', 'low'] as const;
/** Zendesk's attachment limit: 50 MB per file. */
export const MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024;

type Write<K extends HelpdeskWrite['kind']> = Extract<HelpdeskWrite, { kind: K }>;

/** Zendesk tags are lower case without spaces; underscores are its house style (`urgency-high` → `urgency_high`). */
export function zendeskTag(tag: string): string {
  return tag.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

function unique(tags: string[]): string[] {
  return [...new Set(tags.filter(Boolean))];
}

export function createTags(op: Write<'create'>): string[] {
  return unique([HUB_TAG, `hub_${op.channel}`, ...op.tags.map(zendeskTag)]);
}

/**
 * The ticket's whole tag set after a triage call: the level's tag in, the other levels' out, every
 * other tag kept. Sent as the documented `tags` field of Update Ticket (a set, not a delta:
 * `additional_tags`/`remove_tags` are documented for Update Many Tickets only), guarded by
 * `safe_update` so a tag an agent adds meanwhile is never overwritten.
 */
export function triageTagSet(current: readonly string[], op: Write<'triage'>): string[] {
  const level = `urgency_${op.level}`;
  const others = new Set(URGENCY_LEVELS.filter((l) => l !== op.level).map((l) => `urgency_${l}`));
  return unique([...current.filter((t) => !others.has(t)), level, ...op.tags.map(zendeskTag).filter((t) => !others.has(t))]);
}

/** What a customer's follow-up does to the status: Zendesk's own rule for requester updates, made explicit. */
export function reopenedStatus(status: string): { status?: 'open' } {
  // The API user, not the named author, is the updater (Tickets › Author id), so Zendesk would
  // leave a pending or solved ticket as it is. On-hold waits for a third party: left alone.
  return status === 'pending' || status === 'solved' ? { status: 'open' } : {};
}

/** Attachments over Zendesk's limit become link lines in the comment (deterministic from the messages). */
export function oversizeLines(messages: SyncedMessage[], maxBytes: number): string[] {
  return messages.flatMap((m) =>
    m.attachments
      .filter((a) => a.size > maxBytes)
      .map((a) => `Attachment too large for Zendesk: ${a.filename} (${formatBytes(a.size)}) ${a.url ?? '(not available: no public URL configured)'}`),
  );
}

/** The messages as one comment: texts separated by a blank line, then the link lines. */
export function combinedBody(messages: SyncedMessage[], maxBytes: number): string {
  const texts = messages.map((m) => m.text.trim()).filter((t) => t.length > 0);
  const links = oversizeLines(messages, maxBytes);
  const body = [texts.join('\n\n'), links.join('\n')].filter((part) => part.length > 0).join('\n\n');
  // Zendesk refuses a blank comment; a message of attachments only still needs words.
  return body || (messages.some((m) => m.attachments.length > 0) ? '(attachments)' : '(empty message)');
}

/** For comparing what we sent with what Zendesk stored (it trims and normalises line ends). */
export function normaliseBody(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function commentMatches(comment: ZendeskComment, expected: string): boolean {
  const wanted = normaliseBody(expected);
  return [comment.body, comment.plain_body].some((text) => typeof text === 'string' && normaliseBody(text) === wanted);
}

/**
 * The requester of a new ticket. An in-app chat customer whose email the product did not prove
 * for them is given the hub's address for their contact (helpdeskChatAddress), never the claimed
 * one: a claim to someone else's address must not file the ticket under that person's Zendesk
 * user (their history, their card). An anonymous visitor without a contact gets a stable address
 * per conversation. Both are under the reserved `.invalid` TLD (RFC 2606; no mail reaches it):
 * Zendesk documents that a requester who does not exist "may be created automatically depending
 * on account settings" and says nothing of one given by name alone, so every requester takes the
 * documented email path, and follow-ups find the same user.
 */
export function requesterOf(customer: HelpdeskCustomer, conversationId: string, channel: 'chat' | 'email' = 'email'): { name: string; email: string } {
  const unproven = channel === 'chat' && !customer.verified && customer.contactId !== undefined;
  const email = unproven ? helpdeskChatAddress(customer.contactId!) : (customer.email ?? `visitor-${conversationId.toLowerCase()}@chat.invalid`);
  const name = customer.name?.trim() || customer.email || `Visitor ${conversationId.slice(0, 8)}`;
  return { name, email };
}

/** The hub's subject for the ticket (the sidebar card shows the same). */
export function subjectOf(op: Write<'create'>): string {
  return conversationSubject(op.subject, op.channel, op.messages.map((m) => m.text));
}

/** Zendesk's new/open → open, pending/hold → pending, solved/closed → closed (case-insensitive: event payloads use upper case). */
export function canonicalStatus(status: string | null | undefined): 'open' | 'pending' | 'closed' | null {
  switch (status?.toLowerCase()) {
    case 'new':
    case 'open':
      return 'open';
    case 'pending':
    case 'hold':
      return 'pending';
    case 'solved':
    case 'closed':
      return 'closed';
    default:
      return null;
  }
}

/** The id of the comment a write added: its audit's Comment event carries the comment's id (null without an audit). */
export function addedCommentId(write: ZendeskTicketWrite): string | null {
  const event = write.audit?.events.find((e) => e.type === 'Comment');
  return event ? String(event.id) : null;
}

export function createOutcome(ticket: ZendeskTicket, commentId: string | null): WriteOutcome {
  return { externalId: String(ticket.id), threadIds: commentId ? [commentId] : [], metadata: { requesterId: ticket.requester_id } };
}

/** What the adapter keeps in ConversationRef.metadata: the requester, who authors pushed customer messages. */
export function requesterIdFrom(metadata: Record<string, unknown>): number | null {
  const value = metadata['requesterId'];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

export interface ThreadContext {
  requesterId: number;
  apiUserId: number | null;
  users: Map<number, ZendeskUser>;
}

/**
 * A comment as the engine reads it back. Ours (`byHub`) are the comments written through the API
 * by the hub's user, or authored by the requester through the API (pushed customer messages).
 * Comments agents write in Zendesk come via `web` (or email) and are never ours.
 */
export function threadOf(comment: ZendeskComment, context: ThreadContext): HelpdeskThread {
  const author = context.users.get(comment.author_id);
  const staff = author ? author.role === 'agent' || author.role === 'admin' : comment.author_id === context.apiUserId;
  const byRequester = comment.author_id === context.requesterId;
  const viaApi = comment.via?.channel === 'api';
  const kind: HelpdeskThread['kind'] = !comment.public ? 'note' : byRequester ? 'customer' : staff ? 'agent' : 'other';
  return {
    id: String(comment.id),
    kind,
    public: comment.public,
    byHub: viaApi && (comment.author_id === context.apiUserId || byRequester),
    authorName: author?.name ?? null,
    text: comment.plain_body ?? comment.body ?? '',
    html: comment.html_body ?? null,
    createdAt: new Date(comment.created_at),
    attachments: (comment.attachments ?? []).map((a) => ({
      filename: a.file_name,
      contentType: a.content_type ?? 'application/octet-stream',
      size: a.size ?? 0,
      url: a.content_url ?? null,
    })),
  };
}

/**
 * A hub incident's problem ticket carries `hub-incident:<incident id>` as its external_id, so it
 * is never taken for a conversation of ours (whose external_id is the bare conversation id) and a
 * lost create is found by the incident.
 */
const PROBLEM_PREFIX = 'hub-incident:';

export function problemExternalId(incidentId: string): string {
  return `${PROBLEM_PREFIX}${incidentId}`;
}

export function incidentIdOf(externalId: string | null | undefined): string | null {
  return externalId?.startsWith(PROBLEM_PREFIX) ? externalId.slice(PROBLEM_PREFIX.length) : null;
}

export function conversationInfo(ticket: ZendeskTicket, requester: ZendeskUser | undefined): HelpdeskConversationInfo {
  const hubIncidentId = incidentIdOf(ticket.external_id);
  return {
    externalId: String(ticket.id),
    hubConversationId: ticket.external_id?.trim() && !hubIncidentId ? ticket.external_id : null,
    ...(hubIncidentId ? { hubIncidentId } : {}),
    subject: ticket.subject ?? null,
    status: canonicalStatus(ticket.status) ?? 'open',
    customer: { email: requester?.email ?? null, name: requester?.name ?? null, ...(requester?.verified === true ? { verified: true } : {}) },
    createdAt: new Date(ticket.created_at),
  };
}

function formatBytes(size: number): string {
  return size >= 1024 * 1024 ? `${(size / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(size / 1024)} KB`;
}
