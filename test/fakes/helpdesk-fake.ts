/**
 * What every fake helpdesk (test/fakes/helpscout, test/fakes/zendesk) offers a test: a real HTTP
 * server speaking the vendor's API with its auth, limits and response shapes, plus a control
 * surface to act as an agent, inspect state and inject faults. The contract kit
 * (test/contract/helpdesk.ts), the chaos test and bench:sync drive both vendors through this.
 */
export interface FakeFaults {
  /** Share of API requests answered 5xx without doing anything (0–1). */
  errorRate: number;
  /** Share of API requests answered after `slowMs`. */
  slowRate: number;
  slowMs: number;
  /** Share of writes that commit, then lose the response (the socket is destroyed). */
  lostResponseRate: number;
  /** Share of webhooks never sent, and share sent twice. */
  webhookDropRate: number;
  webhookDuplicateRate: number;
  /** Conversations/tickets become visible to search/list this long after they are written. */
  searchLagMs: number;
}

export const noFaults: FakeFaults = {
  errorRate: 0,
  slowRate: 0,
  slowMs: 2000,
  lostResponseRate: 0,
  webhookDropRate: 0,
  webhookDuplicateRate: 0,
  searchLagMs: 0,
};

export interface FakeThreadView {
  id: string;
  kind: 'customer' | 'agent' | 'note' | 'other';
  public: boolean;
  text: string;
  createdAt: Date;
  attachments: { filename: string; size: number }[];
}

export interface FakeConversationView {
  id: string;
  /** Our conversation id as the vendor holds it (Help Scout tag / Zendesk external_id), or null. */
  hubConversationId: string | null;
  type: string;
  subject: string | null;
  customerEmail: string | null;
  status: 'open' | 'pending' | 'closed';
  tags: string[];
  priority: string | null;
  threads: FakeThreadView[];
  /**
   * The incident records the conversation is linked to, the vendor's way: Help Scout its
   * `incident-<n>` tags; Zendesk `problem-<id>` for an incident ticket linked to a problem.
   */
  incidentLinks: string[];
  /** The vendor's own record of an incident (a Zendesk problem ticket), not a conversation. */
  isIncidentRecord: boolean;
}

/** An email the vendor itself sent to a customer (its own notification of an agent reply, auto-reply, …). */
export interface FakeNotification {
  to: string;
  conversationId: string;
  threadId: string | null;
  kind: 'agent-reply' | 'auto-reply' | 'other';
  text: string;
}

export interface FakeStats {
  requests: number;
  /** Requests per response status (0 = response deliberately lost). */
  byStatus: Record<number, number>;
  /** Requests counted against the rate limit, in units (Help Scout writes count 2). */
  rateUnits: number;
  /** Largest number of rate units seen in any one window of the configured limit. */
  maxUnitsInWindow: number;
  webhooksSent: number;
}

export interface FakeHelpdesk {
  readonly vendor: 'helpscout' | 'zendesk';
  /** API base URL (what HELPSCOUT_API_BASE / ZENDESK_API_BASE point at). */
  readonly url: string;
  /** Environment for a hub talking to this fake (credentials, mailbox, webhook secret, API base). */
  readonly env: Record<string, string>;
  /** Where the fake sends its signed webhooks (the hub's /webhooks/{id} URL); null = nowhere. */
  setWebhookTarget(url: string | null): void;
  setFaults(faults: Partial<FakeFaults>): void;
  /** Rate limit in request units per window; null = unlimited. */
  setRateLimit(limit: { limit: number; windowMs: number } | null): void;
  /** Revoke the hub's credentials (every call 401 until restored). */
  revokeCredentials(): void;
  restoreCredentials(): void;
  /** Whether the vendor mails customers itself (as shipped: true). */
  setNotifications(on: boolean): void;

  conversations(): FakeConversationView[];
  conversation(id: string): FakeConversationView | null;
  notifications(): FakeNotification[];
  stats(): FakeStats;
  resetStats(): void;

  /** An agent replies publicly (the fake sends the signed webhook). */
  agentReply(conversationId: string, text: string, options?: { agentName?: string }): Promise<{ threadId: string }>;
  /** An agent adds a private note (webhook as the vendor sends it). */
  agentNote(conversationId: string, text: string): Promise<{ threadId: string }>;
  setStatus(conversationId: string, status: 'open' | 'pending' | 'closed'): Promise<void>;
  /** A customer writes straight to the helpdesk's own address: a conversation the hub did not create. */
  customerWrites(input: { email: string; name?: string; subject: string; text: string }): Promise<{ conversationId: string; threadId: string }>;
  /** A customer replies by email to a conversation at the helpdesk. */
  customerReplies(conversationId: string, text: string): Promise<{ threadId: string }>;
  /** Resolves when every webhook queued so far has been attempted. */
  flushWebhooks(): Promise<void>;
  close(): Promise<void>;
}
