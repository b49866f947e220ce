import { randomBytes } from 'node:crypto';
import { noFaults, type FakeConversationView, type FakeFaults, type FakeHelpdesk, type FakeStats, type FakeThreadView } from '../helpdesk-fake.js';
import { seededRandom, type WindowLimit } from './limits.js';
import type { ZdStatus, ZdTicket, ZdUser } from './model.js';
import { ZendeskErasure } from './erasure.js';
import { CustomerMail } from './notifications.js';
import { ZendeskRoutes } from './routes.js';
import { FakeZendeskTransport, type RequestRecord } from './transport.js';
import { ZendeskState } from './state.js';
import { commentEvent, statusEvent, ticketEvent, WebhookSender } from './webhooks.js';

export interface FakeZendeskOptions {
  /** Account-wide limit (Zendesk: per plan, e.g. 200/min on Team). Default: unlimited (like the Help Scout fake). */
  rateLimit?: WindowLimit | null;
  /** Update Ticket endpoint limit (Zendesk: 100/min per account). Default 100 per 60 s; null = off. */
  updateTicketLimit?: WindowLimit | null;
  faults?: Partial<FakeFaults>;
  /** The account's requester-notifying triggers are on (as shipped). Default true. */
  notifications?: boolean;
  seed?: number;
  /** Largest upload accepted (Zendesk: 50 MB per attachment). */
  maxUploadBytes?: number;
  /** The API user's role (default admin). An agent is refused the admin-only Incremental Ticket Export (403). */
  apiUserRole?: 'admin' | 'agent';
  /** Updates per ticket per user (Zendesk: 30 per 10 minutes); null = not enforced. */
  perTicketLimit?: WindowLimit | null;
  /** The unfriendly reading where the material is silent (README "Assumed"): a name-only new requester is refused. Default true. */
  requesterNeedsEmail?: boolean;
  /** How long a permanent-deletion job stays queued before it runs (README "Erasure", assumed). Default 300 ms. */
  jobDelayMs?: number;
}

export interface FakeZendesk extends FakeHelpdesk {
  readonly vendor: 'zendesk';
  /** A bearer token the fake accepts as an OAuth access token for the API user. */
  readonly oauthToken: string;
  readonly apiUserId: number;
  setUpdateTicketLimit(limit: WindowLimit | null): void;
  /** Whether the requester-mail triggers carry "Tags contains none of hub_delivered" (README step). */
  setTriggersExcludeHubTag(on: boolean): void;
  /** The next `n` successful writes (those to `only`, if given) commit but their answers are lost (deterministic lostResponseRate). */
  loseNextResponses(n: number, only?: { method?: string; path?: string }): void;
  /** The next requests are answered with these statuses (500, 503 …) without doing anything. */
  failNextRequests(...statuses: number[]): void;
  /** Every API request answered (or lost: status 0), oldest first. */
  requests(): RequestRecord[];
  /** Update Ticket calls seen, and the most in any window of that limit (429s included). */
  updateTicketStats(): { requests: number; maxInWindow: number };
  /** The most updates any one ticket got within 10 minutes (the per-ticket limit's window), 429s included. */
  maxUpdatesPerTicket(): number;
  setApiUserRole(role: 'admin' | 'agent'): void;
  /** `fn` runs after the next ticket read is answered and before the answer leaves (a change racing the reader). */
  afterNextRead(fn: () => Promise<void> | void): void;
  /** An agent sets a ticket's tags in the Zendesk UI. */
  agentSetTags(conversationId: string, tags: string[]): void;
  /** The raw ticket as the fake holds it (comments included), for assertions on tags/priority/authors. */
  ticket(id: string): ZdTicket | null;
  user(id: number): ZdUser | null;
  /** Problem tickets, oldest first, and the incident tickets linked to one. */
  problems(): ZdTicket[];
  incidentsOf(problemId: string): ZdTicket[];
  /** An agent solves a ticket in the Zendesk UI, optionally with a comment (a solved problem solves its incidents). */
  agentSolve(ticketId: string, comment?: { body: string; public: boolean }): void;
  /** What the account still holds of an address: users (soft-deleted included), tickets, soft-deleted tickets. */
  remnantsOf(email: string): { users: number[]; tickets: number[]; deletedTickets: number[] };
  setJobDelay(ms: number): void;
}

const SUBDOMAIN = 'acme';
const ACCOUNT_ID = 12_514_403;

/** A Zendesk Support API account on 127.0.0.1 (see README.md beside this file). */
export async function startFakeZendesk(options: FakeZendeskOptions = {}): Promise<FakeZendesk> {
  let faults: FakeFaults = { ...noFaults, ...options.faults };
  const random = seededRandom(options.seed ?? 1);
  const credentials = { email: 'hub@acme.example', apiToken: randomBytes(20).toString('hex'), oauthToken: randomBytes(24).toString('hex') };
  const webhookSecret = randomBytes(24).toString('base64');
  const mail = new CustomerMail();
  mail.enabled = options.notifications ?? true;
  const webhooks = new WebhookSender({ secret: webhookSecret, accountId: ACCOUNT_ID, webhookId: '01F1KRFQ6BG29CNWFR60NK5FNY', random, faults: () => faults });

  // The base URL is known only once listening; state and routes read it through this holder.
  const base = { url: '' };
  const userOf = (id: number) => state.users.get(id)!;
  const state: ZendeskState = new ZendeskState(
    base,
    { name: 'Support Hub', email: credentials.email },
    {
      ticketCreated(ticket, comment, actor) {
        webhooks.enqueue(ticketEvent('ticket.created', ACCOUNT_ID, ticket, actor, {}));
        mail.ticketCreated(ticket, comment, actor, userOf(ticket.requester_id));
      },
      commentAdded(ticket, comment, actor) {
        webhooks.enqueue(ticketEvent('ticket.comment_added', ACCOUNT_ID, ticket, actor, commentEvent(comment, userOf(comment.author_id))));
        if (ticket.comments[0] !== comment) mail.commentAdded(ticket, comment, userOf(ticket.requester_id));
      },
      statusChanged(ticket, previous, actor) {
        webhooks.enqueue(ticketEvent('ticket.status_changed', ACCOUNT_ID, ticket, actor, statusEvent(previous, ticket.status)));
      },
    },
    Date.now,
    { requesterNeedsEmail: options.requesterNeedsEmail ?? true },
  );
  state.apiUser.role = options.apiUserRole ?? 'admin';
  state.searchLagMs = faults.searchLagMs;
  const agents = new Map<string, ZdUser>();
  const agent = (name = 'Alex Agent') => {
    let user = agents.get(name);
    if (!user) agents.set(name, (user = state.addUser(name, `${name.toLowerCase().replace(/\W+/g, '.')}@acme.example`, 'agent')));
    return user;
  };
  agent();

  let triggersExcludeHubTag = true;
  const maxUploadBytes = options.maxUploadBytes ?? 50 * 1024 * 1024;
  let jobDelayMs = options.jobDelayMs ?? 300;
  const erasure = new ZendeskErasure(state, base, () => jobDelayMs);
  const routes = new ZendeskRoutes(state, {
    base,
    maxUploadBytes,
    triggersExcludeHubTag: () => triggersExcludeHubTag,
    erasure,
  });
  const transport = new FakeZendeskTransport({ routes, credentials, apiUser: state.apiUser, faults: () => faults, random, maxUploadBytes });
  if (options.perTicketLimit !== undefined) transport.perTicketLimit = options.perTicketLimit;
  const setRateLimit = (limit: WindowLimit | null) => {
    transport.accountLimit.spec = limit;
    transport.accountLimit.reset();
    transport.stats.account.windowMs = limit?.windowMs ?? 60_000;
  };
  const setUpdateTicketLimit = (limit: WindowLimit | null) => {
    transport.updateTicketLimit.spec = limit;
    transport.updateTicketLimit.reset();
    transport.stats.updateTicket.windowMs = limit?.windowMs ?? 60_000;
  };
  setRateLimit(options.rateLimit ?? null);
  setUpdateTicketLimit(options.updateTicketLimit === undefined ? { limit: 100, windowMs: 60_000 } : options.updateTicketLimit);
  base.url = await transport.listen();

  const ticketOf = (conversationId: string): ZdTicket => {
    const ticket = state.tickets.get(Number(conversationId));
    if (!ticket) throw new Error(`fake zendesk: no ticket ${conversationId}`);
    return ticket;
  };
  const view = (ticket: ZdTicket): FakeConversationView => ({
    id: String(ticket.id),
    hubConversationId: ticket.external_id,
    type: ticket.via.channel,
    subject: ticket.subject,
    customerEmail: userOf(ticket.requester_id).email,
    status: canonicalStatus(ticket.status),
    tags: [...ticket.tags],
    priority: ticket.priority,
    incidentLinks: ticket.type === 'incident' && ticket.problem_id !== null ? [`problem-${ticket.problem_id}`] : [],
    isIncidentRecord: ticket.type === 'problem',
    threads: ticket.comments.map((c): FakeThreadView => {
      const author = userOf(c.author_id);
      const kind = !c.public ? 'note' : c.author_id === ticket.requester_id ? 'customer' : author.role !== 'end-user' ? 'agent' : 'other';
      return { id: String(c.id), kind, public: c.public, text: c.body, createdAt: new Date(c.created_at), attachments: c.attachments.map((a) => ({ filename: a.file_name, size: a.size })) };
    }),
  });
  const rateEnv = (key: string, limit: WindowLimit | null | undefined) => (limit ? { [key]: `${limit.limit}/${limit.windowMs / 1000}` } : {});

  return {
    vendor: 'zendesk',
    url: base.url,
    oauthToken: credentials.oauthToken,
    apiUserId: state.apiUser.id,
    env: {
      ZENDESK_SUBDOMAIN: SUBDOMAIN,
      ZENDESK_EMAIL: credentials.email,
      ZENDESK_API_TOKEN: credentials.apiToken,
      ZENDESK_WEBHOOK_SECRET: webhookSecret,
      ZENDESK_API_BASE: base.url,
      ...rateEnv('ZENDESK_RATE_LIMIT', transport.accountLimit.spec),
      ...rateEnv('ZENDESK_UPDATE_TICKET_RATE_LIMIT', transport.updateTicketLimit.spec),
    },
    setWebhookTarget: (url) => void (webhooks.target = url),
    setFaults(partial) {
      faults = { ...faults, ...partial };
      state.searchLagMs = faults.searchLagMs;
    },
    setRateLimit,
    setUpdateTicketLimit,
    revokeCredentials: () => void (transport.credentialsRevoked = true),
    restoreCredentials: () => void (transport.credentialsRevoked = false),
    setNotifications: (on) => void (mail.enabled = on),
    setTriggersExcludeHubTag(on) {
      triggersExcludeHubTag = on;
      mail.excludeHubTag = on;
    },
    loseNextResponses(n, only) {
      transport.loseNext = n;
      transport.loseFilter = only ?? null;
    },
    failNextRequests: (...statuses) => void transport.failNext.push(...statuses),
    conversations: () => [...state.tickets.values()].map(view),
    conversation: (id) => {
      const ticket = state.tickets.get(Number(id));
      return ticket ? view(ticket) : null;
    },
    ticket: (id) => state.tickets.get(Number(id)) ?? null,
    user: (id) => state.users.get(id) ?? null,
    problems: () => [...state.tickets.values()].filter((t) => t.type === 'problem').sort((a, b) => a.id - b.id),
    incidentsOf: (problemId) => state.incidentsOf(Number(problemId)),
    agentSolve: (ticketId, comment) => void state.agentUpdate(ticketOf(ticketId).id, agent(), { status: 'solved', ...(comment ? { comment } : {}) }),
    remnantsOf: (email) => erasure.remnantsOf(email),
    setJobDelay: (ms) => void (jobDelayMs = ms),
    notifications: () => [...mail.sent],
    stats: (): FakeStats => ({
      requests: transport.stats.requests,
      byStatus: { ...transport.stats.byStatus },
      rateUnits: transport.stats.account.count,
      maxUnitsInWindow: transport.stats.account.max,
      webhooksSent: webhooks.sent,
    }),
    requests: () => [...transport.log],
    updateTicketStats: () => ({ requests: transport.stats.updateTicket.count, maxInWindow: transport.stats.updateTicket.max }),
    maxUpdatesPerTicket: () => transport.maxUpdatesPerTicket(),
    setApiUserRole: (role) => void (state.apiUser.role = role),
    afterNextRead: (fn) => void (transport.afterNextRead = fn),
    agentSetTags: (conversationId, tags) => void state.updateTicket(ticketOf(conversationId).id, { ticket: { tags } }, agent(), 'web'),
    resetStats() {
      transport.stats.requests = 0;
      transport.stats.byStatus = {};
      transport.stats.account.reset();
      transport.stats.updateTicket.reset();
      transport.ticketUpdates.clear();
      transport.log.length = 0;
      webhooks.sent = 0;
    },
    async agentReply(conversationId, text, replyOptions) {
      const comment = state.agentUpdate(ticketOf(conversationId).id, agent(replyOptions?.agentName), { comment: { body: text, public: true } });
      return { threadId: String(comment!.id) };
    },
    async agentNote(conversationId, text) {
      const comment = state.agentUpdate(ticketOf(conversationId).id, agent(), { comment: { body: text, public: false } });
      return { threadId: String(comment!.id) };
    },
    async setStatus(conversationId, status) {
      // Agents solve tickets; Zendesk itself closes them days later.
      const zendeskStatus: ZdStatus = status === 'closed' ? 'solved' : status;
      state.agentUpdate(ticketOf(conversationId).id, agent(), { status: zendeskStatus });
    },
    async customerWrites(input) {
      const requester = state.userByEmail(input.email) ?? state.addUser(input.name ?? input.email.split('@')[0]!, input.email, 'end-user');
      const { ticket } = state.createTicket({ ticket: { subject: input.subject, comment: { body: input.text } } }, requester, 'email');
      return { conversationId: String(ticket.id), threadId: String(ticket.comments[0]!.id) };
    },
    async customerReplies(conversationId, text) {
      const ticket = ticketOf(conversationId);
      const requester = userOf(ticket.requester_id);
      state.updateTicket(ticket.id, { ticket: { comment: { body: text, public: true } } }, requester, 'email');
      return { threadId: String(ticket.comments.at(-1)!.id) };
    },
    flushWebhooks: () => webhooks.flush(),
    async close() {
      webhooks.close();
      await transport.close();
    },
  };
}

function canonicalStatus(status: ZdStatus): 'open' | 'pending' | 'closed' {
  if (status === 'pending' || status === 'hold') return 'pending';
  if (status === 'solved' || status === 'closed') return 'closed';
  return 'open';
}
