import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { SidebarSubject } from '../capabilities/sidebar.js';
import type { RawRequest, VerifyResult } from '../capabilities/webhook.js';
import { HubError, parseJsonBody } from '../errors.js';
import { uniqueAddresses } from './addresses.js';

/**
 * Help Scout's legacy Dynamic App request (developer.helpscout.com/custom-apps/dynamic): a POST of
 * `{ ticket, customer, user, mailbox }` signed with `X-HelpScout-Signature` = base64
 * HMAC-SHA1(app secret, raw body). The scheme has no timestamp; repeats are normal (every time an
 * agent opens the conversation), so there is no replay check (ARCHITECTURE §7).
 */

export function verifyHelpScoutSidebar(secret: string, request: RawRequest): VerifyResult {
  const value = request.headers['x-helpscout-signature'];
  const given = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!given) return { ok: false, reason: 'missing X-HelpScout-Signature header' };
  const expected = Buffer.from(createHmac('sha1', secret).update(request.rawBody).digest('base64'));
  const received = Buffer.from(given);
  // timingSafeEqual needs equal lengths; a length mismatch says nothing about the secret.
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return { ok: false, reason: 'invalid X-HelpScout-Signature' };
  return { ok: true };
}

const id = z.union([z.number(), z.string()]).transform(String);
const text = z.string().max(1000).nullish();
// `customer.emails` is a list of addresses; tolerate `{ value }` objects as the Mailbox API shapes them.
const address = z.union([z.string().max(320), z.object({ value: z.string().max(320) }).transform((e) => e.value)]);

const dynamicAppRequest = z.object({
  // A draft or a new conversation has no ticket yet: Help Scout sends `false`.
  ticket: z.union([z.literal(false), z.null(), z.object({ id: id.nullish(), number: id.nullish(), subject: text })]).optional(),
  customer: z
    .object({
      id: id.nullish(),
      fname: text,
      lname: text,
      email: z.string().max(320).nullish(),
      emails: z.array(address).max(100).nullish(),
    })
    .nullish(),
  user: z.object({ id: id.nullish(), fname: text, lname: text }).nullish(),
  mailbox: z.object({ id: id.nullish(), email: z.string().max(320).nullish() }).nullish(),
});

const invalid = (message: string) => new HubError(400, 'invalid_sidebar_request', message);

export function parseHelpScoutSidebar(request: RawRequest): SidebarSubject {
  const body = parseJsonBody(request.rawBody, 'the Dynamic App request body', 'invalid_sidebar_request');
  const parsed = dynamicAppRequest.safeParse(body);
  if (!parsed.success) {
    throw invalid(`the Dynamic App request is not understood: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  }
  const { ticket, customer, mailbox } = parsed.data;
  const emails = uniqueAddresses([customer?.email, ...(customer?.emails ?? [])]);
  const name = [customer?.fname, customer?.lname].map((part) => part?.trim()).filter(Boolean).join(' ');
  return {
    email: emails[0] ?? null,
    emails,
    name: name || null,
    externalConversationId: ticket && ticket.id != null ? ticket.id : null,
    mailboxId: mailbox?.id ?? null,
  };
}
