import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HelpdeskWebhookEvent } from '../../src/capabilities/helpdesk.js';
import { type RawRequest, type VerifyResult, headerValue } from '../../src/capabilities/webhook.js';
import { HubError } from '../../src/errors.js';
import { hubConversationIdFromTags, statusFromHelpScout } from './mapper.js';

/**
 * Help Scout webhooks (developer.helpscout.com/webhooks): the event name in `X-HelpScout-Event`,
 * the conversation object as the body, and `X-HelpScout-Signature` = base64 HMAC-SHA1(secret, raw
 * body). The scheme has no timestamp and no delivery id (ARCHITECTURE §7), and nothing promises
 * which threads, if any, the body carries (the SDK's webhook fixture has a top-level `threads`
 * array; the API's conversation has `_embedded.threads`; either may be absent). So a delivery is
 * identified only by what is certain — the event, the conversation and the exact bytes (a
 * redelivery repeats them) — and the threads a body does name are reported as hints: the hub
 * skips the pull only when it already knows every one of them, and otherwise fetches, then decides.
 */
export function verifyHelpScoutWebhook(secret: string | undefined, request: RawRequest): VerifyResult {
  if (!secret) return { ok: false, reason: 'HELPSCOUT_WEBHOOK_SECRET is not configured, so Help Scout webhooks cannot be verified' };
  const given = headerValue(request, 'x-helpscout-signature');
  if (!given) return { ok: false, reason: 'missing X-HelpScout-Signature header' };
  const expected = Buffer.from(createHmac('sha1', secret).update(request.rawBody).digest('base64'));
  const received = Buffer.from(given.trim());
  // Compare the base64 text itself: equal lengths first (timingSafeEqual requires it), then constant time.
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return { ok: false, reason: 'invalid X-HelpScout-Signature' };
  return { ok: true };
}

const EVENT_KINDS: Record<string, HelpdeskWebhookEvent['kind']> = {
  'convo.created': 'conversation.created',
  'convo.agent.reply.created': 'agent.replied',
  'convo.customer.reply.created': 'customer.replied',
  'convo.status': 'status.changed',
  'convo.assigned': 'assigned',
};

const invalid = (message: string) => new HubError(400, 'invalid_webhook', message);

/**
 * A verified delivery → canonical events. `deliveryId` = event + conversation + a digest of the
 * body, so a redelivery of the same bytes is recognised and two different deliveries never are.
 */
export function parseHelpScoutWebhook(request: RawRequest): { deliveryId: string; events: HelpdeskWebhookEvent[] } {
  const event = headerValue(request, 'x-helpscout-event');
  if (!event) throw invalid('missing X-HelpScout-Event header');
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw invalid('Help Scout webhook body is not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('Help Scout webhook body is not a JSON object');
  const record = body as Record<string, unknown>;
  const id = record['id'];
  const hasId = (typeof id === 'number' && Number.isInteger(id)) || (typeof id === 'string' && /^\d+$/.test(id));
  const deliveryId = `${event}:${hasId ? String(id) : 'none'}:${digest(request.rawBody)}`;
  // Customer, tag, rating and survey events are not about a conversation: nothing to sync.
  if (!event.startsWith('convo.')) return { deliveryId, events: [] };
  if (!hasId) throw invalid(`Help Scout ${event} webhook has no conversation id`);
  const externalId = String(id);
  const status = typeof record['status'] === 'string' ? statusFromHelpScout(record['status']) : undefined;
  const kind = EVENT_KINDS[event] ?? 'other';
  const threadIds = namedThreadIds(record);
  const tags = Array.isArray(record['tags'])
    ? (record['tags'] as unknown[]).map((t) => (typeof t === 'string' ? t : t && typeof t === 'object' ? String((t as { tag?: unknown }).tag ?? '') : '')).filter(Boolean)
    : [];
  return {
    deliveryId,
    events: [
      {
        kind,
        externalId,
        hubConversationId: hubConversationIdFromTags(tags),
        ...(kind === 'status.changed' && status ? { status } : {}),
        ...(threadIds.length > 0 ? { threadIds } : {}),
      },
    ],
  };
}

/** Thread ids the body names, wherever it puts them (top-level `threads` or `_embedded.threads`); [] when none. */
function namedThreadIds(record: Record<string, unknown>): string[] {
  const embedded = record['_embedded'];
  const lists = [record['threads'], embedded && typeof embedded === 'object' ? (embedded as { threads?: unknown }).threads : undefined];
  const ids = new Set<string>();
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const thread of list) {
      const threadId = thread && typeof thread === 'object' ? (thread as { id?: unknown }).id : undefined;
      if (typeof threadId === 'number' && Number.isInteger(threadId)) ids.add(String(threadId));
    }
  }
  return [...ids];
}

function digest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}
