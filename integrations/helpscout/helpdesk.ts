import type {
  ConnectionCheck,
  ConversationRef,
  HelpdeskCapability,
  HelpdeskConversationInfo,
  HelpdeskErasure,
  HelpdeskPerson,
  HelpdeskThread,
  HelpdeskTraits,
  HelpdeskWrite,
  WriteOutcome,
} from '../../src/capabilities/helpdesk.js';
import type { RawRequest, VerifyResult } from '../../src/capabilities/webhook.js';
import { isVendorError, VendorError } from '../../src/vendors/error.js';
import { resourceId, type HelpScoutClient } from './client.js';
import { eraseHelpScoutPerson, helpScoutCustomerIds } from './erase.js';
import { HelpScoutReads, MAX_LIST_PAGES } from './reads.js';
import {
  appendPlan,
  attachmentsJson,
  conversationInfo,
  createPlan,
  customerEmail,
  helpScoutDate,
  hubTag,
  mailboxDto,
  oldestFirst,
  parseVendor,
  singleThreadText,
  splitName,
  subjectFor,
  tagNames,
  threadBody,
  threadFromDto,
  triageTags,
  incidentTags,
  sameTags,
  fitThread,
} from './mapper.js';
import { sameText } from './text.js';
import { parseHelpScoutWebhook, verifyHelpScoutWebhook } from './webhook.js';

export interface HelpScoutHelpdeskOptions {
  mailboxId: number;
  webhookSecret: string | undefined;
  searchLagMs: number;
  /** Who mails agent replies in email conversations (README: Help Scout and the `imported` flag). */
  emailReplies?: 'hub' | 'helpdesk';
}

/**
 * The helpdesk capability over the Mailbox API v2. Conversations the hub creates are `imported`
 * (Help Scout sends nothing to the customer: the hub delivers agent replies itself, ARCHITECTURE
 * §6) and carry the tag `hub-<our id>`, which is how a create whose answer was lost is found again.
 */
export class HelpScoutHelpdesk implements HelpdeskCapability {
  readonly traits: HelpdeskTraits;
  private readonly reads: HelpScoutReads;

  constructor(
    private readonly client: HelpScoutClient,
    private readonly options: HelpScoutHelpdeskOptions,
  ) {
    this.reads = new HelpScoutReads(client, options.mailboxId);
    // Help Scout has no problem tickets: an incident is a tag on each member conversation.
    this.traits = { maxMessagesPerWrite: 20, searchLagMs: options.searchLagMs, replyDelivery: { chat: 'hub', email: options.emailReplies ?? 'hub' }, incidentLinks: 'tags' };
  }

  async write(op: HelpdeskWrite, signal?: AbortSignal): Promise<WriteOutcome> {
    // Our notes and replies come back as webhooks; knowing our user id lets them be recognised.
    if (op.kind !== 'create' && op.kind !== 'append' && this.reads.ownUserKnown === null) await this.reads.ownUserId(signal).catch(() => null);
    switch (op.kind) {
      case 'create':
        return this.create(op, signal);
      case 'append':
        return this.append(op, signal);
      case 'note':
        return { threadIds: [await this.postThread(op.ref, 'notes', { text: threadBody(singleThreadText(op)) }, signal)] };
      case 'triage':
        return this.triage(op, signal);
      case 'incident':
        return this.incident(op, signal);
      case 'reply': {
        // A public reply, not imported: Help Scout mails it (conversations that started there).
        const customer = await this.customerOf(op.ref, signal);
        return { threadIds: [await this.postThread(op.ref, 'reply', { customer: { id: customer }, text: threadBody(singleThreadText(op)), draft: false }, signal)] };
      }
    }
  }

  async findWrite(op: HelpdeskWrite, knownThreadIds: ReadonlySet<string>, signal?: AbortSignal): Promise<WriteOutcome | null> {
    if (op.kind === 'create') return this.findCreate(op, signal);
    if (op.kind === 'incident' && op.note === null) {
      // Tags only: landed when the conversation carries exactly the incident tag it should.
      const conversation = await this.reads.conversation(op.ref.externalId, signal);
      const tags = conversation ? tagNames(conversation.tags) : [];
      return conversation && sameTags(incidentTags(tags, op.incident?.number ?? null), tags) ? { threadIds: [] } : null;
    }
    const expected =
      op.kind === 'append'
        ? { types: ['customer', 'chat'], text: appendPlan(op.messages).text }
        : op.kind === 'reply'
          ? { types: ['reply', 'message'], text: singleThreadText(op) }
          : { types: ['note'], text: op.kind === 'incident' ? fitThread(op.note!) : singleThreadText(op) };
    const threads = await this.reads.threads(op.ref.externalId, signal);
    // Newest first: the write we are looking for is the latest one matching that is not recorded
    // yet. By type and text only: Help Scout does not promise `source.type: "api"` on threads.
    const match = threads
      .filter((t) => !knownThreadIds.has(String(t.id)) && expected.types.includes(t.type) && sameText(t.body, expected.text))
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id)[0];
    return match ? { threadIds: [String(match.id)] } : null;
  }

  async threads(externalId: string, signal?: AbortSignal): Promise<HelpdeskThread[]> {
    const dtos = await this.reads.threads(externalId, signal);
    const needsOwnUser = dtos.some((t) => t.source?.type === 'api' && t.createdBy?.type === 'user');
    const ownUserId = needsOwnUser ? await this.reads.ownUserId(signal) : null;
    return dtos.map((t) => threadFromDto(t, ownUserId)).sort(oldestFirst);
  }

  async conversation(externalId: string, signal?: AbortSignal): Promise<HelpdeskConversationInfo | null> {
    const dto = await this.reads.conversation(externalId, signal);
    return dto ? conversationInfo(dto) : null;
  }

  async changedSince(since: Date, signal?: AbortSignal): Promise<{ externalId: string; updatedAt: Date }[]> {
    const conversations = await this.reads.conversations(
      { status: 'all', modifiedSince: helpScoutDate(since), sortField: 'modifiedAt', sortOrder: 'asc' },
      MAX_LIST_PAGES,
      signal,
    );
    return conversations.map((c) => ({ externalId: String(c.id), updatedAt: new Date(c.modifiedAt ?? c.userUpdatedAt ?? c.createdAt) }));
  }

  verifyWebhook(request: RawRequest): VerifyResult {
    return verifyHelpScoutWebhook(this.options.webhookSecret, request);
  }

  parseWebhook(request: RawRequest) {
    return parseHelpScoutWebhook(request);
  }

  async checkConnection(signal?: AbortSignal): Promise<ConnectionCheck> {
    const webhooks = this.options.webhookSecret ? 'webhooks verified with HELPSCOUT_WEBHOOK_SECRET' : 'webhooks rejected: HELPSCOUT_WEBHOOK_SECRET is not set';
    try {
      const response = await this.client.get(`/mailboxes/${this.options.mailboxId}`, undefined, signal);
      const mailbox = parseVendor(mailboxDto, response.body, 'mailbox');
      return { ok: true, detail: `mailbox ${mailbox.id} "${mailbox.name ?? ''}" <${mailbox.email ?? '?'}> reachable; ${webhooks}`, findings: [this.replyDeliveryFinding()] };
    } catch (error) {
      if (!isVendorError(error)) throw error;
      const hint =
        error.kind === 'auth'
          ? 'Check HELPSCOUT_CLIENT_ID / HELPSCOUT_CLIENT_SECRET (Your Profile > My Apps); the app’s user must be active in the account.'
          : error.kind === 'forbidden'
            ? `The app’s user may not read mailbox ${this.options.mailboxId}: give that user access to the mailbox (Manage > Users > Permissions).`
            : error.kind === 'not_found'
            ? `HELPSCOUT_MAILBOX_ID=${this.options.mailboxId} is not a mailbox the app’s user can see (Manage > Inboxes: the id is in the URL).`
            : error.kind === 'rate_limited'
              ? 'The account’s API rate limit is spent; lower HELPSCOUT_RATE_LIMIT or wait a minute.'
              : 'Help Scout did not answer; check HELPSCOUT_API_BASE and the network.';
      return { ok: false, detail: error.message, hint };
    }
  }

  /** GDPR erasure: the person's conversations, then their customers, deleted for good (erase.ts). */
  erasePerson(person: HelpdeskPerson, signal?: AbortSignal): Promise<HelpdeskErasure> {
    return eraseHelpScoutPerson(this.client, person, signal);
  }

  customerIdsIn(metadata: Record<string, unknown>): string[] {
    return helpScoutCustomerIds(metadata);
  }

  /** Which mode of ARCHITECTURE §6 is in force, and why (a `npm run doctor` line). */
  private replyDeliveryFinding() {
    const chat = 'chat: the hub delivers agent replies in the chat; Help Scout knows chat customers only by a chat-….invalid address it cannot mail';
    return this.traits.replyDelivery.email === 'hub'
      ? {
          check: 'reply delivery',
          ok: true,
          detail: `email: the hub mails agent replies (HELPSCOUT_EMAIL_REPLIES=hub) and creates conversations imported, relying on Help Scout staying silent on them — its docs promise that only for the importing request, so this mode is for accounts where that was checked; ${chat}`,
          hint: 'If customers get a reply twice, set HELPSCOUT_EMAIL_REPLIES=helpdesk',
        }
      : {
          check: 'reply delivery',
          ok: true,
          detail: `email: Help Scout mails agent replies and the hub records them without a copy (HELPSCOUT_EMAIL_REPLIES=helpdesk, the default: nothing in Help Scout's docs proves it stays silent on imported conversations); ${chat}`,
        };
  }

  // ---- writes ------------------------------------------------------------------------------

  private async create(op: Extract<HelpdeskWrite, { kind: 'create' }>, signal?: AbortSignal): Promise<WriteOutcome> {
    const email = customerEmail(op.customer, op.conversationId, op.channel);
    // Imported: Help Scout documents that the importing request sends nothing. For chat that is all
    // we need (the customer's address cannot be mailed anyway). For email, unless the operator
    // confirmed that Help Scout stays silent later too (HELPSCOUT_EMAIL_REPLIES=hub), the
    // conversation is a normal one and Help Scout mails agent replies itself: the hub sends none.
    const imported = op.channel === 'chat' || this.traits.replyDelivery.email === 'hub';
    const threadType = op.channel === 'chat' ? 'chat' : 'customer';
    const plans = createPlan(op.messages);
    const threads = [];
    for (const plan of plans) {
      const attachments = await attachmentsJson(plan.inline);
      threads.push({
        type: threadType,
        customer: { email },
        text: threadBody(plan.text),
        // A thread's createdAt is accepted only with `imported` (…/conversations/create).
        ...(imported ? { createdAt: helpScoutDate(plan.createdAt) } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
      });
    }
    const threadCount = threads.length;
    const response = await this.client.post(
      '/conversations',
      {
        subject: subjectFor(op),
        customer: { email, ...splitName(op.customer.name) },
        mailboxId: this.options.mailboxId,
        type: op.channel === 'chat' ? 'chat' : 'email',
        status: 'active',
        imported,
        // Never an auto-reply: the hub acknowledges every conversation itself.
        autoReply: false,
        ...(imported ? { createdAt: helpScoutDate(plans[0]?.createdAt ?? new Date()) } : {}),
        tags: [...new Set([...op.tags.map((t) => t.toLowerCase()), hubTag(op.conversationId)])],
        threads,
      },
      signal,
    );
    const externalId = resourceId(response);
    // The create landed: from here a failure must not make the engine create it again.
    const created = await landed(() => this.createdThreads(externalId, threadCount, signal));
    return { externalId, ...created };
  }

  private async append(op: Extract<HelpdeskWrite, { kind: 'append' }>, signal?: AbortSignal): Promise<WriteOutcome> {
    const plan = appendPlan(op.messages);
    const conversation = await this.reads.conversation(op.ref.externalId, signal);
    if (!conversation) throw new VendorError('not_found', `helpscout conversation ${op.ref.externalId} is gone`, { status: 404 });
    // Imported threads do not reopen a conversation (README): the customer wrote again, so it is active.
    if (conversation.status === 'closed' || conversation.status === 'pending') {
      await this.client.set('PATCH', `/conversations/${op.ref.externalId}`, { op: 'replace', path: '/status', value: 'active' }, signal);
    }
    const attachments = await attachmentsJson(plan.inline);
    const customerRef = typeof op.ref.metadata['customerId'] === 'number' ? { id: op.ref.metadata['customerId'] } : { email: customerEmail(op.customer, op.ref.conversationId, op.channel) };
    const threadId = await this.postThread(
      op.ref,
      op.channel === 'chat' ? 'chats' : 'customer',
      { customer: customerRef, text: threadBody(plan.text), imported: true, ...(attachments.length > 0 ? { attachments } : {}) },
      signal,
    );
    return { threadIds: [threadId] };
  }

  private async triage(op: Extract<HelpdeskWrite, { kind: 'triage' }>, signal?: AbortSignal): Promise<WriteOutcome> {
    const conversation = await this.reads.conversation(op.ref.externalId, signal);
    if (!conversation) throw new VendorError('not_found', `helpscout conversation ${op.ref.externalId} is gone`, { status: 404 });
    // Tags first (replacing the set is idempotent), then the note: findWrite looks for the note,
    // so once it is found the tags are known to be there too.
    await this.client.set('PUT', `/conversations/${op.ref.externalId}/tags`, { tags: triageTags(tagNames(conversation.tags), op) }, signal);
    return { threadIds: [await this.postThread(op.ref, 'notes', { text: threadBody(singleThreadText(op)) }, signal)] };
  }

  /**
   * The incident as a tag (`incident-<number>`, replacing any other `incident-*` tag: a conversation
   * is in one incident), then, the first time for this incident, a private note for agents linking
   * its page. Tags first, as for triage: once findWrite sees the note, the tags are there too.
   */
  private async incident(op: Extract<HelpdeskWrite, { kind: 'incident' }>, signal?: AbortSignal): Promise<WriteOutcome> {
    const conversation = await this.reads.conversation(op.ref.externalId, signal);
    if (!conversation) throw new VendorError('not_found', `helpscout conversation ${op.ref.externalId} is gone`, { status: 404 });
    const tags = tagNames(conversation.tags);
    const wanted = incidentTags(tags, op.incident?.number ?? null);
    if (!sameTags(wanted, tags)) await this.client.set('PUT', `/conversations/${op.ref.externalId}/tags`, { tags: wanted }, signal);
    if (op.note === null) return { threadIds: [] };
    return { threadIds: [await this.postThread(op.ref, 'notes', { text: threadBody(fitThread(op.note)) }, signal)] };
  }

  private async postThread(ref: ConversationRef, kind: 'customer' | 'chats' | 'notes' | 'reply', body: Record<string, unknown>, signal?: AbortSignal): Promise<string> {
    const response = await this.client.post(`/conversations/${ref.externalId}/${kind}`, body, signal);
    return resourceId(response);
  }

  // ---- reads -------------------------------------------------------------------------------

  private async findCreate(op: Extract<HelpdeskWrite, { kind: 'create' }>, signal?: AbortSignal): Promise<WriteOutcome | null> {
    // List/search lags behind writes (traits.searchLagMs): the engine keeps asking until it passed.
    const found = await this.reads.conversations({ tag: hubTag(op.conversationId), status: 'all', sortField: 'createdAt', sortOrder: 'asc' }, 1, signal);
    const conversation = found.sort((a, b) => a.id - b.id)[0];
    if (!conversation) return null;
    return { externalId: String(conversation.id), ...(await this.createdThreads(String(conversation.id), createPlan(op.messages).length, signal)) };
  }

  /**
   * The customer threads a create made — the conversation's first `count` customer/chat threads,
   * oldest first, whatever their `source` says (Help Scout promises `source.type: "api"` for
   * conversations, not threads) — and the customer id for later appends. Their ids are recorded,
   * and that is how pulls know them for ours.
   */
  private async createdThreads(externalId: string, count: number, signal?: AbortSignal): Promise<{ threadIds: string[]; metadata: Record<string, unknown> }> {
    const threads = (await this.reads.threads(externalId, signal))
      .filter((t) => (t.type === 'customer' || t.type === 'chat') && t.createdBy?.type === 'customer')
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id)
      .slice(0, count);
    const customerId = threads[0]?.customer?.id ?? threads[0]?.createdBy?.id;
    return { threadIds: threads.map((t) => String(t.id)), metadata: typeof customerId === 'number' ? { customerId } : {} };
  }

  private async customerOf(ref: ConversationRef, signal?: AbortSignal): Promise<number> {
    if (typeof ref.metadata['customerId'] === 'number') return ref.metadata['customerId'];
    const conversation = await this.reads.conversation(ref.externalId, signal);
    const id = conversation?.primaryCustomer?.id;
    if (typeof id !== 'number') throw new VendorError('not_found', `helpscout conversation ${ref.externalId} has no customer to reply to`, { status: 404 });
    return id;
  }
}

/** Runs a read that follows a write that landed: any failure now leaves the outcome for findWrite. */
async function landed<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new VendorError('unavailable', `helpscout write landed but reading it back failed: ${message}`, { outcomeUnknown: true, cause: error });
  }
}
