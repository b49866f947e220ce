import type {
  ConnectionCheck,
  HelpdeskCapability,
  HelpdeskConversationInfo,
  HelpdeskThread,
  HelpdeskTraits,
  HelpdeskWrite,
  SyncedMessage,
  WriteOutcome,
} from '../../src/capabilities/helpdesk.js';
import type { RawRequest, VerifyResult } from '../../src/capabilities/webhook.js';
import { isVendorError, VendorError } from '../../src/vendors/error.js';
import type { ZendeskClient } from './client.js';
import type { ZendeskComment, ZendeskTicketWrite } from './dto.js';
import {
  addedCommentId,
  combinedBody,
  commentMatches,
  conversationInfo,
  createOutcome,
  createTags,
  requesterIdFrom,
  requesterOf,
  subjectOf,
  threadOf,
  triageTags,
} from './mapper.js';
import { triggersMailingHubTickets } from './triggers.js';
import { parseZendeskWebhook, verifyZendeskWebhook } from './webhook.js';

type Write<K extends HelpdeskWrite['kind']> = Extract<HelpdeskWrite, { kind: K }>;

export interface ZendeskHelpdeskOptions {
  client: ZendeskClient;
  subdomain: string;
  webhookSecret: string;
  searchLagMs: number;
  /** Zendesk's 50 MB per file; tests lower it to exercise the link fallback. */
  maxAttachmentBytes: number;
}

/**
 * The helpdesk capability on Zendesk Support: our conversation is a ticket (`external_id` = our
 * id, tagged `hub_delivered`), each customer message run one public comment authored by the
 * requester, notes and the triage call private comments.
 */
export class ZendeskHelpdesk implements HelpdeskCapability {
  readonly traits: HelpdeskTraits;
  private readonly client: ZendeskClient;
  /** The hub's own Zendesk user: learned from the first write's audit or from /users/me. */
  private apiUserId: number | null = null;

  constructor(private readonly options: ZendeskHelpdeskOptions) {
    this.client = options.client;
    this.traits = {
      maxMessagesPerWrite: 20,
      searchLagMs: options.searchLagMs,
      // With the requester triggers excluding hub_delivered, Zendesk mails nobody: the hub delivers.
      replyDelivery: { chat: 'hub', email: 'hub' },
    };
  }

  async write(op: HelpdeskWrite, signal?: AbortSignal): Promise<WriteOutcome> {
    switch (op.kind) {
      case 'create':
        return this.create(op, signal);
      case 'append': {
        const requesterId = await this.requesterId(op.ref, signal);
        const uploads = await this.upload(op.messages, signal);
        const body = combinedBody(op.messages, this.options.maxAttachmentBytes);
        return this.comment(op.ref.externalId, { comment: { body, public: true, author_id: requesterId, ...uploads } }, signal);
      }
      case 'note':
        return this.comment(op.ref.externalId, { comment: { body: op.text, public: false } }, signal);
      case 'triage':
        return this.comment(op.ref.externalId, { priority: op.level, ...triageTags(op), comment: { body: op.note, public: false } }, signal);
      case 'reply':
        return this.comment(op.ref.externalId, { comment: { body: op.text, public: true } }, signal);
    }
  }

  async findWrite(op: HelpdeskWrite, knownThreadIds: ReadonlySet<string>, signal?: AbortSignal): Promise<WriteOutcome | null> {
    if (op.kind === 'create') {
      const found = await this.lookupCreate(op.conversationId, signal);
      if (found) return found;
      // Not searchable (yet): resending with the same Idempotency-Key returns the original ticket
      // if it landed within Zendesk's two hours, or creates it now if it never did.
      try {
        return await this.create(op, signal);
      } catch (error) {
        if (isVendorError(error) && error.outcomeUnknown) return null;
        throw error;
      }
    }
    const { comments } = await this.client.comments(op.ref.externalId, signal);
    const wanted = await this.expectedComment(op, signal);
    const match = comments.filter((c) => !knownThreadIds.has(String(c.id)) && wanted.accepts(c) && commentMatches(c, wanted.body)).at(-1);
    return match ? { threadIds: [String(match.id)] } : null;
  }

  async threads(externalId: string, signal?: AbortSignal): Promise<HelpdeskThread[]> {
    const { ticket } = await this.client.showTicket(externalId, signal);
    const { comments, users } = await this.client.comments(externalId, signal);
    const apiUserId = await this.ensureApiUserId(signal);
    return comments.map((comment) => threadOf(comment, { requesterId: ticket.requester_id, apiUserId, users }));
  }

  async conversation(externalId: string, signal?: AbortSignal): Promise<HelpdeskConversationInfo | null> {
    if (!/^\d+$/.test(externalId)) return null;
    try {
      const { ticket, users } = await this.client.showTicket(externalId, signal);
      return conversationInfo(ticket, users.find((u) => u.id === ticket.requester_id));
    } catch (error) {
      if (isVendorError(error) && error.kind === 'not_found') return null;
      throw error;
    }
  }

  async changedSince(since: Date, signal?: AbortSignal): Promise<{ externalId: string; updatedAt: Date }[]> {
    const latest = new Map<string, Date>();
    for (const ticket of await this.client.changedTickets(since, signal)) latest.set(String(ticket.id), new Date(ticket.updated_at));
    return [...latest].map(([externalId, updatedAt]) => ({ externalId, updatedAt }));
  }

  verifyWebhook(request: RawRequest): VerifyResult {
    return verifyZendeskWebhook(this.options.webhookSecret, request);
  }

  parseWebhook(request: RawRequest) {
    return parseZendeskWebhook(request, this.apiUserId);
  }

  async checkConnection(signal?: AbortSignal): Promise<ConnectionCheck> {
    const where = `${this.options.subdomain}.zendesk.com`;
    let me: Awaited<ReturnType<ZendeskClient['me']>>;
    try {
      me = await this.client.me(signal);
    } catch (error) {
      if (isVendorError(error) && error.kind === 'auth') {
        return { ok: false, detail: `${where} refused the credentials`, hint: 'Check ZENDESK_EMAIL + ZENDESK_API_TOKEN (token access on in Admin Center › Apps and integrations › Zendesk API) or ZENDESK_OAUTH_TOKEN' };
      }
      return { ok: false, detail: `${where} unreachable: ${(error as Error).message}`, hint: 'Check ZENDESK_SUBDOMAIN (and ZENDESK_API_BASE if set)' };
    }
    if (me.id === null || (me.role !== 'admin' && me.role !== 'agent')) {
      return { ok: false, detail: `${where} answered as ${me.id === null ? 'an anonymous user' : `a ${me.role ?? 'non-agent'}`}`, hint: 'The API user must be a Zendesk admin (it reads triggers and the incremental export)' };
    }
    this.apiUserId = me.id;
    // Not a reason to stop syncing, but the customer would get replies twice: npm run doctor fails this line.
    const warning = await this.triggerWarning(signal);
    const notifications = warning
      ? { check: 'customer notifications', ok: false, detail: warning, hint: 'Admin Center › Objects and rules › Triggers: add the condition "Tags contains none of hub_delivered" to each trigger named here (README: "Connecting a real Zendesk account")' }
      : { check: 'customer notifications', ok: true, detail: 'every trigger that mails requesters excludes the hub_delivered tag: customers get one copy' };
    return { ok: true, detail: `connected to ${where} as ${me.email ?? me.id} (${me.role})`, findings: [notifications] };
  }

  private async create(op: Write<'create'>, signal?: AbortSignal): Promise<WriteOutcome> {
    const uploads = await this.upload(op.messages, signal);
    const body = {
      ticket: {
        subject: subjectOf(op),
        comment: { body: combinedBody(op.messages, this.options.maxAttachmentBytes), public: true, ...uploads },
        requester: requesterOf(op.customer, op.conversationId),
        external_id: op.conversationId,
        tags: createTags(op),
      },
    };
    let created: ZendeskTicketWrite;
    try {
      created = await this.client.createTicket(body, `hub-create-${op.conversationId}`, signal);
    } catch (error) {
      if (!isIdempotencyMismatch(error)) throw error;
      // The key was used by an earlier attempt whose uploads had other tokens: it landed. Find it,
      // or let the engine wait for the search index rather than create a second ticket.
      const found = await this.lookupCreate(op.conversationId, signal);
      if (found) return found;
      throw new VendorError('unavailable', `zendesk: ticket for ${op.conversationId} was created earlier but is not searchable yet`, { outcomeUnknown: true, cause: error });
    }
    this.learnApiUser(created);
    return createOutcome(created.ticket, addedCommentId(created));
  }

  /** Our ticket by external_id (the oldest, should a duplicate ever exist), with its first comment. */
  private async lookupCreate(conversationId: string, signal?: AbortSignal): Promise<WriteOutcome | null> {
    const tickets = (await this.client.ticketsByExternalId(conversationId, signal)).sort((a, b) => a.id - b.id);
    const ticket = tickets[0];
    if (!ticket) return null;
    const first = await this.client.firstComment(String(ticket.id), signal);
    return createOutcome(ticket, first ? String(first.id) : null);
  }

  private async comment(externalId: string, ticket: Record<string, unknown>, signal?: AbortSignal): Promise<WriteOutcome> {
    const updated = await this.client.updateTicket(externalId, { ticket }, signal);
    this.learnApiUser(updated);
    const commentId = addedCommentId(updated);
    // Landed, but we cannot say which comment it was: let the engine look it up like a lost answer.
    if (!commentId) throw new VendorError('unavailable', `zendesk: update of ticket ${externalId} reported no comment`, { outcomeUnknown: true });
    return { threadIds: [commentId] };
  }

  /** Uploads what fits Zendesk's limit; larger files become link lines in the body (combinedBody). */
  private async upload(messages: SyncedMessage[], signal?: AbortSignal): Promise<{ uploads?: string[] }> {
    const tokens: string[] = [];
    for (const attachment of messages.flatMap((m) => m.attachments)) {
      if (attachment.size > this.options.maxAttachmentBytes) continue;
      tokens.push(await this.client.upload(attachment.filename, attachment.contentType, await attachment.load(), signal));
    }
    return tokens.length > 0 ? { uploads: tokens } : {};
  }

  /** What the comment a lost write added looks like: its body, and who may have written it. */
  private async expectedComment(op: Exclude<HelpdeskWrite, { kind: 'create' }>, signal?: AbortSignal): Promise<{ body: string; accepts(c: ZendeskComment): boolean }> {
    switch (op.kind) {
      case 'append': {
        const requesterId = await this.requesterId(op.ref, signal);
        return { body: combinedBody(op.messages, this.options.maxAttachmentBytes), accepts: (c) => c.public && c.author_id === requesterId };
      }
      case 'note':
        return { body: op.text, accepts: (c) => !c.public };
      case 'triage':
        return { body: op.note, accepts: (c) => !c.public };
      case 'reply': {
        const apiUserId = await this.ensureApiUserId(signal);
        return { body: op.text, accepts: (c) => c.public && (apiUserId === null || c.author_id === apiUserId) };
      }
    }
  }

  private async requesterId(ref: { externalId: string; metadata: Record<string, unknown> }, signal?: AbortSignal): Promise<number> {
    return requesterIdFrom(ref.metadata) ?? (await this.client.showTicket(ref.externalId, signal)).ticket.requester_id;
  }

  private async ensureApiUserId(signal?: AbortSignal): Promise<number | null> {
    if (this.apiUserId === null) this.apiUserId = (await this.client.me(signal)).id;
    return this.apiUserId;
  }

  private learnApiUser(write: ZendeskTicketWrite): void {
    if (typeof write.audit.author_id === 'number') this.apiUserId = write.audit.author_id;
  }

  private async triggerWarning(signal?: AbortSignal): Promise<string | null> {
    try {
      const unsafe = triggersMailingHubTickets(await this.client.activeTriggers(signal));
      if (unsafe.length === 0) return null;
      return `triggers that mail the requester lack "Tags: contains none of: hub_delivered" (${unsafe.join('; ')}); customers of hub conversations would get agent replies twice`;
    } catch (error) {
      return `could not read triggers to check the hub_delivered exclusion: ${(error as Error).message}`;
    }
  }
}

/** Zendesk refuses a reused Idempotency-Key whose payload differs (here: fresh upload tokens). */
function isIdempotencyMismatch(error: unknown): boolean {
  return isVendorError(error) && error.kind === 'rejected' && error.status === 400 && error.message.includes('IdempotentRequestError');
}
