import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * Request bodies the fake accepts, validated the way the Mailbox API v2 documents them
 * (developer.helpscout.com/mailbox-api/endpoints/conversations/create, …/threads/customer,
 * …/threads/chat, …/threads/note, …/threads/reply, …/tags/update, …/update), and the error
 * envelope it answers with (developer.helpscout.com/mailbox-api/overview/errors).
 */

const customerRef = z
  .object({
    id: z.number().int().positive().optional(),
    email: z.email('Not well-formed email address').optional(),
    firstName: z.string().max(40).optional(),
    lastName: z.string().max(40).optional(),
  })
  .refine((c) => c.id !== undefined || c.email !== undefined, { message: 'must contain a customer id or an email address' });

const attachment = z.object({
  fileName: z.string().min(1, 'may not be empty'),
  mimeType: z.string().min(1, 'may not be empty'),
  data: z.string().min(1, 'may not be empty').regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be Base64-encoded'),
});

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, "The value must be a valid ISO 8601 date with the format yyyy-MM-dd'T'HH:mm:ss'Z'");

const createThread = z.object({
  type: z.enum(['chat', 'customer', 'note', 'phone', 'reply']),
  customer: customerRef.optional(),
  text: z.string().min(1, 'may not be empty'),
  createdAt: isoDate.optional(),
  draft: z.boolean().optional(),
  attachments: z.array(attachment).optional(),
});

export const createConversationBody = z.object({
  subject: z.string().min(1, 'may not be empty'),
  customer: customerRef,
  mailboxId: z.number().int(),
  type: z.enum(['chat', 'email', 'phone']),
  status: z.enum(['active', 'closed', 'pending']),
  threads: z.array(createThread).min(1, 'must contain at least one thread').max(100, 'maximum of 100 threads allowed'),
  tags: z.array(z.string()).optional(),
  imported: z.boolean().optional(),
  autoReply: z.boolean().optional(),
  createdAt: isoDate.optional(),
  assignTo: z.number().int().nullable().optional(),
  user: z.number().int().optional(),
  fields: z.array(z.object({ id: z.number(), value: z.unknown() })).optional(),
});

const threadCommon = {
  text: z.string().min(1, 'may not be empty'),
  imported: z.boolean().optional(),
  createdAt: isoDate.optional(),
  attachments: z.array(attachment).optional(),
};

export const customerThreadBody = z.object({ customer: customerRef, ...threadCommon });
export const chatThreadBody = z.object({ customer: customerRef, ...threadCommon });
export const noteThreadBody = z.object({ ...threadCommon, user: z.number().int().optional(), status: z.enum(['active', 'closed', 'pending']).optional() });
export const replyThreadBody = z.object({
  customer: customerRef,
  ...threadCommon,
  draft: z.boolean().optional(),
  user: z.number().int().optional(),
  status: z.enum(['active', 'all', 'closed', 'open', 'pending', 'spam']).optional(),
  assignTo: z.number().int().optional(),
  cc: z.array(z.string()).optional(),
  bcc: z.array(z.string()).optional(),
});
export const tagsBody = z.object({ tags: z.array(z.string()) });
export const patchBody = z.object({ op: z.enum(['replace', 'move', 'remove']), path: z.string(), value: z.unknown() });

export type CreateConversationBody = z.infer<typeof createConversationBody>;
export type AttachmentBody = z.infer<typeof attachment>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body['message'] ?? status));
  }
}

export function errorBody(message: string, errors: { path: string; message: string; rejectedValue?: unknown }[] = []): Record<string, unknown> {
  return {
    logRef: randomUUID(),
    message,
    ...(errors.length > 0
      ? {
          _embedded: {
            errors: errors.map((e) => ({
              ...e,
              source: 'JSON',
              _links: { about: { href: 'http://developer.helpscout.net/mailbox-api/overview/errors' } },
            })),
          },
        }
      : {}),
    _links: { about: { href: 'http://developer.helpscout.net/mailbox-api/overview/errors' } },
  };
}

export const badRequest = (errors: { path: string; message: string; rejectedValue?: unknown }[]) => new ApiError(400, errorBody('Bad request', errors));
export const notFound = (what: string) => new ApiError(404, errorBody(`${what} not found`));
export const tooLarge = (message: string) => new ApiError(413, errorBody(message));

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw badRequest(result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })));
}
