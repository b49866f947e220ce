import type { RawRequest, VerifyResult } from './webhook.js';

/**
 * What the sync engine (src/sync) asks of a helpdesk: Help Scout, Zendesk, or the next one added
 * under `integrations/`. The engine owns ordering, retries, leases, rate budgets and the
 * "did my lost write land?" bookkeeping; an adapter only maps one operation onto the vendor's
 * API and answers lookups. Every write is keyed by our own ids so a retry can be made harmless.
 */

/** A customer message (or several combined) as pushed to the vendor. */
export interface SyncedMessage {
  messageId: string;
  text: string;
  html: string | null;
  createdAt: Date;
  attachments: SyncedAttachment[];
}

export interface SyncedAttachment {
  filename: string;
  contentType: string;
  size: number;
  /** The bytes, read from the hub's store on demand (adapters upload what fits the vendor's limit). */
  load(): Promise<Buffer>;
  /** A link to the file on the hub, for files over the vendor's limit (null when no public URL is configured). */
  url: string | null;
}

export interface HelpdeskCustomer {
  email: string | null;
  name: string | null;
  /** Proven identity (user_hash, DMARC pass); shown to agents when false. */
  verified: boolean;
  /** The hub's contact, for an adapter that must address the customer by a stable hub identity (see helpdeskChatAddress). */
  contactId?: string;
}

/**
 * The address a helpdesk knows an in-app chat customer by when the helpdesk must never mail them
 * itself (ARCHITECTURE §6: for chat conversations the hub speaks to the customer): one per hub
 * contact, under the reserved `.invalid` TLD (RFC 2606), which no mail can ever reach. The
 * sidebar maps it back to the contact (contactIdOfChatAddress).
 */
export function helpdeskChatAddress(contactId: string): string {
  return `chat-${contactId.toLowerCase()}@chat.invalid`;
}

const CHAT_ADDRESS = /^chat-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@chat\.invalid$/;

export function contactIdOfChatAddress(address: string): string | null {
  return CHAT_ADDRESS.exec(address.trim().toLowerCase())?.[1] ?? null;
}

/** Our conversation as the vendor knows it, with what the adapter kept from the create response. */
export interface ConversationRef {
  conversationId: string;
  externalId: string;
  /** Adapter-owned facts from earlier writes (e.g. Zendesk's requester id, Help Scout's customer id). */
  metadata: Record<string, unknown>;
}

export type HelpdeskWrite =
  | {
      kind: 'create';
      conversationId: string;
      /** How the conversation reached us: chat → a chat conversation, email → an email one. */
      channel: 'chat' | 'email';
      subject: string | null;
      customer: HelpdeskCustomer;
      /** In order. Adapters that cannot create with several threads combine them into one. */
      messages: SyncedMessage[];
      tags: string[];
    }
  | { kind: 'append'; ref: ConversationRef; channel: 'chat' | 'email'; customer: HelpdeskCustomer; messages: SyncedMessage[] }
  /** A private note (device context, the acknowledgement and its promise). `key` is ours, stable across retries. */
  | { kind: 'note'; ref: ConversationRef; key: string; text: string }
  | {
      kind: 'triage';
      ref: ConversationRef;
      key: string;
      level: 'urgent' | 'high' | 'normal' | 'low';
      tags: string[];
      /** Private note text explaining the call (evidence). */
      note: string;
    }
  /** A public reply from the hub, for conversations that started in the helpdesk (the helpdesk mails it). */
  | { kind: 'reply'; ref: ConversationRef; key: string; text: string }
  /**
   * The hub incident this conversation belongs to now (null: none any more, after a split): the
   * adapter marks it the vendor's way (Help Scout: the tag `incident-<number>`, replacing any other
   * `incident-*` tag; Zendesk: `type: incident` linked by `problem_id` to the incident's problem
   * ticket). `note` is a private note for agents, sent once per conversation and incident.
   * Only sent to adapters whose traits say `incidentLinks`.
   */
  | { kind: 'incident'; ref: ConversationRef; key: string; incident: IncidentLink | null; note: string | null };

/** A hub incident as a helpdesk conversation is linked to it. */
export interface IncidentLink {
  id: string;
  number: number;
  title: string;
  /** Its page on the hub's dashboard (null without HUB_PUBLIC_URL). */
  url: string | null;
  /** The helpdesk's own record of the incident (Zendesk's problem ticket id), for `incidentLinks: 'problem'`. */
  problemId?: string;
}

/**
 * A hub incident as one helpdesk record that the member conversations link to (Zendesk's problem
 * ticket), for adapters whose traits say `incidentLinks: 'problem'`. The engine (src/sync/problem.ts)
 * owns when: it makes the record before linking any member, and solves it only once no member
 * links to it any more or the incident was resolved (solving a Zendesk problem solves its incidents).
 */
export interface HelpdeskProblems {
  /** Makes the record, keyed by the incident so a retried call makes no second one; its vendor id. */
  open(problem: IncidentProblem, signal?: AbortSignal): Promise<string>;
  /** The record an earlier `open` made (its answer lost), or null. May lag like any lookup (traits.searchLagMs). */
  find(incidentId: string, signal?: AbortSignal): Promise<string | null>;
  /** Solves it with a private note for agents; nothing when it is solved already. */
  solve(problemId: string, note: string, signal?: AbortSignal): Promise<void>;
}

export interface IncidentProblem {
  incidentId: string;
  number: number;
  title: string;
  /** Private description for agents: what the incident is, where its page is. */
  body: string;
}

export interface WriteOutcome {
  /** Set by `create`: the vendor's conversation/ticket id. */
  externalId?: string;
  /** Vendor ids of the threads/comments this write produced (one for a combined append). */
  threadIds: string[];
  /** Merged into ConversationRef.metadata. */
  metadata?: Record<string, unknown>;
}

/** One thread/comment of a vendor conversation, as the engine reads them back. */
export interface HelpdeskThread {
  id: string;
  kind: 'customer' | 'agent' | 'note' | 'other';
  /** Visible to the customer (an agent's reply, not a draft or private note). */
  public: boolean;
  /** Written through the hub's own API identity (our pushes, our acknowledgements): never echoed back. */
  byHub: boolean;
  authorName: string | null;
  text: string;
  html: string | null;
  createdAt: Date;
  attachments: { filename: string; contentType: string; size: number; url: string | null }[];
}

export interface HelpdeskConversationInfo {
  externalId: string;
  /** Our conversation id when the hub created it (Help Scout tag, Zendesk external_id); null when it started in the helpdesk. */
  hubConversationId: string | null;
  /** The hub incident whose problem record this is (Zendesk: external_id `hub-incident:<id>`); absent for a conversation. */
  hubIncidentId?: string | null;
  subject: string | null;
  status: 'open' | 'pending' | 'closed';
  /** `verified`: the helpdesk itself says the customer's email is verified (Zendesk: the user's `verified`); absent = not known. */
  customer: { email: string | null; name: string | null; verified?: boolean };
  createdAt: Date;
}

/** Canonical events a verified webhook turns into. The engine re-reads the conversation rather than trusting event order. */
export type HelpdeskWebhookEvent = {
  kind: 'conversation.created' | 'agent.replied' | 'customer.replied' | 'status.changed' | 'assigned' | 'other';
  externalId: string;
  /** Our conversation id when the payload carries it (tag / external_id), else null. */
  hubConversationId: string | null;
  status?: 'open' | 'pending' | 'closed';
  /**
   * The event reports the hub's own API write (our create, our pushed customer thread or note):
   * there is nothing to pull, and pulling would spend rate budget. Set it only when a field the
   * vendor documents proves it (Zendesk: the event's `actor_id` is our API user).
   */
  byHub?: boolean;
  /**
   * Threads/comments the payload names, when it names any. The hub skips the pull when it already
   * knows every one of them (they are ours, or already stored); otherwise it fetches, then decides.
   */
  threadIds?: string[];
};

export interface ConnectionCheck {
  ok: boolean;
  detail: string;
  /** A hint for an operator when `ok` is false (shown by `npm run doctor`). */
  hint?: string;
  /**
   * Further verdicts learnt on the same visit, each its own `npm run doctor` line — e.g. whether
   * Zendesk's triggers would mail customers a second copy of what the hub delivers.
   */
  findings?: ConnectionFinding[];
}

export interface ConnectionFinding {
  check: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

export interface HelpdeskTraits {
  /** Most messages one `create` or `append` may carry (the engine batches beyond it). */
  maxMessagesPerWrite: number;
  /**
   * How long a lookup by our id (search) may still miss a conversation the vendor created: after a
   * create whose response was lost, the engine waits this long before concluding it did not land.
   */
  searchLagMs: number;
  /** Who mails agent replies to the customer for conversations the hub created (ARCHITECTURE §6). */
  replyDelivery: { chat: 'hub' | 'helpdesk'; email: 'hub' | 'helpdesk' };
  /**
   * How the adapter shows a conversation's hub incident (`incident` writes); absent: not shown.
   * `tags`: on the conversation alone. `problem`: as a link to one helpdesk record per incident
   * (`problems`), which the engine makes first.
   */
  incidentLinks?: 'tags' | 'problem';
}

export interface HelpdeskCapability {
  readonly traits: HelpdeskTraits;
  /** Present exactly when `traits.incidentLinks` is `problem`. */
  readonly problems?: HelpdeskProblems;
  write(op: HelpdeskWrite, signal?: AbortSignal): Promise<WriteOutcome>;
  /**
   * After a write whose outcome is unknown (timeout, connection reset, 5xx): what of it the vendor
   * already holds, or null if nothing. `knownThreadIds` are the thread ids already recorded for
   * this conversation, so an earlier identical message is not mistaken for this one.
   */
  findWrite(op: HelpdeskWrite, knownThreadIds: ReadonlySet<string>, signal?: AbortSignal): Promise<WriteOutcome | null>;
  /** The conversation's threads, oldest first. */
  threads(externalId: string, signal?: AbortSignal): Promise<HelpdeskThread[]>;
  conversation(externalId: string, signal?: AbortSignal): Promise<HelpdeskConversationInfo | null>;
  /** Conversations changed at the vendor since a time (reconciliation poll for lost webhooks). */
  changedSince(since: Date, signal?: AbortSignal): Promise<{ externalId: string; updatedAt: Date }[]>;
  verifyWebhook(request: RawRequest): VerifyResult;
  /**
   * A delivery the vendor's own "test" button sent, signed its documented test way (Zendesk: a
   * fixed public secret). Checked only when `verifyWebhook` failed; answered 200 `{"test": true}`
   * and never parsed or acted on.
   */
  isTestDelivery?(request: RawRequest): boolean;
  /** Parses a verified webhook body; `deliveryId` is what dedupes a redelivery. Throws HubError(400) on a malformed body. */
  parseWebhook(request: RawRequest): { deliveryId: string; events: HelpdeskWebhookEvent[] };
  checkConnection(signal?: AbortSignal): Promise<ConnectionCheck>;
  /**
   * Deletes one person's data at the vendor through its documented API (src/privacy/erase.ts asks,
   * after the hub has erased its own copy). Idempotent: what is already gone (404) counts as done,
   * so a retry after a crash or an outage repeats harmlessly. Throws the vendor kit's errors on a
   * transient failure (5xx, 429, timeout) so the durable job retries it.
   */
  erasePerson?(person: HelpdeskPerson, signal?: AbortSignal): Promise<HelpdeskErasure>;
  /**
   * The vendor's ids for the customer that a conversation's adapter metadata records (Zendesk's
   * requester id, Help Scout's customer id), as strings: how `npm run privacy:export -- --helpdesk-id`
   * finds a person by the id an agent sees. Pure; no vendor call.
   */
  customerIdsIn?(metadata: Record<string, unknown>): string[];
}

/** Who to delete at a helpdesk: what the hub's sync bookkeeping knew of the person there. */
export interface HelpdeskPerson {
  /** The person's email addresses, and the helpdeskChatAddress of each of their chat contacts. */
  emails: string[];
  /**
   * The vendor conversations/tickets the hub created or imported for them, with the metadata the
   * adapter kept from earlier writes (its own ids for the person: Zendesk's requester id, Help
   * Scout's customer id): the adapter reads its own keys, as it does for writes.
   */
  conversations: ConversationRef[];
}

/** What a helpdesk did with an erasure request, in words an operator can act on. */
export interface HelpdeskErasure {
  /** One line per kind of thing deleted, e.g. "3 conversations deleted", "user 123 permanently deleted". */
  done: string[];
  /** What the vendor's API cannot delete, for a human to do in the vendor's own admin. Empty when nothing is left. */
  manual: string[];
}
