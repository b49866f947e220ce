import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Store } from '../../src/store/store.js';
import { RateBudget, type RateLimitSpec } from '../../src/vendors/rate-budget.js';
import { isVendorError, VendorError } from '../../src/vendors/error.js';
import { VendorHttp, type VendorRequest } from '../../src/vendors/http.js';
import {
  commentsPage,
  incrementalPage,
  jobStatusResponse,
  meResponse,
  showTicketResponse,
  ticketsList,
  ticketWriteResponse,
  triggersPage,
  uploadResponse,
  userResponse,
  usersPage,
  type ZendeskComment,
  type ZendeskJobStatus,
  type ZendeskTicket,
  type ZendeskTicketWrite,
  type ZendeskTrigger,
  type ZendeskUser,
} from './dto.js';

export type ZendeskAuth = { kind: 'token'; email: string; apiToken: string } | { kind: 'oauth'; token: string };

export interface ZendeskClientOptions {
  subdomain: string;
  /** `https://{subdomain}.zendesk.com` unless overridden (tests, proxies). */
  baseUrl: string;
  auth: ZendeskAuth;
  rateLimit: RateLimitSpec;
  updateTicketRateLimit: RateLimitSpec;
  /** Updates one user may make to one ticket (Zendesk: 30 per 10 minutes). */
  perTicketUpdateLimit: RateLimitSpec;
  /** Incremental Ticket Export requests (Zendesk: 10 per minute). */
  exportRateLimit: RateLimitSpec;
  store: Store;
  log: Logger;
  onRequest?(method: string, path: string, status: number | null): void;
  onRateLimited?(method: string, path: string, waitMs: number): void;
  fetch?: typeof fetch;
  maxRateWaitMs?: number;
}

const UPDATE_TICKET = /^\/api\/v2\/tickets\/\d+$/;
/** Writes that change one ticket: Update Ticket, and the ticket's tag endpoints (counted as updates to be safe). */
const TICKET_WRITE = /^\/api\/v2\/tickets\/(\d+)(?:\/tags)?$/;
const INCREMENTAL_EXPORT = '/api/v2/incremental/tickets/cursor';
/** Most incremental export pages one reconciliation poll reads (1,000 tickets each). */
const MAX_EXPORT_PAGES = 10;
const DELETE_TICKET = /^\/api\/v2\/tickets\/\d+$/;
const PERMANENTLY_DELETE_USER = /^\/api\/v2\/deleted_users\/\d+$/;
/** Delete Ticket: "You can delete 400 tickets every 1 minute using this endpoint" (support-oas.yaml, DeleteTicket). */
const TICKET_DELETION_LIMIT: RateLimitSpec = { limit: 400, windowSeconds: 60 };
/** Permanently Delete User: "You can permanently delete 700 users every 10 minutes" (support-oas.yaml, PermanentlyDeleteUser). */
const PERMANENT_USER_DELETION_LIMIT: RateLimitSpec = { limit: 700, windowSeconds: 600 };
/** Pages of a person's requested tickets or of a user search read at most (100 each). */
const MAX_PERSON_PAGES = 20;

/**
 * Every Zendesk call the adapter makes, over the shared VendorHttp: auth, the budgets every hub
 * process shares, 429 Retry-After, retries, errors. Budgets (developer.zendesk.com › Rate limits):
 * the account's per-minute limit by plan; Update Ticket's 100 per minute per account; 30 updates
 * per 10 minutes per user per ticket (one bucket per ticket, with half the limit kept as burst so
 * a chat's first lines go out at once and a long one is combined into fewer updates); the
 * Incremental Exports' 10 per minute.
 */
export class ZendeskClient {
  private readonly http: VendorHttp;

  constructor(options: ZendeskClientOptions) {
    const authHeader =
      options.auth.kind === 'oauth'
        ? `Bearer ${options.auth.token}`
        : `Basic ${Buffer.from(`${options.auth.email}/token:${options.auth.apiToken}`).toString('base64')}`;
    this.http = new VendorHttp({
      vendor: 'zendesk',
      baseUrl: options.baseUrl,
      log: options.log,
      auth: async () => ({ authorization: authHeader }),
      rateHeaders: (headers) => ({
        remaining: numberHeader(headers, 'x-rate-limit-remaining') ?? numberHeader(headers, 'ratelimit-remaining'),
        retryAfterMs: secondsHeader(headers, 'retry-after'),
      }),
      budgets: {
        rate: new RateBudget(options.store),
        list: [
          { key: `zendesk:${options.subdomain}`, spec: options.rateLimit, cost: () => 1, maxCost: 1, accountWide: true },
          {
            key: `zendesk:${options.subdomain}:update-ticket`,
            spec: options.updateTicketRateLimit,
            cost: (method, path) => (method === 'PUT' && UPDATE_TICKET.test(path) ? 1 : 0),
            maxCost: 1,
          },
          {
            key: `zendesk:${options.subdomain}:export`,
            spec: options.exportRateLimit,
            cost: (method, path) => (method === 'GET' && path === INCREMENTAL_EXPORT ? 1 : 0),
            maxCost: 1,
          },
          {
            key: `zendesk:${options.subdomain}:delete-ticket`,
            spec: TICKET_DELETION_LIMIT,
            cost: (method, path) => (method === 'DELETE' && DELETE_TICKET.test(path) ? 1 : 0),
            maxCost: 1,
          },
          {
            key: `zendesk:${options.subdomain}:permanent-user-deletion`,
            spec: PERMANENT_USER_DELETION_LIMIT,
            cost: (method, path) => (method === 'DELETE' && PERMANENTLY_DELETE_USER.test(path) ? 1 : 0),
            maxCost: 1,
          },
          {
            key: `zendesk:${options.subdomain}:ticket`,
            spec: options.perTicketUpdateLimit,
            cost: (method, path) => (method !== 'GET' && TICKET_WRITE.test(path) ? 1 : 0),
            scope: (_method, path) => TICKET_WRITE.exec(path)?.[1] ?? null,
            maxCost: 1,
            share: 0.5,
          },
        ],
      },
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.maxRateWaitMs !== undefined ? { maxRateWaitMs: options.maxRateWaitMs } : {}),
    });
  }

  /** Create Ticket. The Idempotency-Key makes a resend return the first answer, so it is safe to retry. */
  createTicket(body: unknown, idempotencyKey: string, signal?: AbortSignal): Promise<ZendeskTicketWrite> {
    return this.call(ticketWriteResponse, { method: 'POST', path: '/api/v2/tickets', json: body, headers: { 'Idempotency-Key': idempotencyKey }, idempotent: true, signal });
  }

  /** Update Ticket: never resent blindly (no idempotency key); a lost answer is looked up instead. */
  updateTicket(ticketId: string, body: unknown, signal?: AbortSignal): Promise<ZendeskTicketWrite> {
    return this.call(ticketWriteResponse, { method: 'PUT', path: `/api/v2/tickets/${ticketId}`, json: body, signal });
  }

  async showTicket(ticketId: string, signal?: AbortSignal): Promise<{ ticket: ZendeskTicket; users: ZendeskUser[] }> {
    const page = await this.call(showTicketResponse, { method: 'GET', path: `/api/v2/tickets/${ticketId}`, query: { include: 'users' }, idempotent: true, signal });
    return { ticket: page.ticket, users: page.users ?? [] };
  }

  /** Every comment, oldest first, with their authors (cursor pagination, 100 a page). */
  async comments(ticketId: string, signal?: AbortSignal): Promise<{ comments: ZendeskComment[]; users: Map<number, ZendeskUser> }> {
    const comments: ZendeskComment[] = [];
    const users = new Map<number, ZendeskUser>();
    let after: string | undefined;
    for (;;) {
      const page = await this.call(commentsPage, {
        method: 'GET',
        path: `/api/v2/tickets/${ticketId}/comments`,
        query: { 'page[size]': 100, 'page[after]': after, include: 'users' },
        idempotent: true,
        signal,
      });
      comments.push(...page.comments);
      for (const user of page.users ?? []) users.set(user.id, user);
      if (!page.meta?.has_more || !page.meta.after_cursor) return { comments, users };
      after = page.meta.after_cursor;
    }
  }

  /** The first comment only (a found create's thread id). */
  async firstComment(ticketId: string, signal?: AbortSignal): Promise<ZendeskComment | null> {
    const page = await this.call(commentsPage, { method: 'GET', path: `/api/v2/tickets/${ticketId}/comments`, query: { 'page[size]': 1 }, idempotent: true, signal });
    return page.comments[0] ?? null;
  }

  /** List Tickets by external_id: served from an index that lags behind writes. */
  async ticketsByExternalId(externalId: string, signal?: AbortSignal): Promise<ZendeskTicket[]> {
    const page = await this.call(ticketsList, { method: 'GET', path: '/api/v2/tickets', query: { external_id: externalId }, idempotent: true, signal });
    return page.tickets;
  }

  /**
   * Tickets updated since `since`, for an API user who is an agent (the export is admin-only):
   * List Tickets with `start_time` ("tickets created or updated after this time"), oldest change
   * first, cursor paginated and bounded like the export.
   */
  async updatedTickets(since: Date, signal?: AbortSignal): Promise<ZendeskTicket[]> {
    const tickets: ZendeskTicket[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_EXPORT_PAGES; page++) {
      const result = await this.call(ticketsList, {
        method: 'GET',
        path: '/api/v2/tickets',
        query: { start_time: Math.max(0, Math.floor(since.getTime() / 1000)), sort_by: 'updated_at', sort_order: 'asc', 'page[size]': 100, 'page[after]': after },
        idempotent: true,
        signal,
      });
      tickets.push(...result.tickets);
      if (!result.meta?.has_more || !result.meta.after_cursor) break;
      after = result.meta.after_cursor;
    }
    return tickets;
  }

  /** Incremental Ticket Export (cursor based; admins only) from `since`, bounded to a few pages per poll. */
  async changedTickets(since: Date, signal?: AbortSignal): Promise<ZendeskTicket[]> {
    const tickets: ZendeskTicket[] = [];
    let query: Record<string, string | number> = { start_time: Math.max(0, Math.floor(since.getTime() / 1000)) };
    for (let page = 0; page < MAX_EXPORT_PAGES; page++) {
      const result = await this.call(incrementalPage, { method: 'GET', path: INCREMENTAL_EXPORT, query, idempotent: true, signal });
      tickets.push(...result.tickets);
      if (result.end_of_stream || !result.after_cursor) break;
      query = { cursor: result.after_cursor };
    }
    return tickets;
  }

  /** Upload Files: the token attaches the file to the next comment. An unanswered upload only leaves an orphan (expires in 60 min), so resending is safe. */
  async upload(fileName: string, contentType: string, bytes: Buffer, signal?: AbortSignal): Promise<string> {
    const result = await this.call(uploadResponse, {
      method: 'POST',
      path: '/api/v2/uploads',
      query: { filename: fileName },
      body: bytes,
      headers: { 'content-type': contentType || 'application/binary' },
      idempotent: true,
      signal,
    });
    return result.upload.token;
  }

  async me(signal?: AbortSignal): Promise<z.infer<typeof meResponse>['user']> {
    return (await this.call(meResponse, { method: 'GET', path: '/api/v2/users/me', idempotent: true, signal })).user;
  }

  async activeTriggers(signal?: AbortSignal): Promise<ZendeskTrigger[]> {
    const triggers: ZendeskTrigger[] = [];
    for (let page = 1; page <= 10; page++) {
      const result = await this.call(triggersPage, { method: 'GET', path: '/api/v2/triggers', query: { active: 'true', page }, idempotent: true, signal });
      triggers.push(...result.triggers);
      if (!result.next_page) break;
    }
    return triggers;
  }

  // ---- erasure (integrations/zendesk/erase.ts) ------------------------------------------------
  // Deletes are safe to resend: a second one finds nothing (404), which the callers count as done.

  /** Search Users with Zendesk's search syntax (offset pagination only, 100 a page). */
  async searchUsers(query: string, signal?: AbortSignal): Promise<ZendeskUser[]> {
    const users: ZendeskUser[] = [];
    for (let page = 1; page <= MAX_PERSON_PAGES; page++) {
      const result = await this.call(usersPage, { method: 'GET', path: '/api/v2/users/search', query: { query, page, per_page: 100 }, idempotent: true, signal });
      users.push(...result.users);
      if (!result.next_page) break;
    }
    return users;
  }

  /** Show User; null when Zendesk has no such user (404: never existed, or permanently deleted). */
  async showUser(userId: string, signal?: AbortSignal): Promise<ZendeskUser | null> {
    return orNull(async () => (await this.call(userResponse, { method: 'GET', path: `/api/v2/users/${userId}`, idempotent: true, signal })).user);
  }

  /** List User Requested Tickets, cursor paginated (archived tickets included: they hold the same personal data). */
  async requestedTickets(userId: string, signal?: AbortSignal): Promise<ZendeskTicket[]> {
    const tickets: ZendeskTicket[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PERSON_PAGES; page++) {
      const result = await this.call(ticketsList, { method: 'GET', path: `/api/v2/users/${userId}/tickets/requested`, query: { 'page[size]': 100, 'page[after]': after }, idempotent: true, signal });
      tickets.push(...result.tickets);
      if (!result.meta?.has_more || !result.meta.after_cursor) break;
      after = result.meta.after_cursor;
    }
    return tickets;
  }

  /** Delete Ticket (a soft delete: 204). False when the ticket is not there (already deleted). */
  deleteTicket(ticketId: string, signal?: AbortSignal): Promise<boolean> {
    return this.deleted({ method: 'DELETE', path: `/api/v2/tickets/${ticketId}`, idempotent: true, signal });
  }

  /** Delete Ticket Permanently: queues a job; null when no soft-deleted ticket has that id (404). */
  permanentlyDeleteTicket(ticketId: string, signal?: AbortSignal): Promise<ZendeskJobStatus | null> {
    return orNull(async () => (await this.call(jobStatusResponse, { method: 'DELETE', path: `/api/v2/deleted_tickets/${ticketId}`, idempotent: true, signal })).job_status);
  }

  async jobStatus(jobId: string, signal?: AbortSignal): Promise<ZendeskJobStatus> {
    return (await this.call(jobStatusResponse, { method: 'GET', path: `/api/v2/job_statuses/${encodeURIComponent(jobId)}`, idempotent: true, signal })).job_status;
  }

  /** Delete User (a soft delete). False when the user is not in the account (404). */
  deleteUser(userId: string, signal?: AbortSignal): Promise<boolean> {
    return this.deleted({ method: 'DELETE', path: `/api/v2/users/${userId}`, idempotent: true, signal });
  }

  /** Permanently Delete User (of a soft-deleted user). False when there is none to delete (404). */
  permanentlyDeleteUser(userId: string, signal?: AbortSignal): Promise<boolean> {
    return this.deleted({ method: 'DELETE', path: `/api/v2/deleted_users/${userId}`, idempotent: true, signal });
  }

  private async deleted(request: VendorRequest): Promise<boolean> {
    return (await orNull(() => this.http.request(request))) !== null;
  }

  private async call<S extends z.ZodType>(schema: S, request: VendorRequest): Promise<z.infer<S>> {
    const response = await this.http.request(request);
    const parsed = schema.safeParse(response.body);
    if (parsed.success) return parsed.data;
    // A 2xx we cannot read: for a write it may have landed, so the engine must look it up.
    throw new VendorError('unavailable', `zendesk ${request.method} ${request.path}: unexpected response shape: ${parsed.error.issues[0]?.message ?? ''}`, {
      status: response.status,
      outcomeUnknown: request.method !== 'GET',
    });
  }
}

/** The answer, or null when Zendesk says the thing is not there (404). */
async function orNull<T>(request: () => Promise<T>): Promise<T | null> {
  try {
    return await request();
  } catch (error) {
    if (isVendorError(error) && error.kind === 'not_found') return null;
    throw error;
  }
}

function numberHeader(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  if (value === null || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function secondsHeader(headers: Headers, name: string): number | null {
  const seconds = numberHeader(headers, name);
  return seconds === null ? null : seconds * 1000;
}
