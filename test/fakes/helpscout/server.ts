import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { noFaults, type FakeFaults, type FakeHelpdesk, type FakeStats } from '../helpdesk-fake.js';
import { defaultLimits, HelpScoutApi, type RequestLimits } from './api.js';
import { RateLimiter, seededRandom, type RateLimit } from './limits.js';
import { ApiError, errorBody } from './requests.js';
import { AccountActions } from './actions.js';
import { HelpScoutState, type Person, type StoredConversation } from './state.js';
import { WebhookSender, type WebhookDelivery } from './webhooks.js';
import { webhookBody, type WebhookThreads } from './webhook-body.js';

export interface FakeHelpScoutOptions {
  rateLimit?: RateLimit | null;
  faults?: Partial<FakeFaults>;
  notifications?: boolean;
  mailboxId?: number;
  /** Seeds every random decision (faults, webhook drops), so a run can be replayed. */
  seed?: number;
  /** Lifetime of issued access tokens in seconds (Help Scout: 172800 for client credentials; default here 7200). */
  tokenExpiresIn?: number;
  /** Our reading of `imported: true` (README, assumed). Default false: only the importing request is silent. */
  importedSilencesAgentReplies?: boolean;
  /** Whether webhook bodies carry threads (README, assumed). Default 'none'. */
  webhookThreads?: WebhookThreads;
  /** `source.type` of threads written through the API (README, assumed). Default 'email', as every official thread payload shows. */
  apiThreadSource?: 'api' | 'email';
  limits?: Partial<RequestLimits>;
}

export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  status: number;
  /** Parsed JSON body of a write (attachment data replaced by its length). */
  body?: unknown;
}

export interface FakeHelpScout extends FakeHelpdesk {
  readonly vendor: 'helpscout';
  readonly clientId: string;
  readonly webhookSecret: string;
  readonly apiUserId: number;
  /** Every API request answered (or lost), oldest first. */
  requests(): RequestRecord[];
  /** Access tokens issued so far. */
  tokensIssued(): number;
  webhookDeliveries(): WebhookDelivery[];
  /** Commits the next write matching `match`, then loses its response (a targeted lostResponseRate). */
  loseNextResponse(match: (method: string, path: string) => boolean): void;
  /** Moves the account's clock forward: search lag passes, tokens expire, without sleeping. */
  advanceTime(ms: number): void;
  /** The stored conversation (threads with their source, author, body) for assertions. */
  raw(conversationId: string): StoredConversation | undefined;
  /** What the account still holds of an address (any inbox): customers, and conversations naming them. */
  remnantsOf(email: string): { customers: number[]; conversations: number[] };
  /** A customer mails an inbox the app's user cannot see (Delete Customer then answers 403). */
  customerWritesElsewhere(input: { email: string; name?: string; subject: string; text: string }): { conversationId: string };
}

const MAX_BODY_BYTES = 50 * 1024 * 1024;

export async function startFakeHelpScout(options: FakeHelpScoutOptions = {}): Promise<FakeHelpScout> {
  const random = seededRandom(options.seed ?? 1);
  let faults: FakeFaults = { ...noFaults, ...options.faults };
  let notificationsOn = options.notifications ?? true;
  let revoked = false;
  const targetedLosses: ((method: string, path: string) => boolean)[] = [];
  let tokensIssued = 0;
  const tokenLifetimeMs = (options.tokenExpiresIn ?? 7200) * 1000;
  const tokens = new Map<string, number>();
  const clientId = `hub-${randomBytes(6).toString('hex')}`;
  const clientSecret = randomBytes(16).toString('hex');
  const webhookSecret = randomBytes(12).toString('hex');
  const mailbox = { id: options.mailboxId ?? 85, name: 'Support', email: 'support@acme.example' };
  const apiUser: Person = { id: 10, first: 'Support', last: 'Hub', email: 'hub@acme.example' };
  // The defaults are the unfriendly readings where Help Scout's material is silent (README).
  const importedSilences = options.importedSilencesAgentReplies ?? false;
  const webhookThreads = options.webhookThreads ?? 'none';
  const apiThreadSource = options.apiThreadSource ?? 'email';

  const webhooks = new WebhookSender(webhookSecret, random, () => ({ dropRate: faults.webhookDropRate, duplicateRate: faults.webhookDuplicateRate }));
  const state: HelpScoutState = new HelpScoutState(mailbox, apiUser, (event, conversation) =>
    webhooks.enqueue(event, webhookBody(state, conversation, webhookThreads)),
  );
  const limiter = new RateLimiter(Date.now(), options.rateLimit ?? null);
  const records: RequestRecord[] = [];
  let counters = { requests: 0, byStatus: {} as Record<number, number> };
  let base = '';
  const api = new HelpScoutApi(state, {
    get base() {
      return base;
    },
    notifications: () => notificationsOn,
    searchLagMs: () => faults.searchLagMs,
    importedSilencesAgentReplies: importedSilences,
    apiThreadSource,
    limits: { ...defaultLimits, ...options.limits },
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, {}, errorBody(`fake failure: ${(error as Error).message}`));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    if (raw === null) return send(res, 413, {}, errorBody('Request entity too large'));
    if (url.pathname === '/v2/oauth2/token' && method === 'POST') return issueToken(req, raw, res);
    counters.requests++;
    const finish = (status: number, headers: Record<string, string>, body: unknown, recorded?: unknown) => {
      counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1;
      records.push({ at: Date.now(), method, path: url.pathname + url.search, status, ...(recorded !== undefined ? { body: recorded } : {}) });
      send(res, status, headers, body);
    };
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const expiresAt = token ? tokens.get(token) : undefined;
    if (revoked || expiresAt === undefined || expiresAt <= state.now()) {
      return finish(401, { 'WWW-Authenticate': 'Bearer' }, errorBody(revoked ? 'Invalid access token: the application is not authorised' : 'Invalid or expired access token'));
    }
    // Writes count as 2 requests (…/overview/rate-limiting).
    const write = method !== 'GET';
    const decision = limiter.take(write ? 2 : 1, Date.now());
    const rateHeaders = { 'X-RateLimit-Limit-Minute': String(decision.limit), 'X-RateLimit-Remaining-Minute': String(decision.remaining) };
    if (!decision.ok) {
      // Only a message, no logRef or links (ErrorPayloads.rateLimitExceededError.json).
      return finish(429, { ...rateHeaders, 'X-RateLimit-Retry-After': String(decision.retryAfterSeconds) }, { message: 'API rate limit exceeded' });
    }
    if (random() < faults.errorRate) {
      const status = [500, 502, 503][Math.floor(random() * 3)]!;
      return finish(status, rateHeaders, errorBody('Internal error'));
    }
    if (random() < faults.slowRate) await new Promise((r) => setTimeout(r, faults.slowMs));
    let body: unknown = undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return finish(400, rateHeaders, errorBody('Malformed JSON request body'));
      }
    }
    const recorded = write ? redactAttachments(body) : undefined;
    let result;
    try {
      result = api.handle(method, url.pathname, url.searchParams, body, raw.length);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return finish(error.status, rateHeaders, error.body, recorded);
    }
    const targeted = write && result.status < 300 ? targetedLosses.findIndex((match) => match(method, url.pathname)) : -1;
    if (targeted >= 0) targetedLosses.splice(targeted, 1);
    if (write && result.status < 300 && (targeted >= 0 || random() < faults.lostResponseRate)) {
      // The write is committed; the answer never leaves.
      counters.byStatus[0] = (counters.byStatus[0] ?? 0) + 1;
      records.push({ at: Date.now(), method, path: url.pathname + url.search, status: 0, body: recorded });
      req.socket.destroy();
      return;
    }
    finish(result.status, { ...rateHeaders, ...result.headers }, result.body, recorded);
  }

  function issueToken(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    // "you can choose to send data as JSON, form or query params" (…/overview/authentication)
    const type = req.headers['content-type'] ?? '';
    let fields: Record<string, string> = {};
    try {
      fields = type.includes('json') ? (JSON.parse(raw.toString('utf8')) as Record<string, string>) : Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    } catch {
      return send(res, 400, {}, { error: 'invalid_request', error_description: 'malformed body' });
    }
    if (fields['grant_type'] !== 'client_credentials') return send(res, 400, {}, { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
    if (revoked || fields['client_id'] !== clientId || fields['client_secret'] !== clientSecret) {
      return send(res, 401, {}, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    const accessToken = randomBytes(16).toString('hex');
    tokens.set(accessToken, state.now() + tokenLifetimeMs);
    tokensIssued++;
    send(res, 200, { 'Cache-Control': 'no-store' }, { token_type: 'bearer', access_token: accessToken, expires_in: Math.round(tokenLifetimeMs / 1000) });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}/v2`;

  const actions = new AccountActions(state, { notifications: () => notificationsOn, importedSilencesAgentReplies: importedSilences });

  const fake: FakeHelpScout = {
    vendor: 'helpscout',
    url: base,
    clientId,
    webhookSecret,
    apiUserId: apiUser.id,
    env: {
      HELPSCOUT_CLIENT_ID: clientId,
      HELPSCOUT_CLIENT_SECRET: clientSecret,
      HELPSCOUT_MAILBOX_ID: String(mailbox.id),
      HELPSCOUT_WEBHOOK_SECRET: webhookSecret,
      HELPSCOUT_API_BASE: base,
    },
    setWebhookTarget: (target) => void (webhooks.target = target),
    setFaults: (partial) => void (faults = { ...faults, ...partial }),
    setRateLimit: (limit) => limiter.set(limit),
    revokeCredentials: () => void (revoked = true),
    restoreCredentials: () => void (revoked = false),
    setNotifications: (on) => void (notificationsOn = on),
    conversations: () => [...state.conversations.values()].map((c) => state.view(c)),
    conversation: (id) => {
      const conversation = state.conversations.get(Number(id));
      return conversation ? state.view(conversation) : null;
    },
    notifications: () => [...state.notifications],
    stats: (): FakeStats => ({
      requests: counters.requests,
      byStatus: { ...counters.byStatus },
      rateUnits: limiter.units,
      maxUnitsInWindow: limiter.maxUnitsInWindow,
      webhooksSent: webhooks.sent,
    }),
    resetStats: () => {
      counters = { requests: 0, byStatus: {} };
      limiter.resetStats();
      webhooks.sent = 0;
      records.length = 0;
    },
    agentReply: async (conversationId, text, opts) => actions.agentReply(conversationId, text, opts?.agentName),
    agentNote: async (conversationId, text) => actions.agentNote(conversationId, text),
    setStatus: async (conversationId, status) => actions.setStatus(conversationId, status),
    customerWrites: async (input) => actions.customerWrites(input),
    customerReplies: async (conversationId, text) => actions.customerReplies(conversationId, text),
    flushWebhooks: () => webhooks.flush(),
    async close() {
      await webhooks.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    requests: () => [...records],
    tokensIssued: () => tokensIssued,
    webhookDeliveries: () => [...webhooks.deliveries],
    loseNextResponse: (match) => void targetedLosses.push(match),
    advanceTime: (ms) => void (state.clockOffsetMs += ms),
    raw: (id) => state.conversations.get(Number(id)),
    remnantsOf: (email) => api.erasure.remnantsOf(email),
    customerWritesElsewhere(input) {
      const { conversationId } = actions.customerWrites(input);
      const conversation = state.conversations.get(Number(conversationId))!;
      conversation.mailboxId = mailbox.id + 1;
      state.changed(conversation, null);
      return { conversationId };
    },
  };
  return fake;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = body === undefined || status === 201 || status === 204 ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'Content-Type': status < 300 ? 'application/hal+json' : 'application/json' } : {}), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function redactAttachments(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body ?? null), (key, value: unknown) => (key === 'data' && typeof value === 'string' ? `<${value.length} base64 chars>` : value));
}
