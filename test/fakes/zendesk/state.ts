import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { notFound, recordInvalid, ZdApiError } from './errors.js';
import { checkEnums, EMAIL, escapeHtml, firstLine, parse, stripHtml, type commentInput, type TicketInput } from './inputs.js';
import {
  normaliseTags,
  zendeskTime,
  type ZdAttachment,
  type ZdAudit,
  type ZdAuditEvent,
  type ZdChannel,
  type ZdComment,
  type ZdPriority,
  type ZdStatus,
  type ZdTicket,
  type ZdUser,
} from './model.js';

/** Readings of the vendor's material the fake can be switched between (README: "Assumed"). */
export interface ZendeskReadings {
  /**
   * A new requester given by name alone is refused (422). Zendesk documents only that a requester
   * who does not exist "may be created automatically depending on account settings"; the
   * unfriendly reading (default) refuses one without an email.
   */
  requesterNeedsEmail: boolean;
}

/** What the account's business rules (webhooks, triggers) hear about; the fake wires them up. */
export interface TicketListener {
  ticketCreated(ticket: ZdTicket, comment: ZdComment, actor: ZdUser): void;
  commentAdded(ticket: ZdTicket, comment: ZdComment, actor: ZdUser): void;
  statusChanged(ticket: ZdTicket, previous: ZdStatus, actor: ZdUser): void;
}

/**
 * The account: users, tickets with their comments, pending uploads, and the search index that
 * lags behind writes (Zendesk's list/search/incremental reads are eventually consistent; show
 * ticket and list comments are not).
 */
export class ZendeskState {
  readonly users = new Map<number, ZdUser>();
  readonly tickets = new Map<number, ZdTicket>();
  /** Soft-deleted tickets (Delete Ticket): out of every read and list, kept until permanently deleted. */
  readonly deletedTickets = new Map<number, ZdTicket>();
  private readonly uploads = new Map<string, ZdAttachment[]>();
  private readonly index = new Map<number, { writtenAt: number; snapshot: ZdTicket }[]>();
  private nextUserId = 360_001_000;
  private nextTicketId = 1;
  // Comment ids and audit event ids share one sequence: a Comment audit event's id is the comment's id.
  private nextEventId = 9_000_000_001;
  private nextAttachmentId = 150_000_001;
  searchLagMs = 0;
  readonly apiUser: ZdUser;

  constructor(
    /** Filled in once the server listens; attachment URLs are built from it. */
    private readonly base: { url: string },
    apiUser: { name: string; email: string },
    private readonly listener: TicketListener,
    private readonly clock: () => number = Date.now,
    readonly readings: ZendeskReadings = { requesterNeedsEmail: true },
  ) {
    this.apiUser = this.addUser(apiUser.name, apiUser.email, 'admin');
  }

  addUser(name: string, email: string | null, role: ZdUser['role']): ZdUser {
    const user: ZdUser = { id: this.nextUserId++, name, email, role, created_at: zendeskTime(this.clock()) };
    this.users.set(user.id, user);
    return user;
  }

  userByEmail(email: string): ZdUser | undefined {
    const wanted = email.toLowerCase();
    // A deleted user who writes again gets a new profile (support.zendesk.com › Deleting end users).
    return [...this.users.values()].find((u) => u.deleted === undefined && u.email?.toLowerCase() === wanted);
  }

  ticket(id: number): ZdTicket {
    const ticket = this.tickets.get(id);
    if (!ticket) throw notFound();
    return ticket;
  }

  createTicket(raw: unknown, actor: ZdUser, channel: ZdChannel): { ticket: ZdTicket; audit: ZdAudit } {
    const input = parse(raw);
    checkEnums(input);
    if (!input.comment || !(input.comment.body?.trim() || input.comment.html_body?.trim())) {
      throw recordInvalid('description', 'Description: cannot be blank', 'BlankValue');
    }
    const requester = this.requester(input, actor);
    const now = this.clock();
    const ticket: ZdTicket = {
      id: this.nextTicketId++,
      external_id: input.external_id ?? null,
      subject: input.subject?.trim() || firstLine(input.comment.body ?? ''),
      description: '',
      status: (input.status as ZdStatus | undefined) ?? 'new',
      priority: (input.priority as ZdPriority | null | undefined) ?? null,
      type: (input.type as ZdTicket['type'] | undefined) ?? null,
      problem_id: null,
      has_incidents: false,
      requester_id: requester.id,
      submitter_id: actor.id,
      assignee_id: null,
      // `additional_tags`/`remove_tags` are not TicketObject properties (only Update Many Tickets
      // documents them): like any unknown property, they are ignored.
      tags: normaliseTags(input.tags ?? []),
      via: { channel },
      created_at: zendeskTime(now),
      updated_at: zendeskTime(now),
      updatedMs: now,
      comments: [],
    };
    this.checkLink(ticket.type, input.problem_id ?? null);
    ticket.problem_id = input.problem_id ?? null;
    const audit = this.audit(ticket, actor, channel);
    for (const field of ['subject', 'status', 'priority', 'type', 'requester_id', 'tags'] as const) {
      audit.events.push({ id: this.nextEventId++, type: 'Create', field_name: field, value: ticket[field] });
    }
    // Assumed: without an explicit author the first comment is the requester's (the ticket is their request).
    const comment = this.addComment(ticket, audit, input.comment, input.comment.author_id ?? requester.id, channel, true);
    ticket.description = comment.plain_body;
    this.tickets.set(ticket.id, ticket);
    this.reindex(ticket);
    if (ticket.problem_id !== null) this.relink(ticket.problem_id);
    this.listener.ticketCreated(ticket, comment, actor);
    this.listener.commentAdded(ticket, comment, actor);
    return { ticket, audit };
  }

  updateTicket(id: number, raw: unknown, actor: ZdUser, channel: ZdChannel): { ticket: ZdTicket; audit: ZdAudit } {
    const ticket = this.ticket(id);
    // Zendesk's own wording for writes to a closed ticket (follow-ups must be new tickets).
    if (ticket.status === 'closed') throw recordInvalid('status', 'Status: closed prevents ticket update', 'ClosedPreventsUpdate');
    const input = parse(raw);
    checkEnums(input);
    // Tickets › Protecting against ticket update collisions: with `safe_update` and an
    // `updated_stamp` that is not the ticket's `updated_at` (seconds), nothing is applied: 409.
    if (input.safe_update !== undefined && input.updated_stamp !== undefined && input.updated_stamp !== ticket.updated_at) {
      // Assumed body (the document gives the status only).
      throw new ZdApiError(409, { error: 'UpdateConflict', description: 'Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.' });
    }
    const type = input.type !== undefined ? (input.type as ZdTicket['type']) : ticket.type;
    const problemId = input.problem_id !== undefined ? input.problem_id : ticket.problem_id;
    if (input.type !== undefined || input.problem_id !== undefined) this.checkLink(type, problemId, ticket);
    if (input.assignee_id != null && !this.users.has(input.assignee_id)) throw recordInvalid('assignee', 'Assignee: is invalid');
    const audit = this.audit(ticket, actor, channel);
    const change = (field: string, previous: unknown, value: unknown) => audit.events.push({ id: this.nextEventId++, type: 'Change', field_name: field, value, previous_value: previous });
    if (type !== ticket.type) change('type', ticket.type, (ticket.type = type));
    const formerProblem = ticket.problem_id;
    if (problemId !== ticket.problem_id) change('problem_id', ticket.problem_id, (ticket.problem_id = problemId));
    if (input.assignee_id !== undefined && input.assignee_id !== ticket.assignee_id) change('assignee_id', ticket.assignee_id, (ticket.assignee_id = input.assignee_id));
    // `tags` sets the whole list; `additional_tags`/`remove_tags` are not documented for a single
    // ticket's update and are ignored, as Zendesk ignores any property it does not know.
    const tags = input.tags ? normaliseTags(input.tags) : [...ticket.tags];
    if (tags.join(' ') !== ticket.tags.join(' ')) change('tags', ticket.tags, (ticket.tags = tags));
    if (input.priority !== undefined && input.priority !== ticket.priority) change('priority', ticket.priority, (ticket.priority = input.priority as ZdPriority | null));
    if (input.subject !== undefined && input.subject !== ticket.subject) change('subject', ticket.subject, (ticket.subject = input.subject));
    if (input.external_id !== undefined && input.external_id !== ticket.external_id) change('external_id', ticket.external_id, (ticket.external_id = input.external_id));
    let comment: ZdComment | null = null;
    if (input.comment) comment = this.addComment(ticket, audit, input.comment, input.comment.author_id ?? actor.id, channel, true);
    const previous = ticket.status;
    let status = (input.status as ZdStatus | undefined) ?? ticket.status;
    // An end user's own update (mail, web form) brings a pending or solved ticket back to open.
    // The updater is the authenticated user, not the comment's author ("the named author is not
    // considered the updater", Tickets › Author id): an agent's API call with `author_id` set to
    // the requester leaves the status as it is. On-hold stays on hold (assumed: it waits for a third party).
    const byRequesterThemselves = actor.id === ticket.requester_id && actor.role === 'end-user';
    if (!input.status && comment?.public && byRequesterThemselves && ['pending', 'solved'].includes(status)) status = 'open';
    if (status !== previous) change('status', previous, (ticket.status = status));
    this.touch(ticket);
    for (const problem of new Set([formerProblem, ticket.problem_id])) if (problem !== null) this.relink(problem);
    if (comment) this.listener.commentAdded(ticket, comment, actor);
    if (ticket.status !== previous) this.listener.statusChanged(ticket, previous, actor);
    if (ticket.type === 'problem' && ticket.status === 'solved' && previous !== 'solved') this.solveIncidentsOf(ticket, comment, actor, channel);
    return { ticket, audit };
  }

  /** The incident tickets linked to a problem, oldest first. */
  incidentsOf(problemId: number): ZdTicket[] {
    return [...this.tickets.values()].filter((t) => t.problem_id === problemId).sort((a, b) => a.id - b.id);
  }

  /**
   * `problem_id` must name a problem ticket, and only an incident links to one (TicketObject:
   * "For tickets of type incident, the ID of the problem the incident is linked to"). Zendesk's
   * answer to a broken link is not documented; the unfriendly reading refuses it (422).
   */
  private checkLink(type: ZdTicket['type'], problemId: number | null, ticket?: ZdTicket): void {
    if (problemId === null) return;
    const problem = this.tickets.get(problemId);
    if (!problem || problem.type !== 'problem') throw recordInvalid('problem_id', 'Problem: is not a problem ticket');
    if (type !== 'incident') throw recordInvalid('problem_id', 'Problem: can only be set on an incident');
    if (ticket && problem.id === ticket.id) throw recordInvalid('problem_id', 'Problem: cannot link a ticket to itself');
  }

  private relink(problemId: number): void {
    const problem = this.tickets.get(problemId);
    if (!problem) return;
    const has = this.incidentsOf(problemId).length > 0;
    if (problem.has_incidents !== has) {
      problem.has_incidents = has;
      this.reindex(problem);
    }
  }

  /**
   * Solving a problem solves its linked incidents, and the comment that solved it is added to each
   * of them, public or private as written (support.zendesk.com › "Working with problem and
   * incident tickets"; the API's behaviour is not documented: assumed the same as the agent's UI).
   */
  private solveIncidentsOf(problem: ZdTicket, comment: ZdComment | null, actor: ZdUser, channel: ZdChannel): void {
    for (const incident of this.incidentsOf(problem.id)) {
      if (incident.status === 'solved' || incident.status === 'closed') continue;
      const copy = comment ? { body: comment.plain_body, public: comment.public, author_id: comment.author_id } : undefined;
      this.updateTicket(incident.id, { ticket: { status: 'solved', ...(copy ? { comment: copy } : {}) } }, actor, channel);
    }
  }

  upload(fileName: string, contentType: string, size: number, token: string | null): { token: string; attachment: ZdAttachment; attachments: ZdAttachment[] } {
    const id = this.nextAttachmentId++;
    const key = token && this.uploads.has(token) ? token : randomBytes(18).toString('base64url').slice(0, 25);
    const contentUrl = `${this.base.url}/attachments/token/${key}/?name=${encodeURIComponent(fileName)}`;
    const attachment: ZdAttachment = {
      id,
      file_name: fileName,
      content_type: contentType,
      size,
      content_url: contentUrl,
      mapped_content_url: contentUrl,
      url: `${this.base.url}/api/v2/attachments/${id}.json`,
      inline: false,
      deleted: false,
      thumbnails: [],
    };
    const attachments = [...(this.uploads.get(key) ?? []), attachment];
    this.uploads.set(key, attachments);
    return { token: key, attachment, attachments };
  }

  /** Delete Ticket: the ticket leaves every read, list and search, and waits among the deleted tickets. */
  softDeleteTicket(id: number): ZdTicket {
    const ticket = this.ticket(id);
    this.tickets.delete(id);
    this.index.delete(id);
    this.deletedTickets.set(id, ticket);
    return ticket;
  }

  /**
   * Tickets as list/search/incremental reads see them: each one as of its latest write older than
   * the lag. The lag is read now, so a test can let the index "catch up" by lowering it.
   */
  searchable(): ZdTicket[] {
    const horizon = this.clock() - this.searchLagMs;
    const out: ZdTicket[] = [];
    for (const versions of this.index.values()) {
      const visible = versions.filter((v) => v.writtenAt <= horizon).at(-1);
      if (visible) out.push(visible.snapshot);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  private requester(input: TicketInput, actor: ZdUser): ZdUser {
    if (input.requester_id !== undefined) {
      const user = this.users.get(input.requester_id);
      if (!user) throw recordInvalid('requester', 'Requester: is invalid');
      return user;
    }
    if (!input.requester) return actor;
    const { email, name } = input.requester;
    if (email !== undefined && !EMAIL.test(email)) throw recordInvalid('requester', 'Requester: Email is invalid');
    const existing = email ? this.userByEmail(email) : undefined;
    if (existing) return existing;
    if (!name && !email) throw recordInvalid('requester', 'Requester: Name is too short (minimum one character)');
    if (!email && this.readings.requesterNeedsEmail) throw recordInvalid('requester', 'Requester: Email is required for a new requester', 'BlankValue');
    return this.addUser(name || email!.split('@')[0]!, email ?? null, 'end-user');
  }

  private addComment(
    ticket: ZdTicket,
    audit: ZdAudit,
    input: z.infer<typeof commentInput>,
    authorId: number,
    channel: ZdChannel,
    defaultPublic: boolean,
  ): ZdComment {
    const html = input.html_body?.trim() ?? '';
    const body = (input.body ?? stripHtml(html)).trim();
    if (!body && !html) throw recordInvalid('comment', 'Comment: cannot be blank', 'BlankValue');
    if (!this.users.has(authorId)) throw recordInvalid('comment', 'Comment: Author is invalid');
    const attachments: ZdAttachment[] = [];
    for (const token of input.uploads ?? []) {
      // Each upload token is consumed by the comment it is attached to.
      attachments.push(...(this.uploads.get(token) ?? []));
      this.uploads.delete(token);
    }
    const id = this.nextEventId++;
    const comment: ZdComment = {
      id,
      type: 'Comment',
      author_id: authorId,
      body,
      html_body: html || `<div class="zd-comment" dir="auto">${escapeHtml(body).replace(/\n/g, '<br>')}</div>`,
      plain_body: body,
      public: input.public ?? defaultPublic,
      attachments,
      audit_id: audit.id,
      via: { channel, source: { from: {}, to: {}, rel: null } },
      metadata: { system: {}, custom: {} },
      created_at: audit.created_at,
    };
    ticket.comments.push(comment);
    audit.events.push({ id, type: 'Comment', body, html_body: comment.html_body, plain_body: body, public: comment.public, author_id: authorId, attachments, audit_id: audit.id });
    return comment;
  }

  /** An agent in the Zendesk UI: a comment (public reply or private note) or a status change. */
  agentUpdate(ticketId: number, agent: ZdUser, change: { comment?: { body: string; public: boolean }; status?: ZdStatus }): ZdComment | null {
    const before = this.ticket(ticketId).comments.length;
    const comment = change.comment ? { ...change.comment, author_id: agent.id } : undefined;
    this.updateTicket(ticketId, { ticket: { comment, status: change.status } }, agent, 'web');
    return this.ticket(ticketId).comments[before] ?? null;
  }

  private audit(ticket: ZdTicket, actor: ZdUser, channel: ZdChannel): ZdAudit {
    return { id: this.nextEventId++, ticket_id: ticket.id, author_id: actor.id, created_at: zendeskTime(this.clock()), via: { channel }, metadata: {}, events: [] };
  }

  private touch(ticket: ZdTicket): void {
    const now = Math.max(this.clock(), ticket.updatedMs + 1);
    ticket.updatedMs = now;
    ticket.updated_at = zendeskTime(now);
    this.reindex(ticket);
  }

  private reindex(ticket: ZdTicket): void {
    const versions = this.index.get(ticket.id) ?? [];
    const now = this.clock();
    versions.push({ writtenAt: now, snapshot: { ...ticket, tags: [...ticket.tags], comments: [] } });
    // Versions a later one has long superseded (no test lags ten minutes) are forgotten.
    while (versions.length > 1 && versions[1]!.writtenAt <= now - 600_000) versions.shift();
    this.index.set(ticket.id, versions);
  }
}

