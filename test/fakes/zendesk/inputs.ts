import { z } from 'zod';
import { recordInvalid, ZdApiError } from './errors.js';
import { PRIORITIES, STATUSES, TICKET_TYPES, type ZdPriority, type ZdStatus } from './model.js';

/** Ticket create/update bodies as the fake accepts them, with Zendesk's 400/422 answers for bad ones. */
export const commentInput = z.looseObject({
  body: z.string().optional(),
  html_body: z.string().optional(),
  public: z.boolean().optional(),
  author_id: z.number().int().optional(),
  uploads: z.array(z.string()).optional(),
});
const ticketInput = z.looseObject({
  subject: z.string().optional(),
  comment: commentInput.optional(),
  requester: z.looseObject({ name: z.string().optional(), email: z.string().optional() }).optional(),
  requester_id: z.number().int().optional(),
  external_id: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
  priority: z.string().nullable().optional(),
  type: z.string().nullable().optional(),
  problem_id: z.number().int().nullable().optional(),
  assignee_id: z.number().int().nullable().optional(),
  status: z.string().optional(),
  // TicketObject: write-only `safe_update` ("a value of false has the same effect as true") and `updated_stamp`.
  safe_update: z.union([z.boolean(), z.string()]).optional(),
  updated_stamp: z.string().optional(),
});
export type TicketInput = z.infer<typeof ticketInput>;

export const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function parse(raw: unknown): TicketInput {
  const envelope = z.object({ ticket: z.unknown() }).safeParse(raw);
  if (!envelope.success || envelope.data.ticket === undefined) {
    throw new ZdApiError(400, { error: 'InvalidValue', description: 'Missing parameter: ticket' });
  }
  const result = ticketInput.safeParse(envelope.data.ticket);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.') || 'base';
    throw recordInvalid(field, `${field}: ${issue.message}`);
  }
  return result.data;
}

export function checkEnums(input: TicketInput): void {
  if (input.priority != null && !PRIORITIES.includes(input.priority as ZdPriority)) throw recordInvalid('priority', `Priority: ${input.priority} is not valid`);
  if (input.status !== undefined && !STATUSES.includes(input.status as ZdStatus)) throw recordInvalid('status', `Status: ${input.status} is not valid`);
  if (input.type != null && !(TICKET_TYPES as readonly string[]).includes(input.type)) throw recordInvalid('type', `Type: ${input.type} is not valid`);
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0]!.slice(0, 80) || '(no subject)';
}

export function stripHtml(html: string): string {
  return html.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
