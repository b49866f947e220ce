import { randomBytes } from 'node:crypto';
import { notFound, recordInvalid, ZdApiError } from './errors.js';
import { ticketJson, userJson, zendeskTime, type ZdTicket, type ZdUser } from './model.js';
import type { ApiRequest, ApiResponse } from './routes.js';
import type { ZendeskState } from './state.js';

/**
 * The Support API endpoints a GDPR erasure uses (support-oas.yaml): Search Users, List User
 * Requested Tickets, Delete Ticket, Delete Ticket Permanently + Show Job Status, Delete User,
 * Permanently Delete User. README › "Erasure" lists what is documented and what is assumed.
 */
export class ZendeskErasure {
  private readonly jobs = new Map<string, { ticketId: number; queuedAt: number; ranAt: number | null; found: boolean }>();
  /** Permanently deleted users' former addresses: the fake's own memory for `remnantsOf`, never served. */
  private readonly erasedEmails = new Map<number, string>();

  constructor(
    private readonly state: ZendeskState,
    private readonly base: { url: string },
    /** How long a permanent-deletion job stays queued (assumed: Zendesk gives no figure); read when jobs are settled. */
    readonly jobDelayMs: () => number,
  ) {}

  /** The answer when the request is one of these endpoints, else null. */
  handle(request: ApiRequest): ApiResponse | null {
    this.settle();
    const { method, path } = request;
    if (path === '/api/v2/users/search' && method === 'GET') return this.searchUsers(request);
    let match = /^\/api\/v2\/users\/(\d+)\/tickets\/requested$/.exec(path);
    if (match && method === 'GET') return this.requestedTickets(Number(match[1]), request);
    match = /^\/api\/v2\/tickets\/(\d+)$/.exec(path);
    if (match && method === 'DELETE') {
      this.state.softDeleteTicket(Number(match[1]));
      return { status: 204, body: null };
    }
    match = /^\/api\/v2\/deleted_tickets\/(\d+)$/.exec(path);
    if (match && method === 'DELETE') return this.permanentlyDeleteTicket(Number(match[1]));
    match = /^\/api\/v2\/job_statuses\/([0-9a-f]+)$/.exec(path);
    if (match && method === 'GET') return { status: 200, body: { job_status: this.jobJson(match[1]!) } };
    match = /^\/api\/v2\/users\/(\d+)$/.exec(path);
    if (match && method === 'DELETE') return this.deleteUser(Number(match[1]));
    match = /^\/api\/v2\/deleted_users\/(\d+)$/.exec(path);
    if (match && method === 'DELETE') return this.permanentlyDeleteUser(Number(match[1]));
    return null;
  }

  /**
   * Search Users: the query "can specify a partial or full value of any user property, including
   * name, email address" — `email:value` matches every address containing the value (the unfriendly
   * reading of "partial"), a bare word names and addresses. Deleted users are not in the account.
   */
  private searchUsers(request: ApiRequest): ApiResponse {
    const query = request.query.get('query');
    if (!query) throw new ZdApiError(400, { error: 'InvalidValue', description: 'query parameter is required' });
    const field = /^\s*email:\s*"?([^"\s]+)"?\s*$/i.exec(query);
    const needle = (field?.[1] ?? query.replace(/"/g, '').trim()).toLowerCase();
    const users = [...this.state.users.values()].filter(
      (u) => u.deleted === undefined && ((u.email ?? '').toLowerCase().includes(needle) || (!field && u.name.toLowerCase().includes(needle))),
    );
    const perPage = clamp(Number(request.query.get('per_page') ?? 100), 1, 100);
    const page = Math.max(1, Math.floor(Number(request.query.get('page') ?? 1)) || 1);
    const onPage = users.slice((page - 1) * perPage, page * perPage);
    const href = (n: number) => `${this.base.url}/api/v2/users/search.json?page=${n}&per_page=${perPage}&query=${encodeURIComponent(query)}`;
    return {
      status: 200,
      body: {
        users: onPage.map((u) => userJson(u, this.base.url)),
        next_page: page * perPage < users.length ? href(page + 1) : null,
        previous_page: page > 1 ? href(page - 1) : null,
        count: users.length,
      },
    };
  }

  /** List User Requested Tickets: read from the search index like List Tickets (so it lags the same way), cursor paged. */
  private requestedTickets(userId: number, request: ApiRequest): ApiResponse {
    const user = this.state.users.get(userId);
    if (!user || user.deleted === 'permanent') throw notFound();
    const tickets = this.state.searchable().filter((t) => t.requester_id === userId);
    const size = clamp(Number(request.query.get('page[size]') ?? 100), 1, 100);
    const after = request.query.get('page[after]');
    const start = after ? Number(Buffer.from(after, 'base64url').toString()) + 1 : 0;
    if (!Number.isInteger(start) || start < 0) throw new ZdApiError(400, { error: 'InvalidPaginationParameter', description: 'page[after] is invalid' });
    const page = tickets.slice(start, start + size);
    const hasMore = start + size < tickets.length;
    const afterCursor = page.length > 0 ? Buffer.from(String(start + page.length - 1)).toString('base64url') : null;
    return {
      status: 200,
      body: {
        tickets: page.map((t) => ticketJson(t, this.base.url)),
        meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: start > 0 ? Buffer.from(String(start)).toString('base64url') : null },
        links: { next: hasMore ? `${this.base.url}/api/v2/users/${userId}/tickets/requested.json?page[size]=${size}&page[after]=${afterCursor}` : null, prev: null },
      },
    };
  }

  /**
   * Delete Ticket Permanently "enqueues a ticket deletion job": the ticket stays among the deleted
   * ones until the job has run (`jobDelayMs`). Only a soft-deleted ticket can be (404 otherwise, as
   * for an id already permanently deleted: assumed).
   */
  private permanentlyDeleteTicket(ticketId: number): ApiResponse {
    if (!this.state.deletedTickets.has(ticketId)) throw notFound();
    const id = randomBytes(16).toString('hex');
    this.jobs.set(id, { ticketId, queuedAt: Date.now(), ranAt: null, found: true });
    return { status: 200, body: { job_status: this.jobJson(id) } };
  }

  /**
   * Delete User: a soft delete. "You can't delete an end user who's the requester on a ticket that
   * isn't closed" (support.zendesk.com › Deleting end users; the 422 body is assumed). A deleted user
   * is no longer in the account: deleting again is a 404 (assumed).
   */
  private deleteUser(userId: number): ApiResponse {
    const user = this.state.users.get(userId);
    if (!user || user.deleted !== undefined) throw notFound();
    const open = [...this.state.tickets.values()].filter((t) => t.requester_id === userId && t.status !== 'closed');
    if (open.length > 0) throw recordInvalid('base', `User is requester on ${open.length} ticket(s) that are not closed`, 'UserRequesterOnOpenTickets');
    user.deleted = 'soft';
    return { status: 200, body: { user: userJson(user, this.base.url) } };
  }

  /**
   * Permanently Delete User: "you must delete the user first" (a user not soft-deleted is not among
   * the deleted users: 404, assumed). Afterwards "the users' properties that normally contain
   * personal data, such as email and phone, are null. The name property is 'Permanently Deleted
   * User'" (List Deleted Users); every read of the user is a 404.
   */
  private permanentlyDeleteUser(userId: number): ApiResponse {
    const user = this.state.users.get(userId);
    if (!user || user.deleted !== 'soft') throw notFound();
    const answer = this.deletedUserJson(user);
    if (user.email) this.erasedEmails.set(user.id, user.email.toLowerCase());
    user.deleted = 'permanent';
    user.email = null;
    user.name = 'Permanently Deleted User';
    return { status: 200, body: { deleted_user: answer } };
  }

  /** Jobs whose time has come have run: their tickets are gone for good. */
  settle(): void {
    const now = Date.now();
    for (const job of this.jobs.values()) {
      if (job.ranAt !== null || job.queuedAt + this.jobDelayMs() > now) continue;
      job.found = this.state.deletedTickets.delete(job.ticketId);
      job.ranAt = now;
    }
  }

  /** Everything the account still holds that names `email`, for tests: users, tickets, deleted tickets. */
  remnantsOf(email: string): { users: number[]; tickets: number[]; deletedTickets: number[] } {
    this.settle();
    const wanted = email.toLowerCase();
    const people = new Set<number>();
    for (const user of this.state.users.values()) {
      if (user.email?.toLowerCase() === wanted || this.erasedEmails.get(user.id) === wanted) people.add(user.id);
    }
    const names = (t: ZdTicket) => people.has(t.requester_id) || t.comments.some((c) => c.body.toLowerCase().includes(wanted));
    return {
      users: [...people].filter((id) => this.state.users.get(id)!.deleted !== 'permanent'),
      tickets: [...this.state.tickets.values()].filter(names).map((t) => t.id),
      deletedTickets: [...this.state.deletedTickets.values()].filter(names).map((t) => t.id),
    };
  }

  private jobJson(id: string): Record<string, unknown> {
    const job = this.jobs.get(id);
    if (!job) throw notFound();
    const completed = job.ranAt !== null;
    return {
      id,
      // A job that found its ticket already gone reports a failed result (assumed shape: FailedResult).
      message: completed ? `Completed at ${zendeskTime(job.ranAt!)}` : null,
      progress: completed ? 1 : null,
      results: completed
        ? [job.found ? { action: 'delete', id: job.ticketId, status: 'Deleted', success: true } : { action: 'delete', id: job.ticketId, success: false, error: 'RecordNotFound', details: 'Not found' }]
        : null,
      status: completed ? 'completed' : 'queued',
      total: completed ? 1 : null,
      url: `${this.base.url}/api/v2/job_statuses/${id}.json`,
    };
  }

  /** DeletedUserObject: every property the document requires. */
  private deletedUserJson(user: ZdUser): Record<string, unknown> {
    return {
      id: user.id,
      url: `${this.base.url}/api/v2/deleted_users/${user.id}.json`,
      name: user.name,
      email: user.email,
      created_at: user.created_at,
      updated_at: user.created_at,
      time_zone: 'UTC',
      phone: null,
      shared_phone_number: null,
      photo: null,
      locale_id: 1,
      locale: 'en-US',
      // The fake's users belong to no organization (UserObject: organization_id nullable).
      organization_id: null,
      role: user.role,
      active: false,
    };
  }
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : max;
}
