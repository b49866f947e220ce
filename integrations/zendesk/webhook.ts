import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { HelpdeskWebhookEvent } from '../../src/capabilities/helpdesk.js';
import type { RawRequest, VerifyResult } from '../../src/capabilities/webhook.js';
import { HubError } from '../../src/errors.js';
import { canonicalStatus, incidentIdOf } from './mapper.js';

/** ARCHITECTURE §7: Zendesk signatures are accepted for five minutes either side of our clock. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * developer.zendesk.com › Webhooks › Verifying webhook authenticity:
 * `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(signing secret, timestamp + raw body)), with
 * the timestamp from `X-Zendesk-Webhook-Signature-Timestamp` (e.g. 2021-03-25T05:09:27Z).
 */
/**
 * The secret Zendesk signs with when an admin presses "Test webhook" (developer.zendesk.com ›
 * Webhooks › Verifying webhook authenticity: test requests, and webhooks not saved yet, are signed
 * with this fixed, public secret instead of the webhook's own).
 */
export const ZENDESK_TEST_SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';

/**
 * A delivery signed with Zendesk's test secret: the admin's "Test webhook" button. Answered 200
 * `{"test": true}` and nothing else happens — it proves the URL is reachable, not who sent it
 * (anyone can sign with a public secret), so it is never parsed, recorded or acted on.
 */
export function isZendeskTestDelivery(request: RawRequest, now: number = Date.now()): boolean {
  return verifyZendeskWebhook(ZENDESK_TEST_SECRET, request, now).ok;
}

export function verifyZendeskWebhook(secret: string, request: RawRequest, now: number = Date.now()): VerifyResult {
  const signature = header(request.headers, 'x-zendesk-webhook-signature');
  const timestamp = header(request.headers, 'x-zendesk-webhook-signature-timestamp');
  if (!signature) return { ok: false, reason: 'missing X-Zendesk-Webhook-Signature header' };
  if (!timestamp) return { ok: false, reason: 'missing X-Zendesk-Webhook-Signature-Timestamp header' };
  const signedAt = Date.parse(timestamp);
  if (Number.isNaN(signedAt)) return { ok: false, reason: 'X-Zendesk-Webhook-Signature-Timestamp is not a timestamp' };
  if (signedAt < now - SIGNATURE_TOLERANCE_MS) return { ok: false, reason: 'signature timestamp is more than 5 minutes old (replayed or delayed request)' };
  if (signedAt > now + SIGNATURE_TOLERANCE_MS) return { ok: false, reason: 'signature timestamp is more than 5 minutes in the future' };
  const expected = createHmac('sha256', secret).update(timestamp).update(request.rawBody).digest();
  const given = Buffer.from(signature.trim(), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

const id = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);

/** Event-subscription payloads (Webhooks › Webhook event types): top-level fields shared by every type. */
const eventPayload = z.looseObject({
  type: z.string().min(1),
  id: z.string().min(1),
  subject: z.string().nullish(),
  detail: z.looseObject({
    id,
    external_id: z.union([z.string(), z.number()]).nullish(),
    status: z.string().nullish(),
    requester_id: id.nullish(),
    actor_id: id.nullish(),
  }),
  event: z.record(z.string(), z.unknown()).nullish(),
});

const commentAdded = z.object({
  comment: z.looseObject({
    id: id.nullish(),
    is_public: z.boolean(),
    author: z.looseObject({ id, is_staff: z.boolean() }),
  }),
});

const statusChanged = z.object({ current: z.string().nullish() });

const TICKET_EVENT = 'zen:event-type:ticket.';

/**
 * A verified delivery → canonical events. `deliveryId` is the event's own id, which a redelivery
 * repeats. `apiUserId` (once known) marks what the hub itself did: the event's `actor_id` is the
 * user whose API call caused it, for our comments authored as the requester too.
 */
export function parseZendeskWebhook(request: RawRequest, apiUserId: number | null): { deliveryId: string; events: HelpdeskWebhookEvent[] } {
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw malformed('body is not JSON');
  }
  const parsed = eventPayload.safeParse(json);
  if (!parsed.success) throw malformed(describe(parsed.error));
  const payload = parsed.data;
  // User, organization and other event families carry no ticket: acknowledged, nothing to do.
  if (!payload.type.startsWith(TICKET_EVENT)) return { deliveryId: payload.id, events: [] };
  const { detail } = payload;
  const externalId = detail.id;
  const externalIdField = detail.external_id !== null && detail.external_id !== undefined && String(detail.external_id).trim() ? String(detail.external_id) : null;
  // A hub incident's problem ticket is not a conversation of ours (mapper.ts, problemExternalId).
  const hubConversationId = incidentIdOf(externalIdField) ? null : externalIdField;
  const base = { externalId, hubConversationId, ...(apiUserId !== null && detail.actor_id === String(apiUserId) ? { byHub: true } : {}) };
  const type = payload.type.slice(TICKET_EVENT.length);
  switch (type) {
    case 'created':
      return { deliveryId: payload.id, events: [{ kind: 'conversation.created', ...base }] };
    case 'comment_added': {
      const event = commentAdded.safeParse(payload.event ?? {});
      if (!event.success) throw malformed(`comment_added without a comment: ${describe(event.error)}`);
      const { comment } = event.data;
      const kind = comment.author.id === detail.requester_id ? 'customer.replied' : comment.is_public && comment.author.is_staff ? 'agent.replied' : 'other';
      return { deliveryId: payload.id, events: [{ kind, ...base, ...(comment.id ? { threadIds: [comment.id] } : {}) }] };
    }
    case 'status_changed': {
      const event = statusChanged.safeParse(payload.event ?? {});
      const status = canonicalStatus((event.success ? event.data.current : null) ?? detail.status);
      return { deliveryId: payload.id, events: [{ kind: 'status.changed', ...base, ...(status ? { status } : {}) }] };
    }
    case 'agent_assignment_changed':
      return { deliveryId: payload.id, events: [{ kind: 'assigned', ...base }] };
    default:
      return { deliveryId: payload.id, events: [{ kind: 'other', ...base }] };
  }
}

function malformed(detail: string): HubError {
  return new HubError(400, 'invalid_webhook', `malformed Zendesk webhook: ${detail}`);
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`).join('; ');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
