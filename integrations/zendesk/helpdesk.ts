import type {
  ConnectionCheck,
  HelpdeskCapability,
  HelpdeskConversationInfo,
  HelpdeskErasure,
  HelpdeskPerson,
  HelpdeskThread,
  HelpdeskTraits,
  HelpdeskWrite,
  SyncedMessage,
  WriteOutcome,
} from '../../src/capabilities/helpdesk.js';
import type { RawRequest, VerifyResult } from '../../src/capabilities/webhook.js';
import { isVendorError, VendorError } from '../../src/vendors/error.js';
import type { ZendeskClient } from './client.js';
import type { ZendeskComment, ZendeskTicket, ZendeskTicketWrite } from './dto.js';
import { defaultErasureTiming, eraseZendeskPerson, zendeskCustomerIds, type ZendeskErasureTiming } from './erase.js';
import {
  addedCommentId,
  combinedBody,
  commentMatches,
  conversationInfo,
  createOutcome,
  createTags,
  reopenedStatus,
  requesterIdFrom,
  requesterOf,
  subjectOf,
  threadOf,
  triageTagSet,
} from './mapper.js';
import { ZendeskProblems } from './problems.js';
import { triggersMailingHubTickets } from './triggers.js';
import { isZendeskTestDelivery, parseZendeskWebhook, verifyZendeskWebhook } from './webhook.js';

type Write<K extends HelpdeskWrite['kind']> = Extract<HelpdeskWrite, { kind: K }>;

export interface ZendeskHelpdeskOptions {
  client: ZendeskClient;
  subdomain: string;
  webhookSecret: string;
  searchLagMs: number;
  /** Zendesk's 50 MB per file; tests lower it to exercise the link fallback. */
  maxAttachmentBytes: number;
  /** How an erasure waits for Zendesk's permanent-deletion jobs (tests shorten it). */
  erasureTiming?: ZendeskErasureTiming;
}

/**
 * The helpdesk capability on Zendesk Support: our conversation is a ticket (`external_id` = our
 * id, tagged `hub_delivered`), each customer message run one public comment authored by the
 * requester, notes and the triage call private comments.
 */
export class ZendeskHelpdesk implements HelpdeskCapability {
  readonly traits: HelpdeskTraits;
  /** A hub incident is a problem ticket its members' tickets link to (problems.ts). */
  readonly problems: ZendeskProblems;
  private readonly client: ZendeskClient;
  /** The hub's own Zendesk user: learned from the first write's audit or from /users/me. */
  private apiUserId: number | null = null;
  /** Its role (from /users/me): an agent reconciles without the admin-only export. */
  private apiRole: string | null = null;
  private exportForbidden = false;

  constructor(private readonly options: ZendeskHelpdeskOptions) {
    this.client = options.client;
    this.traits = {
      maxMessagesPerWrite: 20,
      searchLagMs: options.searchLagMs,
      // With the requester triggers excluding hub_delivered, Zendesk mails nobody: the hub delivers.
      replyDelivery: { chat: 'hub', email: 'hub' },
      incidentLinks: 'problem',
    };
    this.problems = new ZendeskProblems(this.client, (signal) => this.ensureApiUserId(signal));
  }

  async write(op: HelpdeskWrite, signal?: AbortSignal): Promise<WriteOutcome> {
    switch (op.kind) {
      case 'create':
        return this.create(op, signal);
      case 'append': {
        const requesterId = await this.requesterId(op.ref, signal);
        const uploads = await this.upload(op.messages, signal);
        const comment = { body: combinedBody(op.messages, this.options.maxAttachmentBytes), public: true, author_id: requesterId, ...uploads };
        const updated = await this.client.updateTicket(op.ref.externalId, { ticket: { comment } }, signal);
        const outcome = this.updated(op.ref.externalId, updated);
        // The customer wrote again: a pending or solved ticket goes back to the agents. Decided from
        // the update's own answer (the ticket as it is with our comment), so no read comes first.
        await landed(() => this.reopen(op.ref.externalId, updated.ticket, signal));
        return outcome;
      }
      case 'note':
        return this.comment(op.ref.externalId, { comment: { body: op.text, public: false } }, signal);
      case 'triage':
        return this.safeUpdate(op.ref.externalId, (ticket) => ({ priority: op.level, tags: triageTagSet(ticket.tags ?? [], op), comment: { body: op.note, public: false } }), signal);
      case 'reply':
        return this.comment(op.ref.externalId, { comment: { body: op.text, public: true } }, signal);
      case 'incident': {
        const { write } = await this.problems.link(op, signal);
        if (!write) return { threadIds: [] };
        if (!op.note) {
          this.learnApiUser(write);
          return { threadIds: [] };
        }
        return this.updated(op.ref.externalId, write);
      }
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
    if (op.kind === 'incident') return this.problems.findLink(op, knownThreadIds, signal);
    const { comments } = await this.client.comments(op.ref.externalId, signal);
    const wanted = await this.expectedComment(op, signal);
    const match = comments.filter((c) => !knownThreadIds.has(String(c.id)) && wanted.accepts(c) && commentMatches(c, wanted.body)).at(-1);
    if (!match) return null;
    // A customer's comment that landed unseen still reopens the ticket it went to.
    if (op.kind === 'append') await this.reopen(op.ref.externalId, null, signal);
    return { threadIds: [String(match.id)] };
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

  /**
   * Tickets changed since a time, for the reconciliation poll. An admin API user reads the
   * Incremental Ticket Export; an agent may not (the export is "Allowed for: Admins"), so it lists
   * recently updated tickets instead. A 403 from the export (the user was demoted) switches to the
   * list for good in this process: a permission the writes do not need never stops sync.
   */
  async changedSince(since: Date, signal?: AbortSignal): Promise<{ externalId: string; updatedAt: Date }[]> {
    const latest = new Map<string, Date>();
    for (const ticket of await this.changedTickets(since, signal)) latest.set(String(ticket.id), new Date(ticket.updated_at));
    return [...latest].map(([externalId, updatedAt]) => ({ externalId, updatedAt }));
  }

  /** How missed webhooks are found, by the API user's role (doctor and /readyz say which). */
  reconciliation(): 'incremental export' | 'ticket list' {
    return this.apiRole === 'agent' || this.exportForbidden ? 'ticket list' : 'incremental export';
  }

  private async changedTickets(since: Date, signal?: AbortSignal) {
    if (this.apiRole === null) await this.ensureApiUserId(signal);
    if (this.reconciliation() === 'incremental export') {
      try {
        return await this.client.changedTickets(since, signal);
      } catch (error) {
        if (!isVendorError(error) || error.kind !== 'forbidden') throw error;
        this.exportForbidden = true;
      }
    }
    return this.client.updatedTickets(since, signal);
  }

  verifyWebhook(request: RawRequest): VerifyResult {
    return verifyZendeskWebhook(this.options.webhookSecret, request);
  }

  isTestDelivery(request: RawRequest): boolean {
    return isZendeskTestDelivery(request);
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
      return {
        ok: false,
        detail: `${where} answered as ${me.id === null ? 'an anonymous user' : `a ${me.role ?? 'non-agent'}`}`,
        hint: 'The API user must be a Zendesk agent or admin (an admin also lets the hub use the incremental export to find missed webhooks)',
      };
    }
    this.apiUserId = me.id;
    this.apiRole = me.role;
    // Not a reason to stop syncing, but the customer would get replies twice: npm run doctor fails this line.
    const warning = await this.triggerWarning(signal);
    const notifications = warning
      ? { check: 'customer notifications', ok: false, detail: warning, hint: 'Admin Center › Objects and rules › Triggers: add the condition "Tags contains none of hub_delivered" to each trigger named here (README: "Connecting a real Zendesk account")' }
      : { check: 'customer notifications', ok: true, detail: 'every trigger that mails requesters excludes the hub_delivered tag: customers get one copy' };
    const reconciliation =
      this.reconciliation() === 'incremental export'
        ? { check: 'missed-webhook reconciliation', ok: true, detail: 'the API user is an admin: tickets changed since the last poll come from the Incremental Ticket Export' }
        : {
            check: 'missed-webhook reconciliation',
            ok: true,
            detail: `the API user is ${me.role === 'agent' ? 'an agent' : 'not allowed the export'}: the Incremental Ticket Export is admin-only, so tickets changed since the last poll are found with List Tickets (start_time), which shows only tickets this agent may see`,
            hint: 'Make the API user an admin if agents work in groups it cannot see',
          };
    return { ok: true, detail: `connected to ${where} as ${me.email ?? me.id} (${me.role})`, findings: [notifications, reconciliation] };
  }

  /** GDPR erasure: the person's tickets, then their user, each permanently deleted (erase.ts). */
  erasePerson(person: HelpdeskPerson, signal?: AbortSignal): Promise<HelpdeskErasure> {
    return eraseZendeskPerson(this.client, person, this.options.erasureTiming ?? defaultErasureTiming, signal);
  }

  customerIdsIn(metadata: Record<string, unknown>): string[] {
    return zendeskCustomerIds(metadata);
  }

  private async create(op: Write<'create'>, signal?: AbortSignal): Promise<WriteOutcome> {
    const uploads = await this.upload(op.messages, signal);
    const body = {
      ticket: {
        subject: subjectOf(op),
        comment: { body: combinedBody(op.messages, this.options.maxAttachmentBytes), public: true, ...uploads },
        requester: requesterOf(op.customer, op.conversationId, op.channel),
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
    // Our own comments and webhooks are recognised by the API user's id: learn it once, if no audit told us.
    if (this.apiUserId === null) await landed(() => this.ensureApiUserId(signal));
    // Create Ticket documents `{ticket}` alone: without an audit, the first comment is read back.
    const commentId = addedCommentId(created) ?? (await landed(() => this.client.firstComment(String(created.ticket.id), signal)))?.id;
    return createOutcome(created.ticket, commentId === undefined || commentId === null ? null : String(commentId));
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
    return this.updated(externalId, updated);
  }

  private updated(externalId: string, updated: ZendeskTicketWrite): WriteOutcome {
    this.learnApiUser(updated);
    const commentId = addedCommentId(updated);
    // Landed, but we cannot say which comment it was: let the engine look it up like a lost answer.
    if (!commentId) throw new VendorError('unavailable', `zendesk: update of ticket ${externalId} reported no comment`, { outcomeUnknown: true });
    return { threadIds: [commentId] };
  }

  /**
   * An update computed from the ticket's state (its tags), made with `safe_update` and the
   * `updated_stamp` of the state it was computed from (Tickets › Protecting against ticket update
   * collisions): if anyone changed the ticket meanwhile, Zendesk answers 409 and applies nothing,
   * so the state is read again and the update recomputed.
   */
  private async safeUpdate(ticketId: string, build: (ticket: ZendeskTicket) => Record<string, unknown>, signal?: AbortSignal): Promise<WriteOutcome> {
    for (let attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
      const { ticket } = await this.client.showTicket(ticketId, signal);
      try {
        const updated = await this.client.updateTicket(ticketId, { ticket: { ...build(ticket), safe_update: true, updated_stamp: ticket.updated_at } }, signal);
        return this.updated(ticketId, updated);
      } catch (error) {
        if (!isVendorError(error) || error.status !== 409) throw error;
      }
    }
    // Someone is editing this ticket right now: nothing was applied; the engine tries again shortly.
    throw new VendorError('unavailable', `zendesk: ticket ${ticketId} changed under ${MAX_COLLISIONS} updates in a row`, { status: 409 });
  }

  /**
   * Sets a pending or solved ticket back to open after a customer's comment landed (the API user
   * is the updater, so Zendesk would not). `known` is the ticket as the comment's update left it;
   * the status change is a safe update on that state, read again after a collision (an agent who
   * acted meanwhile decides).
   */
  private async reopen(ticketId: string, known: ZendeskTicket | null, signal?: AbortSignal): Promise<void> {
    let ticket = known;
    for (let attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
      ticket ??= (await this.client.showTicket(ticketId, signal)).ticket;
      if (!reopenedStatus(ticket.status).status) return;
      try {
        await this.client.updateTicket(ticketId, { ticket: { status: 'open', safe_update: true, updated_stamp: ticket.updated_at } }, signal);
        return;
      } catch (error) {
        if (!isVendorError(error) || error.status !== 409) throw error;
        ticket = null;
      }
    }
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
  private async expectedComment(op: Exclude<HelpdeskWrite, { kind: 'create' | 'incident' }>, signal?: AbortSignal): Promise<{ body: string; accepts(c: ZendeskComment): boolean }> {
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
    if (this.apiUserId === null || this.apiRole === null) {
      const me = await this.client.me(signal);
      this.apiUserId = me.id;
      this.apiRole = me.role ?? null;
    }
    return this.apiUserId;
  }

  private learnApiUser(write: ZendeskTicketWrite): void {
    if (typeof write.audit?.author_id === 'number') this.apiUserId = write.audit.author_id;
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

/** Updates in a row that may collide with someone else's before the engine is told to come back. */
const MAX_COLLISIONS = 3;

/** Runs a read that follows a write that landed: any failure now leaves the outcome for findWrite. */
async function landed<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new VendorError('unavailable', `zendesk write landed but reading it back failed: ${(error as Error).message}`, { outcomeUnknown: true, cause: error });
  }
}

/** Zendesk refuses a reused Idempotency-Key whose payload differs (here: fresh upload tokens). */
function isIdempotencyMismatch(error: unknown): boolean {
  return isVendorError(error) && error.kind === 'rejected' && error.status === 400 && error.message.includes('IdempotentRequestError');
}
