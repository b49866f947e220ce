import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeFaults } from '../helpdesk-fake.js';
import { ZdApiError } from './errors.js';
import { SlidingWindowLimiter, WindowMeter, type WindowLimit } from './limits.js';
import type { ZdUser } from './model.js';
import { uploadTooLarge, type ZendeskRoutes } from './routes.js';

export interface Credentials {
  email: string;
  apiToken: string;
  oauthToken: string;
}

/** The transport around the routes: auth, the account and Update Ticket limits, faults, stats. */
export interface TransportDeps {
  routes: ZendeskRoutes;
  credentials: Credentials;
  apiUser: ZdUser;
  faults(): FakeFaults;
  random(): number;
  maxUploadBytes: number;
}

/** One answered (or deliberately lost: status 0) API request. */
export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  status: number;
  /** Seconds the client was told to wait (429s). */
  retryAfter?: number;
}

export interface TransportStats {
  requests: number;
  byStatus: Record<number, number>;
  account: WindowMeter;
  updateTicket: WindowMeter;
}

type Recorder = (status: number, headers?: Record<string, string>) => void;

const UPDATE_TICKET = /^\/api\/v2\/tickets\/\d+$/;
/** Writes that update one ticket (Update Ticket and its tag endpoints), for the per-ticket limit. */
const TICKET_WRITE = /^\/api\/v2\/tickets\/(\d+)(?:\/tags)?$/;
const EXPORT = '/api/v2/incremental/tickets/cursor';
const DELETE_TICKET = /^\/api\/v2\/tickets\/\d+$/;
const PERMANENTLY_DELETE_USER = /^\/api\/v2\/deleted_users\/\d+$/;

/** Zendesk: "30 updates per 10 minutes per user per ticket"; Incremental Exports: 10 per minute. */
export const PER_TICKET_UPDATE_LIMIT: WindowLimit = { limit: 30, windowMs: 10 * 60_000 };
export const EXPORT_LIMIT: WindowLimit = { limit: 10, windowMs: 60_000 };
/** Delete Ticket: "400 tickets every 1 minute"; Permanently Delete User: "700 users every 10 minutes" (support-oas.yaml). */
export const TICKET_DELETION_LIMIT: WindowLimit = { limit: 400, windowMs: 60_000 };
export const PERMANENT_USER_DELETION_LIMIT: WindowLimit = { limit: 700, windowMs: 10 * 60_000 };

export class FakeZendeskTransport {
  readonly accountLimit = new SlidingWindowLimiter(null);
  readonly updateTicketLimit = new SlidingWindowLimiter(null);
  readonly exportLimit = new SlidingWindowLimiter(EXPORT_LIMIT);
  readonly ticketDeletionLimit = new SlidingWindowLimiter(TICKET_DELETION_LIMIT);
  readonly permanentUserDeletionLimit = new SlidingWindowLimiter(PERMANENT_USER_DELETION_LIMIT);
  /** Per ticket and user; null = not enforced. */
  perTicketLimit: WindowLimit | null = PER_TICKET_UPDATE_LIMIT;
  private readonly perTicket = new Map<string, SlidingWindowLimiter>();
  /** Updates seen per ticket (429s included), to report the most any ticket got in one window. */
  readonly ticketUpdates = new Map<string, WindowMeter>();
  readonly stats: TransportStats = { requests: 0, byStatus: {}, account: new WindowMeter(60_000), updateTicket: new WindowMeter(60_000) };
  credentialsRevoked = false;
  /** Test hooks: lose the next N write answers / fail the next N requests, whatever the fault rates say. */
  loseNext = 0;
  /** Only answers to this method/path are lost by `loseNext` (null = any write). */
  loseFilter: { method?: string; path?: string } | null = null;
  failNext: number[] = [];
  /** Runs (awaited) after the next ticket read is answered and before its answer is sent: something happening in between. */
  afterNextRead: (() => Promise<void> | void) | null = null;
  readonly log: RequestRecord[] = [];
  private server: Server | null = null;

  constructor(private readonly deps: TransportDeps) {}

  /** The most updates any one ticket got within one window of the per-ticket limit. */
  maxUpdatesPerTicket(): number {
    return Math.max(0, ...[...this.ticketUpdates.values()].map((m) => m.max));
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/\.json$/, '').replace(/\/$/, '');
    const method = req.method ?? 'GET';
    const record = (status: number, headers: Record<string, string> = {}) => {
      const retryAfter = headers['retry-after'];
      this.log.push({ at: Date.now(), method, path, status, ...(retryAfter ? { retryAfter: Number(retryAfter) } : {}) });
    };
    try {
      const body = await readBody(req, this.deps.maxUploadBytes + 1024 * 1024);
      if (!this.authenticated(req.headers.authorization)) {
        return this.send(res, 401, { error: "Couldn't authenticate you" }, {}, record);
      }
      const now = Date.now();
      this.stats.account.record(now);
      const isUpdateTicket = method === 'PUT' && UPDATE_TICKET.test(path);
      if (isUpdateTicket) this.stats.updateTicket.record(now);
      const headers: Record<string, string> = {};
      const account = this.accountLimit.take(now);
      if (this.accountLimit.spec) {
        const remaining = account.ok ? account.remaining : 0;
        const resetSeconds = String(Math.ceil((account.ok ? account.resetMs : account.retryAfterMs) / 1000));
        Object.assign(headers, {
          'x-rate-limit': String(this.accountLimit.spec.limit),
          'x-rate-limit-remaining': String(remaining),
          'ratelimit-limit': String(this.accountLimit.spec.limit),
          'ratelimit-remaining': String(remaining),
          'ratelimit-reset': resetSeconds,
        });
      }
      if (!account.ok) return this.tooMany(res, account.retryAfterMs, headers, record);
      if (isUpdateTicket) {
        const endpoint = this.updateTicketLimit.take(now);
        if (!endpoint.ok) return this.tooMany(res, endpoint.retryAfterMs, headers, record);
      }
      const ticketWrite = method !== 'GET' ? TICKET_WRITE.exec(path) : null;
      if (ticketWrite) {
        const key = `${ticketWrite[1]}:${this.deps.apiUser.id}`;
        let meter = this.ticketUpdates.get(ticketWrite[1]!);
        if (!meter) this.ticketUpdates.set(ticketWrite[1]!, (meter = new WindowMeter(this.perTicketLimit?.windowMs ?? PER_TICKET_UPDATE_LIMIT.windowMs)));
        meter.record(now);
        let limiter = this.perTicket.get(key);
        if (!limiter) this.perTicket.set(key, (limiter = new SlidingWindowLimiter(null)));
        limiter.spec = this.perTicketLimit;
        const taken = limiter.take(now);
        if (!taken.ok) return this.tooMany(res, taken.retryAfterMs, headers, record);
      }
      if (method === 'GET' && path === EXPORT) {
        const taken = this.exportLimit.take(now);
        if (!taken.ok) return this.tooMany(res, taken.retryAfterMs, headers, record);
      }
      const deletion = method !== 'DELETE' ? null : DELETE_TICKET.test(path) ? this.ticketDeletionLimit : PERMANENTLY_DELETE_USER.test(path) ? this.permanentUserDeletionLimit : null;
      if (deletion) {
        const taken = deletion.take(now);
        if (!taken.ok) return this.tooMany(res, taken.retryAfterMs, headers, record);
      }
      const forced = this.failNext.shift();
      const faults = this.deps.faults();
      if (forced !== undefined || this.deps.random() < faults.errorRate) {
        // A deliberate failure changes nothing at the vendor.
        return this.send(res, forced ?? (this.deps.random() < 0.5 ? 500 : 503), { error: 'InternalServerError', description: 'Something went wrong' }, headers, record);
      }
      if (this.deps.random() < faults.slowRate) await new Promise((resolve) => setTimeout(resolve, faults.slowMs));
      const response = await this.deps.routes.handle({ method, path, query: url.searchParams, headers: req.headers, body, actor: this.deps.apiUser });
      if (method === 'GET' && UPDATE_TICKET.test(path) && this.afterNextRead) {
        const hook = this.afterNextRead;
        this.afterNextRead = null;
        await hook();
      }
      const isWrite = method !== 'GET' && method !== 'HEAD';
      const forcedLoss = this.loseNext > 0 && (!this.loseFilter || ((!this.loseFilter.method || this.loseFilter.method === method) && (!this.loseFilter.path || this.loseFilter.path === path)));
      if (isWrite && response.status < 300 && (forcedLoss || this.deps.random() < faults.lostResponseRate)) {
        // Committed, but the client never hears back: exactly the case idempotency keys exist for.
        if (forcedLoss) this.loseNext--;
        this.count(0);
        record(0);
        req.socket.destroy();
        return;
      }
      this.send(res, response.status, response.body, { ...headers, ...response.headers }, record);
    } catch (error) {
      if (error instanceof ZdApiError) return this.send(res, error.status, error.body, error.headers, record);
      this.send(res, 500, { error: 'InternalServerError', description: (error as Error).message }, {}, record);
    }
  }

  private authenticated(header: string | undefined): boolean {
    if (this.credentialsRevoked || !header) return false;
    const { email, apiToken, oauthToken } = this.deps.credentials;
    const [scheme, value] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer') return value === oauthToken;
    if (scheme?.toLowerCase() !== 'basic' || !value) return false;
    // API token auth: `{email}/token:{token}`, base64 (developer.zendesk.com › API basics › Security and auth).
    return Buffer.from(value, 'base64').toString('utf8') === `${email}/token:${apiToken}`;
  }

  private tooMany(res: ServerResponse, retryAfterMs: number, headers: Record<string, string>, record: Recorder): void {
    const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    this.send(res, 429, { error: 'TooManyRequests', description: 'Rate limit exceeded' }, { ...headers, 'retry-after': retryAfter }, record);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, record: Recorder): void {
    this.count(status);
    record(status, headers);
    // 204 No Content (Delete Ticket) has no body at all.
    if (status === 204) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private count(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }
}

async function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > cap) throw uploadTooLarge(cap);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > cap) throw uploadTooLarge(cap);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
