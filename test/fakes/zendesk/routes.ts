import { createHash } from 'node:crypto';
import { ZdApiError, notFound } from './errors.js';
import { ticketJson, userJson, type ZdTicket, type ZdUser } from './model.js';
import type { ZendeskErasure } from './erasure.js';
import { accountTriggers } from './notifications.js';
import type { ZendeskState } from './state.js';

export interface ApiRequest {
  method: string;
  /** Path without a trailing `.json` (Zendesk accepts both). */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  actor: ZdUser;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface RouteOptions {
  /** Filled in once the server listens. */
  base: { url: string };
  maxUploadBytes: number;
  triggersExcludeHubTag(): boolean;
  /** The erasure endpoints (erasure.ts). */
  erasure: ZendeskErasure;
}

/** Zendesk keeps an Idempotency-Key's answer for two hours (Tickets API, "Idempotency"). */
const IDEMPOTENCY_TTL_MS = 2 * 60 * 60 * 1000;

/** The Support API endpoints the hub uses, with Zendesk's answers and error shapes. */
export class ZendeskRoutes {
  private readonly idempotent = new Map<string, { digest: string; response: ApiResponse; expiresAt: number }>();

  constructor(
    private readonly state: ZendeskState,
    private readonly options: RouteOptions,
  ) {}

  async handle(request: ApiRequest): Promise<ApiResponse> {
    const { method, path } = request;
    const erasure = this.options.erasure.handle(request);
    if (erasure) return erasure;
    const ticketMatch = /^\/api\/v2\/tickets\/(\d+)(\/comments)?$/.exec(path);
    if (path === '/api/v2/tickets' && method === 'POST') return this.createTicket(request);
    if (path === '/api/v2/tickets' && method === 'GET') return this.listTickets(request);
    if (ticketMatch && !ticketMatch[2] && method === 'GET') return this.showTicket(Number(ticketMatch[1]), request);
    if (ticketMatch && !ticketMatch[2] && method === 'PUT') return this.updateTicket(Number(ticketMatch[1]), request);
    if (ticketMatch?.[2] && method === 'GET') return this.listComments(Number(ticketMatch[1]), request);
    if (path === '/api/v2/search' && method === 'GET') return this.search(request);
    if (path === '/api/v2/incremental/tickets/cursor' && method === 'GET') return this.incremental(request);
    if (path === '/api/v2/uploads' && method === 'POST') return this.upload(request);
    if (path === '/api/v2/users/me' && method === 'GET') return { status: 200, body: { user: userJson(request.actor, this.options.base.url) } };
    const userMatch = /^\/api\/v2\/users\/(\d+)$/.exec(path);
    if (userMatch && method === 'GET') return { status: 200, body: { user: userJson(this.user(Number(userMatch[1])), this.options.base.url) } };
    if (path === '/api/v2/triggers' && method === 'GET') return this.triggers(request);
    throw new ZdApiError(404, { error: 'InvalidEndpoint', description: 'Not found' });
  }

  private createTicket(request: ApiRequest): ApiResponse {
    const key = header(request, 'idempotency-key');
    const body = json(request.body);
    if (!key) return this.doCreate(body, request.actor);
    const now = Date.now();
    for (const [k, v] of this.idempotent) if (v.expiresAt <= now) this.idempotent.delete(k);
    const digest = createHash('sha256').update(canonicalJson(body)).digest('hex');
    const seen = this.idempotent.get(key);
    if (seen) {
      // Assumed from Zendesk's docs (not verified byte for byte): a reused key with another payload is refused.
      if (seen.digest !== digest) throw new ZdApiError(400, { error: 'IdempotentRequestError', description: 'Request parameters do not match the original request' });
      return { ...seen.response, headers: { ...seen.response.headers, 'x-idempotency-lookup': 'hit' } };
    }
    const response = this.doCreate(body, request.actor);
    this.idempotent.set(key, { digest, response, expiresAt: now + IDEMPOTENCY_TTL_MS });
    return { ...response, headers: { ...response.headers, 'x-idempotency-lookup': 'miss' } };
  }

  private doCreate(body: unknown, actor: ZdUser): ApiResponse {
    const { ticket } = this.state.createTicket(body, actor, 'api');
    return {
      status: 201,
      // Create Ticket's documented 201 is TicketResponse: `{ticket}` (support-oas.yaml). Only
      // Update Ticket documents an `audit` beside it, so the fake sends none here.
      body: { ticket: ticketJson(ticket, this.options.base.url) },
      headers: { location: `${this.options.base.url}/api/v2/tickets/${ticket.id}.json` },
    };
  }

  private updateTicket(id: number, request: ApiRequest): ApiResponse {
    const { ticket, audit } = this.state.updateTicket(id, json(request.body), request.actor, 'api');
    return { status: 200, body: { ticket: ticketJson(ticket, this.options.base.url), audit } };
  }

  private showTicket(id: number, request: ApiRequest): ApiResponse {
    const ticket = this.state.ticket(id);
    const body: Record<string, unknown> = { ticket: ticketJson(ticket, this.options.base.url) };
    if (includes(request, 'users')) body['users'] = this.usersJson([ticket.requester_id, ticket.submitter_id]);
    return { status: 200, body };
  }

  /** Comments are read from the ticket itself: consistent right after a write, oldest first by default. */
  private listComments(id: number, request: ApiRequest): ApiResponse {
    const ticket = this.state.ticket(id);
    const q = request.query;
    const descending = q.get('sort') === '-created_at' || q.get('sort_order') === 'desc';
    const all = descending ? [...ticket.comments].reverse() : ticket.comments;
    const cursorSize = q.get('page[size]');
    let page: typeof all;
    const body: Record<string, unknown> = {};
    if (cursorSize !== null || q.has('page[after]')) {
      const size = clamp(Number(cursorSize ?? 100), 1, 100);
      const after = q.get('page[after]');
      const start = after ? decodeCursor(after) + 1 : 0;
      page = all.slice(start, start + size);
      const hasMore = start + size < all.length;
      const afterCursor = page.length > 0 ? encodeCursor(start + page.length - 1) : null;
      body['meta'] = { has_more: hasMore, after_cursor: afterCursor, before_cursor: start > 0 ? encodeCursor(start) : null };
      body['links'] = {
        next: hasMore ? `${this.options.base.url}/api/v2/tickets/${id}/comments.json?page[size]=${size}&page[after]=${afterCursor}` : null,
        prev: null,
      };
    } else {
      const perPage = clamp(Number(q.get('per_page') ?? 100), 1, 100);
      const pageNo = Math.max(1, Number(q.get('page') ?? 1));
      page = all.slice((pageNo - 1) * perPage, pageNo * perPage);
      const more = pageNo * perPage < all.length;
      body['next_page'] = more ? `${this.options.base.url}/api/v2/tickets/${id}/comments.json?page=${pageNo + 1}&per_page=${perPage}` : null;
      body['previous_page'] = pageNo > 1 ? `${this.options.base.url}/api/v2/tickets/${id}/comments.json?page=${pageNo - 1}&per_page=${perPage}` : null;
      body['count'] = all.length;
    }
    body['comments'] = page;
    if (includes(request, 'users')) body['users'] = this.usersJson(page.map((c) => c.author_id));
    return { status: 200, body };
  }

  /**
   * List Tickets reads the search index, so it lags behind writes (`faults.searchLagMs`).
   * Filters `external_id` and `start_time` ("tickets created or updated after this time"), sorts by
   * `sort_by`/`sort_order` (default id, asc), pages by cursor (`page[size]`, `page[after]`: `meta`
   * and `links`) or by offset (`page`, `per_page`).
   */
  private listTickets(request: ApiRequest): ApiResponse {
    const q = request.query;
    const externalId = q.get('external_id');
    const startTime = q.get('start_time');
    if (startTime !== null && !/^\d+$/.test(startTime)) throw new ZdApiError(400, { error: 'InvalidValue', description: 'start_time must be a Unix epoch time' });
    const sortBy = q.get('sort_by') ?? 'id';
    if (!['id', 'created_at', 'updated_at'].includes(sortBy)) throw new ZdApiError(400, { error: 'InvalidValue', description: `sort_by ${sortBy} is not supported here` });
    const direction = q.get('sort_order') === 'desc' ? -1 : 1;
    const key = (t: ZdTicket) => (sortBy === 'updated_at' ? t.updatedMs : sortBy === 'created_at' ? Date.parse(t.created_at) : t.id);
    const tickets = this.state
      .searchable()
      .filter((t) => (externalId === null || t.external_id === externalId) && (startTime === null || t.updatedMs > Number(startTime) * 1000))
      .sort((a, b) => direction * (key(a) - key(b) || a.id - b.id));
    const json = (list: ZdTicket[]) => list.map((t) => ticketJson(t, this.options.base.url));
    if (q.has('page[size]') || q.has('page[after]')) {
      const size = clamp(Number(q.get('page[size]') ?? 100), 1, 100);
      const start = q.get('page[after]') ? decodeCursor(q.get('page[after]')!) + 1 : 0;
      const page = tickets.slice(start, start + size);
      const hasMore = start + size < tickets.length;
      const after = page.length > 0 ? encodeCursor(start + page.length - 1) : null;
      return {
        status: 200,
        body: {
          tickets: json(page),
          meta: { has_more: hasMore, after_cursor: after, before_cursor: start > 0 ? encodeCursor(start) : null },
          links: { next: hasMore ? `${this.options.base.url}/api/v2/tickets.json?page[size]=${size}&page[after]=${after}` : null, prev: null },
        },
      };
    }
    return { status: 200, body: { tickets: json(tickets), next_page: null, previous_page: null, count: tickets.length } };
  }

  private search(request: ApiRequest): ApiResponse {
    const query = request.query.get('query');
    if (!query) throw new ZdApiError(400, { error: 'InvalidValue', description: 'query parameter is required' });
    const terms = [...query.matchAll(/(\w+):(?:"([^"]*)"|(\S+))/g)].map((m) => [m[1]!, m[2] ?? m[3]!] as const);
    const type = terms.find(([k]) => k === 'type')?.[1];
    if (type && type !== 'ticket') return { status: 200, body: { results: [], count: 0, next_page: null, previous_page: null, facets: null } };
    const matches = this.state.searchable().filter((t) =>
      terms.every(([k, v]) => k === 'type' || (k === 'external_id' && t.external_id === v) || (k === 'status' && t.status === v) || (k === 'tags' && t.tags.includes(v))),
    );
    const results = matches.map((t) => ({ ...ticketJson(t, this.options.base.url), result_type: 'ticket' }));
    return { status: 200, body: { results, count: results.length, next_page: null, previous_page: null, facets: null } };
  }

  /** Incremental Ticket Export, cursor based: changed tickets in `updated_at` order, lagging like search. */
  private incremental(request: ApiRequest): ApiResponse {
    // "Allowed For: Admins" (support-oas.yaml, IncrementalTicketExportCursor). Assumed body.
    if (request.actor.role !== 'admin') throw new ZdApiError(403, { error: 'Forbidden', description: 'You do not have access to this page. Please contact the account owner of this help desk for further help.' });
    const q = request.query;
    const perPage = clamp(Number(q.get('per_page') ?? 1000), 1, 1000);
    let position: { ms: number; id: number };
    if (q.get('cursor')) {
      const [ms, id] = Buffer.from(q.get('cursor')!, 'base64url').toString().split('|').map(Number);
      if (!Number.isFinite(ms) || !Number.isFinite(id)) throw new ZdApiError(400, { error: 'InvalidPaginationParameter', description: 'cursor is invalid' });
      position = { ms: ms!, id: id! };
    } else if (q.get('start_time') !== null && /^\d+$/.test(q.get('start_time')!)) {
      position = { ms: Number(q.get('start_time')) * 1000, id: -1 };
    } else {
      throw new ZdApiError(400, { error: 'InvalidValue', description: 'start_time or cursor is required' });
    }
    const after = (t: ZdTicket) => t.updatedMs > position.ms || (t.updatedMs === position.ms && t.id > position.id);
    const changed = this.state
      .searchable()
      .filter(after)
      .sort((a, b) => a.updatedMs - b.updatedMs || a.id - b.id);
    const page = changed.slice(0, perPage);
    const last = page.at(-1);
    const cursor = Buffer.from(last ? `${last.updatedMs}|${last.id}` : `${position.ms}|${position.id}`).toString('base64url');
    return {
      status: 200,
      body: {
        tickets: page.map((t) => ticketJson(t, this.options.base.url)),
        after_cursor: cursor,
        after_url: `${this.options.base.url}/api/v2/incremental/tickets/cursor.json?cursor=${cursor}`,
        before_cursor: null,
        before_url: null,
        end_of_stream: changed.length <= perPage,
      },
    };
  }

  private upload(request: ApiRequest): ApiResponse {
    const fileName = request.query.get('filename');
    if (!fileName) throw new ZdApiError(400, { error: 'InvalidValue', description: 'filename is required' });
    if (request.body.length > this.options.maxUploadBytes) throw uploadTooLarge(this.options.maxUploadBytes);
    const contentType = header(request, 'content-type') ?? 'application/binary';
    const upload = this.state.upload(fileName, contentType, request.body.length, request.query.get('token'));
    return { status: 201, body: { upload } };
  }

  private triggers(request: ApiRequest): ApiResponse {
    const active = request.query.get('active');
    const triggers = accountTriggers(this.options.triggersExcludeHubTag()).filter((t) => active === null || String(t['active']) === active);
    return { status: 200, body: { triggers, next_page: null, previous_page: null, count: triggers.length } };
  }

  private user(id: number): ZdUser {
    const user = this.state.users.get(id);
    // A soft-deleted user is still shown (`active: false`, as Delete User answers); a permanently deleted one is gone.
    if (!user || user.deleted === 'permanent') throw notFound();
    return user;
  }

  private usersJson(ids: number[]): Record<string, unknown>[] {
    return [...new Set(ids)].flatMap((id) => {
      const user = this.state.users.get(id);
      return user ? [userJson(user, this.options.base.url)] : [];
    });
  }
}

/** Assumed shape: Zendesk documents the 50 MB attachment limit, not the error body for exceeding it. */
export function uploadTooLarge(limit: number): ZdApiError {
  return new ZdApiError(413, { error: 'RequestEntityTooLarge', description: `Attachment is larger than the maximum of ${limit} bytes` });
}

function json(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ZdApiError(400, { error: 'InvalidValue', description: 'The request body is not valid JSON' });
  }
}

function header(request: ApiRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function includes(request: ApiRequest, sideload: string): boolean {
  return (request.query.get('include') ?? '').split(',').includes(sideload);
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : max;
}

function encodeCursor(index: number): string {
  return Buffer.from(`c${index}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const index = Number(Buffer.from(cursor, 'base64url').toString().slice(1));
  if (!Number.isInteger(index) || index < 0) throw new ZdApiError(400, { error: 'InvalidPaginationParameter', description: 'page[after] is invalid' });
  return index;
}

/** Key order does not make two payloads different. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
