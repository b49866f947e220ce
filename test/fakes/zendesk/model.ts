/**
 * Zendesk Support API objects as the fake keeps and serves them. Shapes follow the Support API
 * OpenAPI document (../shared/data/vendor/zendesk-oas.yaml: TicketObject, TicketCommentObject,
 * AttachmentObject, UserObject, AuditObject); only the fields the hub reads or a test inspects are kept.
 */
export type ZdStatus = 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
export type ZdPriority = 'urgent' | 'high' | 'normal' | 'low';
export type ZdRole = 'end-user' | 'agent' | 'admin';
/** `via.channel` values the fake produces: API writes, mail to the support address, the agent UI. */
export type ZdChannel = 'api' | 'email' | 'web';

export const STATUSES: readonly ZdStatus[] = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
export const PRIORITIES: readonly ZdPriority[] = ['urgent', 'high', 'normal', 'low'];
export const TICKET_TYPES = ['problem', 'incident', 'question', 'task'] as const;

export interface ZdUser {
  id: number;
  name: string;
  email: string | null;
  role: ZdRole;
  created_at: string;
  /** Delete User made it `soft` (shown with `active: false`); Permanently Delete User scrubs it (`permanent`: a 404 to every read). */
  deleted?: 'soft' | 'permanent';
}

export interface ZdAttachment {
  id: number;
  file_name: string;
  content_type: string;
  size: number;
  content_url: string;
  mapped_content_url: string;
  url: string;
  inline: boolean;
  deleted: boolean;
  thumbnails: never[];
}

export interface ZdComment {
  id: number;
  type: 'Comment';
  author_id: number;
  body: string;
  html_body: string;
  plain_body: string;
  public: boolean;
  attachments: ZdAttachment[];
  audit_id: number;
  via: { channel: ZdChannel; source: { from: Record<string, unknown>; to: Record<string, unknown>; rel: string | null } };
  metadata: { system: Record<string, unknown>; custom: Record<string, unknown> };
  created_at: string;
}

export interface ZdTicket {
  id: number;
  external_id: string | null;
  subject: string;
  description: string;
  status: ZdStatus;
  priority: ZdPriority | null;
  type: (typeof TICKET_TYPES)[number] | null;
  /** For `type: incident`: the problem ticket it is linked to. */
  problem_id: number | null;
  /** A problem with at least one incident linked (kept by the state as links change). */
  has_incidents: boolean;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  tags: string[];
  via: { channel: ZdChannel };
  created_at: string;
  updated_at: string;
  /** Milliseconds behind `updated_at`, for ordering the incremental export within one second. */
  updatedMs: number;
  comments: ZdComment[];
}

export interface ZdAuditEvent {
  id: number;
  type: 'Create' | 'Change' | 'Comment';
  field_name?: string;
  value?: unknown;
  previous_value?: unknown;
  body?: string;
  html_body?: string;
  plain_body?: string;
  public?: boolean;
  author_id?: number;
  attachments?: ZdAttachment[];
  audit_id?: number;
}

export interface ZdAudit {
  id: number;
  ticket_id: number;
  author_id: number;
  created_at: string;
  via: { channel: ZdChannel };
  metadata: Record<string, unknown>;
  events: ZdAuditEvent[];
}

/** Zendesk timestamps are whole seconds in UTC ("2009-07-20T22:55:29Z"). */
export function zendeskTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The ticket as GET /api/v2/tickets/{id} shows it (no comments). */
export function ticketJson(ticket: ZdTicket, baseUrl: string): Record<string, unknown> {
  return {
    id: ticket.id,
    url: `${baseUrl}/api/v2/tickets/${ticket.id}.json`,
    external_id: ticket.external_id,
    subject: ticket.subject,
    raw_subject: ticket.subject,
    description: ticket.description,
    status: ticket.status,
    priority: ticket.priority,
    type: ticket.type,
    problem_id: ticket.problem_id,
    requester_id: ticket.requester_id,
    submitter_id: ticket.submitter_id,
    assignee_id: ticket.assignee_id,
    organization_id: null,
    group_id: null,
    collaborator_ids: [],
    follower_ids: [],
    email_cc_ids: [],
    tags: [...ticket.tags],
    custom_fields: [],
    via: { channel: ticket.via.channel, source: { from: {}, to: {}, rel: null } },
    is_public: ticket.comments.some((c) => c.public),
    has_incidents: ticket.has_incidents,
    allow_attachments: true,
    allow_channelback: false,
    from_messaging_channel: false,
    generated_timestamp: Math.floor(ticket.updatedMs / 1000),
    created_at: ticket.created_at,
    updated_at: ticket.updated_at,
  };
}

export function userJson(user: ZdUser, baseUrl: string): Record<string, unknown> {
  return {
    id: user.id,
    url: `${baseUrl}/api/v2/users/${user.id}.json`,
    name: user.name,
    email: user.email,
    role: user.role,
    active: user.deleted === undefined,
    verified: true,
    created_at: user.created_at,
    updated_at: user.created_at,
  };
}

/** Zendesk tags: lower case, no spaces (a space separates two tags). */
export function normaliseTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const tag of tags.flatMap((t) => t.toLowerCase().split(/\s+/))) if (tag && !out.includes(tag)) out.push(tag);
  return out;
}
