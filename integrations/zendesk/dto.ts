import { z } from 'zod';

/**
 * The parts of Zendesk's responses the adapter reads (Support API OpenAPI: TicketObject,
 * TicketCommentObject, AuditObject, UserObject), parsed at the edge. Objects stay loose: Zendesk
 * adds fields at any time.
 */
export const userDto = z.looseObject({
  id: z.number(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  role: z.string().nullish(),
  /** UserObject: "any of the user's identities is verified". */
  verified: z.boolean().nullish(),
  /** UserObject: "false if the user has been deleted". */
  active: z.boolean().nullish(),
});
export type ZendeskUser = z.infer<typeof userDto>;

export const attachmentDto = z.looseObject({
  file_name: z.string(),
  content_type: z.string().nullish(),
  size: z.number().nullish(),
  content_url: z.string().nullish(),
});

export const commentDto = z.looseObject({
  id: z.number(),
  author_id: z.number(),
  body: z.string().nullish(),
  html_body: z.string().nullish(),
  plain_body: z.string().nullish(),
  public: z.boolean(),
  attachments: z.array(attachmentDto).nullish(),
  via: z.looseObject({ channel: z.string().nullish() }).nullish(),
  created_at: z.string(),
});
export type ZendeskComment = z.infer<typeof commentDto>;

export const ticketDto = z.looseObject({
  id: z.number(),
  external_id: z.string().nullish(),
  subject: z.string().nullish(),
  status: z.string(),
  priority: z.string().nullish(),
  // TicketObject: "problem", "incident", "question", "task" or null; `problem_id` links an incident to its problem.
  type: z.string().nullish(),
  problem_id: z.number().nullish(),
  assignee_id: z.number().nullish(),
  requester_id: z.number(),
  tags: z.array(z.string()).nullish(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ZendeskTicket = z.infer<typeof ticketDto>;

const auditDto = z.looseObject({
  author_id: z.number().nullish(),
  events: z.array(z.looseObject({ id: z.number(), type: z.string() })),
});

/**
 * Update Ticket answers with the ticket and the audit of the change (TicketUpdateResponse); a
 * Comment event's id is the comment's id. Create Ticket's documented answer is TicketResponse,
 * `{ticket}` alone: an audit, when Zendesk adds one, is a bonus, never required.
 */
export const ticketWriteResponse = z.object({ ticket: ticketDto, audit: auditDto.nullish() });
export type ZendeskTicketWrite = z.infer<typeof ticketWriteResponse>;

export const showTicketResponse = z.object({ ticket: ticketDto, users: z.array(userDto).nullish() });

/** List Comments with cursor pagination (`page[size]`, `page[after]`) and `include=users`. */
export const commentsPage = z.object({
  comments: z.array(commentDto),
  users: z.array(userDto).nullish(),
  meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullish() }).nullish(),
});

/** List Tickets; with cursor pagination (`page[size]`) it also carries `meta` (has_more, after_cursor). */
export const ticketsList = z.object({
  tickets: z.array(ticketDto),
  meta: z.looseObject({ has_more: z.boolean(), after_cursor: z.string().nullish() }).nullish(),
});

export const incrementalPage = z.object({
  tickets: z.array(ticketDto),
  after_cursor: z.string().nullish(),
  end_of_stream: z.boolean(),
});

/** Show User (UserResponse). */
export const userResponse = z.object({ user: userDto });

/** Search Users (UsersResponse): offset pagination only, 100 a page, `next_page` while more. */
export const usersPage = z.object({ users: z.array(userDto), next_page: z.string().nullish() });

/** JobStatusResponse: a queued background job (Delete Ticket Permanently); poll Show Job Status until it ends. */
export const jobStatusResponse = z.object({
  job_status: z.looseObject({
    id: z.string(),
    /** "One of the following: queued, working, failed, completed". */
    status: z.string(),
    message: z.string().nullish(),
    results: z.unknown().nullish(),
  }),
});
export type ZendeskJobStatus = z.infer<typeof jobStatusResponse>['job_status'];

export const uploadResponse = z.object({ upload: z.object({ token: z.string() }) });

/** Show Self: an unauthenticated caller gets an anonymous user with a null id. */
export const meResponse = z.object({
  user: z.looseObject({ id: z.number().nullable(), email: z.string().nullish(), role: z.string().nullish(), name: z.string().nullish() }),
});

const triggerCondition = z.looseObject({ field: z.string(), operator: z.string().nullish(), value: z.unknown() });
export const triggersPage = z.object({
  triggers: z.array(
    z.looseObject({
      title: z.string(),
      active: z.boolean().nullish(),
      conditions: z.looseObject({ all: z.array(triggerCondition).nullish(), any: z.array(triggerCondition).nullish() }).nullish(),
      actions: z.array(z.looseObject({ field: z.string(), value: z.unknown() })).nullish(),
    }),
  ),
  next_page: z.string().nullish(),
});
export type ZendeskTrigger = z.infer<typeof triggersPage>['triggers'][number];
