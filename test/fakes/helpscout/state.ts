import type { FakeConversationView, FakeNotification, FakeThreadView } from '../helpdesk-fake.js';

/**
 * What the fake Help Scout account holds: one mailbox, its customers, users, conversations and
 * threads, and the JSON shapes the Mailbox API v2 returns for them (HAL `_embedded` / `_links`,
 * developer.helpscout.com/mailbox-api/endpoints/conversations/get and …/threads/list). The HTTP
 * layer (server.ts) validates requests and decides faults; everything here is the account's state.
 */

export type ConversationStatus = 'active' | 'pending' | 'closed' | 'spam';
/** Help Scout's thread types (…/threads/list): an agent's reply is a `message`, whichever endpoint wrote it. */
export type ThreadType = 'customer' | 'chat' | 'note' | 'message' | 'lineitem';
export type SourceType = 'api' | 'web' | 'email';

export interface Person {
  id: number;
  first: string | null;
  last: string | null;
  email: string;
  /** When a customer was first seen (List Customers' createdAt). */
  createdAt?: number;
}

export interface StoredAttachment {
  id: number;
  filename: string;
  mimeType: string;
  size: number;
}

export interface StoredThread {
  id: number;
  type: ThreadType;
  state: 'published' | 'draft';
  status: ConversationStatus | 'nochange';
  body: string;
  source: { type: SourceType; via: 'customer' | 'user' };
  customerId: number;
  createdBy: { type: 'customer' | 'user'; id: number };
  createdAt: number;
  attachments: StoredAttachment[];
  action?: { type: string; text: string };
}

export interface StoredConversation {
  id: number;
  number: number;
  mailboxId: number;
  type: 'email' | 'chat' | 'phone';
  status: ConversationStatus;
  subject: string;
  customerId: number;
  tags: string[];
  createdAt: number;
  modifiedAt: number;
  closedAt: number | null;
  closedBy: number | null;
  /** Created with `imported: true` (see README: our reading of what that silences later). */
  imported: boolean;
  source: { type: SourceType; via: 'customer' | 'user' };
  createdBy: { type: 'customer' | 'user'; id: number };
  threads: StoredThread[];
  /** What list/search shows, as of each change: lists lag behind writes (faults.searchLagMs). */
  listed: { at: number; modifiedAt: number; view: Record<string, unknown> }[];
}

export type HelpScoutEvent =
  | 'convo.created'
  | 'convo.agent.reply.created'
  | 'convo.customer.reply.created'
  | 'convo.note.created'
  | 'convo.status'
  | 'convo.tags'
  | 'convo.assigned';

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class HelpScoutState {
  readonly conversations = new Map<number, StoredConversation>();
  readonly customers = new Map<number, Person>();
  readonly users = new Map<number, Person>();
  readonly notifications: FakeNotification[] = [];
  private readonly tagIds = new Map<string, number>();
  private nextId = { conversation: 1000, number: 100, thread: 50_000, customer: 7000, user: 11, attachment: 900, tag: 9100 };
  /** Shifts the account's clock (lag checks, timestamps) so tests can step past a lag without sleeping. */
  clockOffsetMs = 0;

  constructor(
    readonly mailbox: { id: number; name: string; email: string },
    /** The user the OAuth app acts as (resource owner of API writes). */
    readonly apiUser: Person,
    private readonly onEvent: (event: HelpScoutEvent, conversation: StoredConversation) => void,
  ) {
    this.users.set(apiUser.id, apiUser);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  customerByEmail(email: string, first?: string | null, last?: string | null): Person {
    const lower = email.toLowerCase();
    for (const customer of this.customers.values()) if (customer.email === lower) return customer;
    const customer: Person = { id: this.nextId.customer++, first: first ?? null, last: last ?? null, email: lower, createdAt: this.now() };
    this.customers.set(customer.id, customer);
    return customer;
  }

  /** An agent by display name (created on first use). */
  agent(name = 'Alex Agent'): Person {
    for (const user of this.users.values()) if (user !== this.apiUser && `${user.first} ${user.last}` === name) return user;
    const [first, ...rest] = name.split(' ');
    const user: Person = { id: this.nextId.user++, first: first ?? name, last: rest.join(' ') || null, email: `${name.toLowerCase().replace(/\W+/g, '.')}@agents.example` };
    this.users.set(user.id, user);
    return user;
  }

  newConversation(input: Omit<StoredConversation, 'id' | 'number' | 'threads' | 'listed' | 'modifiedAt' | 'closedAt' | 'closedBy'>): StoredConversation {
    const conversation: StoredConversation = {
      ...input,
      id: this.nextId.conversation++,
      number: this.nextId.number++,
      tags: normaliseTags(input.tags),
      modifiedAt: this.now(),
      closedAt: null,
      closedBy: null,
      threads: [],
      listed: [],
    };
    this.conversations.set(conversation.id, conversation);
    return conversation;
  }

  newThread(conversation: StoredConversation, thread: Omit<StoredThread, 'id'>): StoredThread {
    const stored: StoredThread = { ...thread, id: this.nextId.thread++ };
    conversation.threads.push(stored);
    return stored;
  }

  newAttachment(filename: string, mimeType: string, size: number): StoredAttachment {
    return { id: this.nextId.attachment++, filename, mimeType, size };
  }

  /** Records a change: bumps modifiedAt, queues what lists will show once the lag has passed, sends the webhook. */
  changed(conversation: StoredConversation, event: HelpScoutEvent | null): void {
    conversation.modifiedAt = Math.max(this.now(), conversation.modifiedAt);
    conversation.listed.push({ at: this.now(), modifiedAt: conversation.modifiedAt, view: this.conversationJson(conversation, false) });
    if (event) this.onEvent(event, conversation);
  }

  /** `source`: where the change was made (the UI, or the API as the fake's `apiThreadSource` reads it). */
  setStatus(conversation: StoredConversation, status: ConversationStatus, by: Person, source: SourceType): void {
    if (conversation.status === status) return;
    conversation.status = status;
    conversation.closedAt = status === 'closed' ? this.now() : null;
    conversation.closedBy = status === 'closed' ? by.id : null;
    // Help Scout records a status change as a line item in the thread list.
    this.newThread(conversation, {
      type: 'lineitem',
      state: 'published',
      status,
      body: '',
      source: { type: source, via: 'user' },
      customerId: conversation.customerId,
      createdBy: { type: 'user', id: by.id },
      createdAt: this.now(),
      attachments: [],
      action: { type: 'changed-ticket-status', text: `${by.first ?? 'Someone'} marked as ${status === 'active' ? 'Active' : status === 'pending' ? 'Pending' : 'Closed'}` },
    });
  }

  setTags(conversation: StoredConversation, tags: string[]): void {
    conversation.tags = normaliseTags(tags);
  }

  notify(notification: FakeNotification): void {
    this.notifications.push(notification);
  }

  // ---- JSON as the API returns it ------------------------------------------------------------

  conversationJson(conversation: StoredConversation, embedThreads: boolean): Record<string, unknown> {
    const customer = this.customers.get(conversation.customerId)!;
    const published = conversation.threads.filter((t) => t.state === 'published' && t.type !== 'lineitem');
    const latest = newestFirst(published)[0];
    const lastCustomer = newestFirst(published.filter((t) => t.createdBy.type === 'customer'))[0];
    const lastUser = newestFirst(published.filter((t) => t.createdBy.type === 'user' && t.type !== 'note'))[0];
    const base = `https://api.helpscout.net/v2/conversations/${conversation.id}`;
    return {
      id: conversation.id,
      number: conversation.number,
      threads: published.length,
      type: conversation.type,
      folderId: 1,
      status: conversation.status,
      state: 'published',
      subject: conversation.subject,
      preview: latest ? htmlToText(latest.body).slice(0, 185) : '',
      mailboxId: conversation.mailboxId,
      // A conversation's creator is {id, type, email} (ConversationPayloads.getConversation.json); names appear on threads only.
      createdBy: { id: conversation.createdBy.id, type: conversation.createdBy.type, email: this.personRef(conversation.createdBy)['email'] },
      createdAt: iso(conversation.createdAt),
      ...(conversation.closedAt ? { closedBy: conversation.closedBy, closedAt: iso(conversation.closedAt) } : {}),
      userUpdatedAt: iso(conversation.modifiedAt),
      customerWaitingSince: {
        time: iso((lastCustomer ?? published[0])?.createdAt ?? conversation.createdAt),
        friendly: 'just now',
        latestReplyFrom: lastUser && (!lastCustomer || lastUser.createdAt >= lastCustomer.createdAt) ? 'user' : 'customer',
      },
      source: conversation.source,
      tags: conversation.tags.map((tag) => ({ id: this.tagId(tag), color: '#929499', tag })),
      cc: [],
      bcc: [],
      primaryCustomer: { id: customer.id, type: 'customer', first: customer.first, last: customer.last, email: customer.email },
      customFields: [],
      ...(embedThreads ? { _embedded: { threads: newestFirst(conversation.threads).map((t) => this.threadJson(conversation, t)) } } : {}),
      _links: {
        mailbox: { href: `https://api.helpscout.net/v2/mailboxes/${conversation.mailboxId}` },
        primaryCustomer: { href: `https://api.helpscout.net/v2/customers/${customer.id}` },
        // Creator and closer links as in ConversationPayloads.getConversation.json `_links` (createdByUser: …/conversations/get Resource Links).
        ...(conversation.createdBy.type === 'customer'
          ? { createdByCustomer: { href: `https://api.helpscout.net/v2/customers/${conversation.createdBy.id}` } }
          : { createdByUser: { href: `https://api.helpscout.net/v2/users/${conversation.createdBy.id}` } }),
        ...(conversation.closedBy !== null ? { closedBy: { href: `https://api.helpscout.net/v2/users/${conversation.closedBy}` } } : {}),
        self: { href: base },
        threads: { href: `${base}/threads` },
        web: { href: `https://secure.helpscout.net/conversation/${conversation.id}/${conversation.number}/` },
      },
    };
  }

  threadJson(conversation: StoredConversation, thread: StoredThread): Record<string, unknown> {
    const customer = this.customers.get(thread.customerId)!;
    const base = `https://api.helpscout.net/v2/conversations/${conversation.id}`;
    return {
      id: thread.id,
      type: thread.type,
      status: thread.status,
      state: thread.state,
      ...(thread.action ? { action: { ...thread.action, associatedEntities: {} } } : {}),
      body: thread.body,
      source: thread.source,
      customer: { id: customer.id, first: customer.first, last: customer.last, email: customer.email },
      createdBy: this.personRef(thread.createdBy),
      // Present on every thread (ThreadPayloads.getThreads.json); 0 = no saved reply, as in ConversationPayloads.getConversations-embedThread.json.
      savedReplyId: 0,
      to: thread.type === 'message' ? [customer.email] : [],
      cc: [],
      bcc: [],
      createdAt: iso(thread.createdAt),
      _embedded: {
        attachments: thread.attachments.map((a) => ({
          id: a.id,
          filename: a.filename,
          mimeType: a.mimeType,
          size: a.size,
          state: 'valid',
          _links: { data: { href: `${base}/attachments/${a.id}/data` }, self: { href: `${base}/attachments/${a.id}` } },
        })),
      },
      _links: {
        [thread.createdBy.type === 'customer' ? 'createdByCustomer' : 'createdByUser']: {
          href: `https://api.helpscout.net/v2/${thread.createdBy.type === 'customer' ? 'customers' : 'users'}/${thread.createdBy.id}`,
        },
      },
    };
  }

  /** The conversation as list/search shows it `lagMs` after the fact; null when not listed yet. */
  listedView(conversation: StoredConversation, lagMs: number): { modifiedAt: number; view: Record<string, unknown> } | null {
    const horizon = this.now() - lagMs;
    let listed: { modifiedAt: number; view: Record<string, unknown> } | null = null;
    for (const entry of conversation.listed) if (entry.at <= horizon) listed = entry;
    return listed;
  }

  view(conversation: StoredConversation): FakeConversationView {
    const customer = this.customers.get(conversation.customerId)!;
    const hubTag = conversation.tags.find((t) => /^hub-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(t));
    return {
      id: String(conversation.id),
      hubConversationId: hubTag ? hubTag.slice(4) : null,
      type: conversation.type,
      subject: conversation.subject,
      customerEmail: customer.email,
      status: conversation.status === 'active' ? 'open' : conversation.status === 'pending' ? 'pending' : 'closed',
      tags: [...conversation.tags],
      priority: null,
      incidentLinks: conversation.tags.filter((t) => /^incident-\d+$/.test(t)),
      isIncidentRecord: false,
      threads: [...conversation.threads].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id).map((t) => threadView(t)),
    };
  }

  private personRef(ref: { type: 'customer' | 'user'; id: number }): Record<string, unknown> {
    const person = ref.type === 'customer' ? this.customers.get(ref.id) : this.users.get(ref.id);
    return { id: ref.id, type: ref.type, first: person?.first ?? null, last: person?.last ?? null, email: person?.email ?? null };
  }

  private tagId(tag: string): number {
    let id = this.tagIds.get(tag);
    if (id === undefined) this.tagIds.set(tag, (id = this.nextId.tag++));
    return id;
  }
}

function threadView(thread: StoredThread): FakeThreadView {
  const kind =
    thread.type === 'note'
      ? 'note'
      : thread.type === 'lineitem'
        ? 'other'
        : thread.createdBy.type === 'customer'
          ? 'customer'
          : 'agent';
  return {
    id: String(thread.id),
    kind,
    public: kind === 'customer' || (kind === 'agent' && thread.state === 'published'),
    text: htmlToText(thread.body),
    createdAt: new Date(thread.createdAt),
    attachments: thread.attachments.map((a) => ({ filename: a.filename, size: a.size })),
  };
}

export function newestFirst<T extends { createdAt: number; id: number }>(threads: readonly T[]): T[] {
  return [...threads].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
}

/** Help Scout stores tags lowercased, without duplicates. */
export function normaliseTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0))];
}

/** The fake's own HTML → text (independent of the adapter's, so the two check each other). */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .trim();
}
