import { z } from 'zod';
import { helpdeskChatAddress } from '../../src/capabilities/helpdesk.js';
import type {
  HelpdeskConversationInfo,
  HelpdeskCustomer,
  HelpdeskThread,
  HelpdeskWrite,
  SyncedAttachment,
  SyncedMessage,
} from '../../src/capabilities/helpdesk.js';
import { VendorError } from '../../src/vendors/error.js';
import { conversationSubject } from '../../src/conversations/subject.js';
import { fitText, htmlToText, textToHtml } from './text.js';

/**
 * Canonical model ⇄ Help Scout Mailbox API v2 DTOs. Everything a write sends is computed here from
 * the write alone (never from state read at send time), so a retry and findWrite compute the same
 * thread text and recognise what an earlier attempt left behind.
 */

/** Largest attachment Help Scout takes (10 MB: developer.helpscout.com/help-desk-api …/create-attachment). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** Attachment bytes we inline into one request, all files together. */
export const MAX_INLINE_BYTES_PER_REQUEST = 10 * 1024 * 1024;
/** JSON-encoded body of one thread; Help Scout's default request limit is 100 kB (see README). */
export const MAX_THREAD_BODY_BYTES = 90_000;
/** JSON-encoded bodies of all threads of one create; Create conversation allows 256 kB. */
export const MAX_CREATE_BODIES_BYTES = 240_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Our id on the conversation: Help Scout lowercases tags, so ours is lowercase already. */
export const hubTag = (conversationId: string) => `hub-${conversationId.toLowerCase()}`;

export function hubConversationIdFromTags(tags: readonly string[]): string | null {
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('hub-') && UUID.test(lower.slice(4))) return lower.slice(4);
  }
  return null;
}

// ---- what Help Scout returns (only the fields we use; the rest passes through) ---------------

const person = z.object({
  id: z.number().nullish(),
  type: z.string().nullish(),
  first: z.string().nullish(),
  last: z.string().nullish(),
  email: z.string().nullish(),
});

export const threadDto = z.object({
  id: z.number(),
  type: z.string(),
  state: z.string().nullish(),
  status: z.string().nullish(),
  body: z.string().nullish(),
  source: z.object({ type: z.string().nullish(), via: z.string().nullish() }).nullish(),
  customer: person.nullish(),
  createdBy: person.nullish(),
  createdAt: z.string(),
  _embedded: z
    .object({
      attachments: z
        .array(
          z.object({
            filename: z.string().nullish(),
            mimeType: z.string().nullish(),
            size: z.number().nullish(),
            _links: z.record(z.string(), z.object({ href: z.string() }).nullish()).nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});
export type ThreadDto = z.infer<typeof threadDto>;

const tagDto = z.union([z.string(), z.object({ tag: z.string() })]);

export const conversationDto = z.object({
  id: z.number(),
  type: z.string().nullish(),
  status: z.string(),
  subject: z.string().nullish(),
  createdAt: z.string(),
  userUpdatedAt: z.string().nullish(),
  modifiedAt: z.string().nullish(),
  tags: z.array(tagDto).nullish(),
  primaryCustomer: person.nullish(),
  // Embedded threads (`embed=threads`) are never asked for: threads are read from their own
  // endpoint, so whatever a list embeds is not parsed and cannot make its conversations unreadable.
});
export type ConversationDto = z.infer<typeof conversationDto>;

const pageInfo = z.object({ number: z.number(), totalPages: z.number() }).nullish();
export const threadsPage = z.object({ _embedded: z.object({ threads: z.array(threadDto) }).nullish(), page: pageInfo });
export const conversationsPage = z.object({ _embedded: z.object({ conversations: z.array(conversationDto) }).nullish(), page: pageInfo });
export const mailboxDto = z.object({ id: z.number(), name: z.string().nullish(), email: z.string().nullish() });
export const userDto = z.object({ id: z.number() });

/** A vendor answer we cannot read is the vendor misbehaving, not our request being wrong. */
export function parseVendor<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new VendorError('unavailable', `helpscout returned an unexpected ${what}: ${result.error.issues[0]?.message ?? 'invalid'}`);
}

export const tagNames = (tags: ConversationDto['tags']) => (tags ?? []).map((t) => (typeof t === 'string' ? t : t.tag).toLowerCase());

// ---- Help Scout → canonical ------------------------------------------------------------------

export function statusFromHelpScout(status: string): 'open' | 'pending' | 'closed' {
  if (status === 'pending') return 'pending';
  if (status === 'closed' || status === 'spam') return 'closed';
  return 'open';
}

/**
 * One thread as the engine reads it. The engine knows the hub's own threads by the ids it recorded
 * when it wrote them; `byHub` adds only what is certain without them: a thread written through the
 * API (`source.type` "api") by the user our app acts as (our notes and replies). A customer thread
 * is never assumed ours from its source, and another API integration's reply is an agent's.
 */
export function threadFromDto(dto: ThreadDto, ownUserId: number | null): HelpdeskThread {
  const byUser = dto.createdBy?.type === 'user';
  const kind: HelpdeskThread['kind'] =
    dto.type === 'note'
      ? 'note'
      : dto.type === 'customer'
        ? 'customer'
        : dto.type === 'chat'
          ? byUser
            ? 'agent'
            : 'customer'
          : dto.type === 'reply' || dto.type === 'message'
            ? 'agent'
            : 'other';
  const published = (dto.state ?? 'published') === 'published';
  const viaApi = dto.source?.type === 'api';
  const name = [dto.createdBy?.first, dto.createdBy?.last].filter((p): p is string => !!p).join(' ');
  return {
    id: String(dto.id),
    kind,
    public: (kind === 'customer' || kind === 'agent') && published,
    byHub: viaApi && byUser && ownUserId !== null && dto.createdBy?.id === ownUserId,
    authorName: name || dto.createdBy?.email || null,
    text: htmlToText(dto.body ?? ''),
    html: dto.body ?? null,
    createdAt: new Date(dto.createdAt),
    attachments: (dto._embedded?.attachments ?? []).map((a) => ({
      filename: a.filename ?? 'attachment',
      contentType: a.mimeType ?? 'application/octet-stream',
      size: a.size ?? 0,
      url: a._links?.['web']?.href ?? a._links?.['data']?.href ?? null,
    })),
  };
}

export function conversationInfo(dto: ConversationDto): HelpdeskConversationInfo {
  const customer = dto.primaryCustomer;
  const name = [customer?.first, customer?.last].filter((p): p is string => !!p).join(' ');
  return {
    externalId: String(dto.id),
    hubConversationId: hubConversationIdFromTags(tagNames(dto.tags)),
    subject: dto.subject ?? null,
    status: statusFromHelpScout(dto.status),
    customer: { email: customer?.email ?? null, name: name || null },
    createdAt: new Date(dto.createdAt),
  };
}

export const oldestFirst = (a: HelpdeskThread, b: HelpdeskThread) => a.createdAt.getTime() - b.createdAt.getTime() || Number(a.id) - Number(b.id);

// ---- canonical → Help Scout ------------------------------------------------------------------

/** Help Scout's date format: yyyy-MM-dd'T'HH:mm:ss'Z', no fraction (…/overview/errors "Malformed date"). */
export const helpScoutDate = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The address Help Scout knows the customer by (it needs an email or a customer id for every
 * conversation). In-app chat customers get the hub's per-contact `.invalid` address, whatever
 * email they gave: Help Scout documents silence only for the importing request, and an address
 * no mail can reach is the one way to be sure it never mails a chat customer a second copy of an
 * agent's reply (the hub delivers it in the chat). The sidebar maps it back to the contact. Email
 * customers are known by their own address (an anonymous one — none — by a per-conversation one).
 */
export function customerEmail(customer: HelpdeskCustomer, conversationId: string, channel: 'chat' | 'email'): string {
  if (channel === 'chat' && customer.contactId) return helpdeskChatAddress(customer.contactId);
  return customer.email ?? `visitor-${conversationId.toLowerCase()}@chat.invalid`;
}

export function splitName(name: string | null): { firstName?: string; lastName?: string } {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return {};
  const firstName = parts[0]!.slice(0, 40);
  const lastName = parts.slice(1).join(' ').slice(0, 40);
  return lastName ? { firstName, lastName } : { firstName };
}

/** One thread we are about to send: its text (with link lines) and the files uploaded inline. */
export interface ThreadPlan {
  text: string;
  inline: SyncedAttachment[];
  createdAt: Date;
}

/**
 * Files within the limits go inline; the others become a line with their link, decided by their
 * stated size only, so the text is the same on every attempt.
 */
function planMessage(message: SyncedMessage, budget: { bytes: number }): { text: string; inline: SyncedAttachment[] } {
  const inline: SyncedAttachment[] = [];
  const lines: string[] = [];
  for (const attachment of message.attachments) {
    if (attachment.size <= MAX_ATTACHMENT_BYTES && attachment.size <= budget.bytes) {
      inline.push(attachment);
      budget.bytes -= attachment.size;
    } else {
      lines.push(attachment.url ? `${attachment.filename} (${formatSize(attachment.size)}): ${attachment.url}` : `[file too large: ${attachment.filename}]`);
    }
  }
  const text = [message.text.trim(), lines.join('\n')].filter((part) => part.length > 0).join('\n\n');
  return { text, inline };
}

/** Help Scout rejects an empty `text`: a message with only files names them. */
const nonEmpty = (text: string, inline: SyncedAttachment[]) => (text.trim().length > 0 ? text : inline.length > 0 ? `[${inline.map((a) => a.filename).join(', ')}]` : '(empty message)');

/** Create: each message its own thread, oldest first. */
export function createPlan(messages: readonly SyncedMessage[]): ThreadPlan[] {
  const budget = { bytes: MAX_INLINE_BYTES_PER_REQUEST };
  const perThread = Math.min(MAX_THREAD_BODY_BYTES, Math.floor(MAX_CREATE_BODIES_BYTES / Math.max(1, messages.length)));
  return messages.map((message) => {
    const { text, inline } = planMessage(message, budget);
    return { text: fitText(nonEmpty(text, inline), perThread), inline, createdAt: message.createdAt };
  });
}

/** Append: one thread combining the messages, separated by a blank line. */
export function appendPlan(messages: readonly SyncedMessage[]): ThreadPlan {
  const budget = { bytes: MAX_INLINE_BYTES_PER_REQUEST };
  const planned = messages.map((message) => planMessage(message, budget));
  const inline = planned.flatMap((p) => p.inline);
  const text = planned.map((p) => p.text).filter((t) => t.length > 0).join('\n\n');
  return { text: fitText(nonEmpty(text, inline), MAX_THREAD_BODY_BYTES), inline, createdAt: messages.at(-1)?.createdAt ?? new Date(0) };
}

/** The text the note/triage/reply thread carries. */
export function singleThreadText(op: Extract<HelpdeskWrite, { kind: 'note' | 'triage' | 'reply' }>): string {
  return fitText(op.kind === 'triage' ? op.note : op.text, MAX_THREAD_BODY_BYTES);
}

/** The hub's subject for the conversation (the sidebar card shows the same), within Help Scout's 255 characters. */
export function subjectFor(op: Extract<HelpdeskWrite, { kind: 'create' }>): string {
  return conversationSubject(op.subject, op.channel, op.messages.map((m) => m.text)).slice(0, 255);
}

/** Triage tags: ours replace any earlier urgency; everything else an agent set stays. */
export function triageTags(existing: readonly string[], op: Extract<HelpdeskWrite, { kind: 'triage' }>): string[] {
  const urgency = `urgency-${op.level}`;
  const kept = existing.map((t) => t.toLowerCase()).filter((t) => !t.startsWith('urgency-'));
  const added = op.tags.map((t) => t.toLowerCase()).filter((t) => !t.startsWith('urgency-') || t === urgency);
  return [...new Set([...kept, ...added, urgency])];
}

/** The conversation's tags with the incident's (`incident-<number>`) in place of any other incident tag; none for null. */
export function incidentTags(existing: readonly string[], incidentNumber: number | null): string[] {
  const kept = existing.map((t) => t.toLowerCase()).filter((t) => !/^incident-\d+$/.test(t));
  return [...new Set([...kept, ...(incidentNumber === null ? [] : [`incident-${incidentNumber}`])])];
}

export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map((t) => t.toLowerCase()));
  const right = new Set(b.map((t) => t.toLowerCase()));
  return left.size === right.size && [...left].every((t) => right.has(t));
}

/** A note of the hub's own, within a thread's size limit. */
export function fitThread(text: string): string {
  return fitText(text, MAX_THREAD_BODY_BYTES);
}

export async function attachmentsJson(inline: readonly SyncedAttachment[]): Promise<{ fileName: string; mimeType: string; data: string }[]> {
  const files = [];
  for (const attachment of inline) {
    const bytes = await attachment.load();
    files.push({ fileName: attachment.filename, mimeType: attachment.contentType || 'application/octet-stream', data: bytes.toString('base64') });
  }
  return files;
}

export const threadBody = (text: string) => textToHtml(text);

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} B`;
}
