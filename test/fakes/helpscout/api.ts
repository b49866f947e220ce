import {
  ApiError,
  badRequest,
  errorBody,
  chatThreadBody,
  createConversationBody,
  customerThreadBody,
  noteThreadBody,
  notFound,
  parseBody,
  patchBody,
  replyThreadBody,
  tagsBody,
  tooLarge,
  type AttachmentBody,
} from './requests.js';
import { HelpScoutErasure } from './erasure.js';
import { htmlToText, newestFirst, type HelpScoutState, type Person, type SourceType, type StoredAttachment, type StoredConversation, type ThreadType } from './state.js';

/**
 * The Mailbox API v2 endpoints the hub uses, on top of the account state. Returns what the HTTP
 * layer sends; throws ApiError for the documented 4xx answers.
 */
export interface ApiResult {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ApiSettings {
  base: string;
  notifications(): boolean;
  searchLagMs(): number;
  /** Our reading of `imported: true` (README): true = later agent replies are not mailed either. */
  importedSilencesAgentReplies: boolean;
  /** `source.type` of threads written through the API (README: assumed). */
  apiThreadSource: Extract<SourceType, 'api' | 'email'>;
  limits: RequestLimits;
}

/**
 * Request-size limits. The only figures Help Scout publishes are in the v1 overview
 * (developer.helpscout.com/help-desk-api: 100 kB by default, 256 kB for Create conversation, 10 MB
 * for an attachment); v2 sends attachments inline, so the fake applies the text limits to the body
 * without the attachment data and the 10 MB limit to each decoded attachment.
 */
export interface RequestLimits {
  defaultBytes: number;
  createConversationBytes: number;
  attachmentBytes: number;
}

export const defaultLimits: RequestLimits = { defaultBytes: 100 * 1024, createConversationBytes: 256 * 1024, attachmentBytes: 10 * 1024 * 1024 };

const PAGE_SIZE = 50;

export class HelpScoutApi {
  /** The erasure endpoints (erasure.ts); inbox `mailbox.id + 1` is one the app's user cannot see. */
  readonly erasure: HelpScoutErasure;

  constructor(
    private readonly state: HelpScoutState,
    private readonly settings: ApiSettings,
  ) {
    this.erasure = new HelpScoutErasure(state, {
      get base() {
        return settings.base;
      },
      otherInboxId: state.mailbox.id + 1,
      page: (name, items, query, path) => this.page(name, items, query, path),
    });
  }

  handle(method: string, path: string, query: URLSearchParams, body: unknown, bodyBytes: number): ApiResult {
    const parts = path.replace(/^\/v2\//, '').split('/').filter(Boolean);
    const [resource, id, sub] = parts;
    if (method !== 'GET') this.checkSize(path, method, body, bodyBytes);
    if (resource === 'users' && id === 'me' && method === 'GET' && parts.length === 2) return { status: 200, body: this.userJson(this.state.apiUser) };
    if (resource === 'mailboxes' && id && parts.length === 2 && method === 'GET') return this.mailbox(id);
    const erasure = this.erasure.handle(method, parts, query);
    if (erasure) return erasure;
    if (resource !== 'conversations') throw notFound('Resource');
    if (!id) {
      if (method === 'POST') return this.createConversation(body);
      if (method === 'GET') return this.listConversations(query);
      throw new ApiError(405, { message: 'Method not allowed' });
    }
    const conversation = this.conversation(id);
    if (!sub && parts.length === 2) {
      if (method === 'GET') return { status: 200, body: this.state.conversationJson(conversation, query.get('embed') === 'threads') };
      if (method === 'PATCH') return this.patch(conversation, body);
    }
    if (parts.length === 3) {
      if (sub === 'threads' && method === 'GET') return this.listThreads(conversation, query);
      if (sub === 'tags' && method === 'PUT') {
        this.state.setTags(conversation, parseBody(tagsBody, body).tags);
        this.state.changed(conversation, 'convo.tags');
        return { status: 204 };
      }
      if (method === 'POST' && (sub === 'customer' || sub === 'chats' || sub === 'notes' || sub === 'reply')) return this.createThread(conversation, sub, body);
    }
    throw notFound('Resource');
  }

  private mailbox(id: string): ApiResult {
    const { mailbox } = this.state;
    if (Number(id) !== mailbox.id) throw notFound('Mailbox');
    const self = `${this.settings.base}/mailboxes/${mailbox.id}`;
    return {
      status: 200,
      body: {
        id: mailbox.id,
        name: mailbox.name,
        slug: '83ebc5d87292a795',
        email: mailbox.email,
        createdAt: '2013-06-05T09:17:15Z',
        updatedAt: '2016-11-11T12:20:39Z',
        _links: { fields: { href: `${self}/fields` }, folders: { href: `${self}/folders` }, self: { href: self } },
      },
    };
  }

  private createConversation(raw: unknown): ApiResult {
    const body = parseBody(createConversationBody, raw);
    if (body.mailboxId !== this.state.mailbox.id) throw badRequest([{ path: 'mailboxId', message: 'Invalid identifier', rejectedValue: body.mailboxId }]);
    const imported = body.imported === true;
    body.threads.forEach((thread, i) => {
      if (thread.createdAt && !imported) throw badRequest([{ path: `threads[${i}].createdAt`, message: 'can only be used with imported set to true' }]);
    });
    const customer = this.customer(body.customer, 'customer');
    const startsWithCustomer = ['customer', 'chat', 'phone'].includes(body.threads[0]!.type);
    const conversation = this.state.newConversation({
      mailboxId: body.mailboxId,
      type: body.type,
      status: body.status,
      subject: body.subject,
      customerId: customer.id,
      tags: body.tags ?? [],
      createdAt: body.createdAt ? Date.parse(body.createdAt) : this.state.now(),
      imported,
      source: { type: 'api', via: startsWithCustomer ? 'customer' : 'user' },
      createdBy: startsWithCustomer ? { type: 'customer', id: customer.id } : { type: 'user', id: this.userFor(body.user).id },
    });
    for (const [i, thread] of body.threads.entries()) {
      const threadCustomer = thread.customer ? this.customer(thread.customer, `threads[${i}].customer`) : customer;
      const byCustomer = thread.type === 'customer' || thread.type === 'chat' || thread.type === 'phone';
      const stored = this.state.newThread(conversation, {
        type: thread.type === 'phone' ? 'customer' : thread.type === 'reply' ? 'message' : thread.type,
        state: thread.draft ? 'draft' : 'published',
        status: body.status,
        body: thread.text,
        source: { type: this.settings.apiThreadSource, via: byCustomer ? 'customer' : 'user' },
        customerId: threadCustomer.id,
        createdBy: byCustomer ? { type: 'customer', id: threadCustomer.id } : { type: 'user', id: this.userFor(body.user).id },
        createdAt: thread.createdAt ? Date.parse(thread.createdAt) : this.state.now(),
        attachments: this.attachments(thread.attachments),
      });
      // A published reply in a new conversation is mailed like any API reply, unless imported.
      if (thread.type === 'reply' && !thread.draft && !imported) this.mailAgentReply(conversation, stored.id, thread.text, threadCustomer);
    }
    this.state.changed(conversation, 'convo.created');
    // "an auto reply will be sent as long as there is at least one customer thread" — and
    // imported conversations generate no outgoing emails at all.
    if (body.autoReply && !imported && body.threads.some((t) => t.type === 'customer') && this.settings.notifications()) {
      this.state.notify({ to: customer.email, conversationId: String(conversation.id), threadId: null, kind: 'auto-reply', text: 'We received your message and will get back to you soon.' });
    }
    return this.created(`${this.settings.base}/conversations/${conversation.id}`, conversation.id);
  }

  private createThread(conversation: StoredConversation, kind: 'customer' | 'chats' | 'notes' | 'reply', raw: unknown): ApiResult {
    const schema = { customer: customerThreadBody, chats: chatThreadBody, notes: noteThreadBody, reply: replyThreadBody }[kind];
    const body = parseBody(schema as typeof replyThreadBody, raw);
    const imported = body.imported === true;
    if (body.createdAt && !imported) throw badRequest([{ path: 'createdAt', message: 'can only be used with imported set to true' }]);
    const byCustomer = kind === 'customer' || kind === 'chats';
    const customer = kind === 'notes' ? this.state.customers.get(conversation.customerId)! : this.customer(body.customer, 'customer');
    const author = byCustomer ? null : this.userFor(body.user);
    // POST …/reply stores a `message` thread: Help Scout's type for an agent's reply (…/threads/list).
    const type: ThreadType = kind === 'customer' ? 'customer' : kind === 'chats' ? 'chat' : kind === 'notes' ? 'note' : 'message';
    const draft = kind === 'reply' && body.draft === true;
    const thread = this.state.newThread(conversation, {
      type,
      state: draft ? 'draft' : 'published',
      status: 'nochange',
      body: body.text,
      source: { type: this.settings.apiThreadSource, via: byCustomer ? 'customer' : 'user' },
      customerId: customer.id,
      createdBy: author ? { type: 'user', id: author.id } : { type: 'customer', id: customer.id },
      createdAt: body.createdAt ? Date.parse(body.createdAt) : this.state.now(),
      attachments: this.attachments(body.attachments),
    });
    // A customer thread reopens the conversation; a published reply reactivates it unless told otherwise.
    const status = body.status === 'all' || body.status === 'open' ? 'active' : body.status;
    if (byCustomer && !imported) conversation.status = 'active';
    if (kind === 'reply' && !draft) conversation.status = status ?? 'active';
    if (kind === 'notes' && status) conversation.status = status;
    const event = byCustomer ? 'convo.customer.reply.created' : kind === 'notes' ? 'convo.note.created' : draft ? null : 'convo.agent.reply.created';
    this.state.changed(conversation, event);
    // README (assumed): with importedSilencesAgentReplies, a conversation created imported stays silent for later replies too.
    const silenced = conversation.imported && this.settings.importedSilencesAgentReplies;
    if (kind === 'reply' && !draft && !imported && !silenced) this.mailAgentReply(conversation, thread.id, body.text, customer);
    return this.created(`${this.settings.base}/conversations/${conversation.id}/threads/${thread.id}`, thread.id);
  }

  private patch(conversation: StoredConversation, raw: unknown): ApiResult {
    const body = parseBody(patchBody, raw);
    if (body.op !== 'replace') throw badRequest([{ path: 'op', message: 'operation not supported by this fake', rejectedValue: body.op }]);
    if (body.path === '/status') {
      if (!['active', 'closed', 'pending', 'spam'].includes(String(body.value))) {
        throw badRequest([{ path: 'value', message: "Expected one of these: 'active', 'spam', 'closed', 'pending'", rejectedValue: body.value }]);
      }
      this.state.setStatus(conversation, body.value as 'active', this.state.apiUser, this.settings.apiThreadSource);
      this.state.changed(conversation, 'convo.status');
      return { status: 204 };
    }
    if (body.path === '/subject' && typeof body.value === 'string' && body.value.length > 0) {
      conversation.subject = body.value;
      this.state.changed(conversation, null);
      return { status: 204 };
    }
    throw badRequest([{ path: 'path', message: 'path not supported by this fake', rejectedValue: body.path }]);
  }

  private listConversations(query: URLSearchParams): ApiResult {
    const mailboxes = query.get('mailbox')?.split(',').map(Number);
    const status = query.get('status') ?? 'active';
    const tags = query.get('tag')?.split(',').map((t) => t.trim().toLowerCase());
    const since = query.get('modifiedSince') ? Date.parse(query.get('modifiedSince')!) : null;
    if (since !== null && Number.isNaN(since)) throw badRequest([{ path: 'modifiedSince', message: 'Malformed date', rejectedValue: query.get('modifiedSince') }]);
    const search = parseQuery(query.get('query'));
    const rows: { modifiedAt: number; view: Record<string, unknown> }[] = [];
    for (const conversation of this.state.conversations.values()) {
      const listed = this.state.listedView(conversation, this.settings.searchLagMs());
      if (!listed) continue;
      const view = listed.view;
      const viewTags = (view['tags'] as { tag: string }[]).map((t) => t.tag);
      if (mailboxes && !mailboxes.includes(view['mailboxId'] as number)) continue;
      // Only inboxes the app's user can see are listed.
      if (!this.erasure.accessible(conversation)) continue;
      // README (assumed): `all` lists every status but spam, which is listed only when asked for.
      if (status === 'all' && view['status'] === 'spam') continue;
      if (status !== 'all' && !(status === 'open' ? ['active', 'pending'].includes(view['status'] as string) : view['status'] === status)) continue;
      if (tags && !tags.some((t) => viewTags.includes(t))) continue;
      if (since !== null && listed.modifiedAt < since) continue;
      if (search && !search(view, viewTags)) continue;
      rows.push(listed);
    }
    const field = query.get('sortField') ?? 'createdAt';
    const order = query.get('sortOrder') === 'asc' ? 1 : -1;
    const key = (row: { modifiedAt: number; view: Record<string, unknown> }): string | number =>
      field === 'modifiedAt' ? row.modifiedAt : field === 'createdAt' ? Date.parse(row.view['createdAt'] as string) * 1e6 + (row.view['id'] as number) : String(row.view[field] ?? '');
    rows.sort((a, b) => (key(a) < key(b) ? -order : key(a) > key(b) ? order : 0));
    return { status: 200, body: this.page('conversations', rows.map((r) => r.view), query, '/conversations') };
  }

  private listThreads(conversation: StoredConversation, query: URLSearchParams): ApiResult {
    // Threads are sorted newest first (…/threads/list); this read is not subject to search lag.
    const threads = newestFirst(conversation.threads).map((t) => this.state.threadJson(conversation, t));
    return { status: 200, body: this.page('threads', threads, query, `/conversations/${conversation.id}/threads`) };
  }

  page(name: string, items: unknown[], query: URLSearchParams, path: string): Record<string, unknown> {
    const number = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const totalPages = Math.ceil(items.length / PAGE_SIZE);
    const href = (page: number) => `${this.settings.base}${path}?page=${page}`;
    const onPage = items.slice((number - 1) * PAGE_SIZE, number * PAGE_SIZE);
    return {
      // An empty page has no `_embedded` at all (ConversationPayloads.getConversations-empty.json).
      ...(onPage.length > 0 ? { _embedded: { [name]: onPage } } : {}),
      _links: {
        self: { href: href(number) },
        first: { href: href(1) },
        last: { href: href(Math.max(1, totalPages)) },
        ...(number < totalPages ? { next: { href: href(number + 1) } } : {}),
        page: { href: `${this.settings.base}${path}{?page}`, templated: true },
      },
      page: { size: PAGE_SIZE, totalElements: items.length, totalPages, number },
    };
  }

  private mailAgentReply(conversation: StoredConversation, threadId: number, text: string, customer: Person): void {
    if (!this.settings.notifications()) return;
    this.state.notify({ to: customer.email, conversationId: String(conversation.id), threadId: String(threadId), kind: 'agent-reply', text: htmlToText(text) });
  }

  private checkSize(path: string, method: string, body: unknown, bodyBytes: number): void {
    const { limits } = this.settings;
    const attachments = collectAttachments(body);
    for (const a of attachments) {
      const decoded = Math.floor((a.data.length * 3) / 4) - (a.data.endsWith('==') ? 2 : a.data.endsWith('=') ? 1 : 0);
      if (decoded > limits.attachmentBytes) throw tooLarge(`Attachment ${a.fileName} exceeds the ${limits.attachmentBytes} byte limit`);
    }
    const textBytes = bodyBytes - attachments.reduce((sum, a) => sum + a.data.length, 0);
    const isCreate = method === 'POST' && /^\/v2\/conversations\/?$/.test(path);
    const limit = isCreate ? limits.createConversationBytes : limits.defaultBytes;
    if (textBytes > limit) throw tooLarge(`Request size exceeded (${limit} bytes)`);
  }

  private conversation(id: string): StoredConversation {
    const conversation = /^\d+$/.test(id) ? this.state.conversations.get(Number(id)) : undefined;
    if (!conversation) throw notFound('Conversation');
    // README (assumed): a conversation in an inbox the app's user cannot see is a 403.
    if (!this.erasure.accessible(conversation)) throw new ApiError(403, errorBody('Access denied'));
    return conversation;
  }

  private customer(ref: { id?: number | undefined; email?: string | undefined; firstName?: string | undefined; lastName?: string | undefined }, path: string): Person {
    if (ref.id !== undefined) {
      const found = this.state.customers.get(ref.id);
      if (!found) throw badRequest([{ path: `${path}.id`, message: 'Invalid identifier', rejectedValue: ref.id }]);
      return found;
    }
    return this.state.customerByEmail(ref.email!, ref.firstName, ref.lastName);
  }

  private userFor(id: number | undefined): Person {
    if (id === undefined) return this.state.apiUser;
    const user = this.state.users.get(id);
    if (!user) throw badRequest([{ path: 'user', message: 'Invalid identifier', rejectedValue: id }]);
    return user;
  }

  private attachments(list: AttachmentBody[] | undefined): StoredAttachment[] {
    return (list ?? []).map((a) => this.state.newAttachment(a.fileName, a.mimeType, Buffer.from(a.data, 'base64').length));
  }

  private created(location: string, id: number): ApiResult {
    return { status: 201, headers: { 'Resource-ID': String(id), Location: location } };
  }

  private userJson(user: Person): Record<string, unknown> {
    // Every field of UserPayloads.getUser.json (its avatar URL too); the API user has no job title, phone or other address.
    return {
      id: user.id,
      createdAt: '2013-06-05T09:17:15Z',
      updatedAt: '2016-11-11T12:20:39Z',
      firstName: user.first,
      lastName: user.last,
      email: user.email,
      role: 'owner',
      jobTitle: '',
      phone: '',
      alternateEmails: [],
      timezone: 'UTC',
      photoUrl: 'https://helpscout.com/images/avatar.jpg',
      type: 'user',
      _links: { self: { href: `${this.settings.base}/users/${user.id}` } },
    };
  }
}

function collectAttachments(body: unknown): AttachmentBody[] {
  if (!body || typeof body !== 'object') return [];
  const record = body as { attachments?: unknown; threads?: unknown };
  const own = Array.isArray(record.attachments) ? (record.attachments as AttachmentBody[]) : [];
  const nested = Array.isArray(record.threads) ? (record.threads as unknown[]).flatMap((t) => collectAttachments(t)) : [];
  return [...own, ...nested].filter((a) => a && typeof a.data === 'string');
}

/** A small subset of Help Scout's search syntax: `tag:x`, `email:"x"`, `number:1`, else a substring. */
function parseQuery(text: string | null): ((view: Record<string, unknown>, tags: string[]) => boolean) | null {
  if (!text) return null;
  const inner = text.trim().replace(/^\((.*)\)$/, '$1').trim();
  const match = /^(tag|email|number|subject)\s*:\s*"?([^"]*)"?$/i.exec(inner);
  if (match) {
    const [, field, value] = match as unknown as [string, string, string];
    const wanted = value.toLowerCase();
    return (view, tags) => {
      if (field.toLowerCase() === 'tag') return tags.includes(wanted);
      // README (assumed): a search matches every address containing the value.
      if (field.toLowerCase() === 'email') return String((view['primaryCustomer'] as { email: string }).email).toLowerCase().includes(wanted);
      if (field.toLowerCase() === 'number') return String(view['number']) === value;
      return String(view['subject']).toLowerCase().includes(wanted);
    };
  }
  const needle = inner.toLowerCase();
  return (view) => String(view['subject']).toLowerCase().includes(needle) || String((view['primaryCustomer'] as { email: string }).email).includes(needle);
}
