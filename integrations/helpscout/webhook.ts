import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HelpdeskWebhookEvent } from '../../src/capabilities/helpdesk.js';
import { type RawRequest, type VerifyResult, headerValue } from '../../src/capabilities/webhook.js';
import { HubError } from '../../src/errors.js';
import { hubConversationIdFromTags, statusFromHelpScout } from './mapper.js';

/**
 * Help Scout webhooks (developer.helpscout.com/webhooks): the event name in `X-HelpScout-Event`,
 * the v2 object as the body, and `X-HelpScout-Signature` = base64 HMAC-SHA1(secret, raw body).
 * The scheme has no timestamp and no delivery id (ARCHITECTURE §7): redeliveries are recognised
 * by event + conversation + newest thread.
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

/** Events about a thread being written: the newest thread is the one the event reports. */
const THREAD_EVENTS = new Set(['convo.created', 'convo.customer.reply.created', 'convo.agent.reply.created', 'convo.note.created']);

/**
 * `ownUserId`: the user our app acts as, when known. An event is marked `byHub` only when its newest
 * thread came through the API and was written by the customer (our pushes) or by that user (our
 * notes and replies): another API integration's agent reply is still an agent reply.
 */
export function parseHelpScoutWebhook(request: RawRequest, ownUserId: number | null = null): { deliveryId: string; events: HelpdeskWebhookEvent[] } {
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
  // Customer, tag, rating and survey events are not about a conversation: nothing to sync.
  if (!event.startsWith('convo.')) return { deliveryId: `${event}:${hasId ? String(id) : 'none'}:${digest(request.rawBody)}`, events: [] };
  if (!hasId) throw invalid(`Help Scout ${event} webhook has no conversation id`);
  const externalId = String(id);
  const threads = embeddedThreads(record);
  const newest = threads.sort((a, b) => b.at - a.at || b.id - a.id)[0];
  const status = typeof record['status'] === 'string' ? statusFromHelpScout(record['status']) : undefined;
  const kind = EVENT_KINDS[event] ?? 'other';
  // Status changes are told apart by the line item Help Scout adds; the status itself makes sure.
  const deliveryId = [event, externalId, newest ? String(newest.id) : 'none', ...(kind === 'status.changed' && status ? [status] : [])].join(':');
  const byHub = THREAD_EVENTS.has(event) && newest !== undefined && writtenByHub(newest, ownUserId);
  const tags = Array.isArray(record['tags'])
    ? (record['tags'] as unknown[]).map((t) => (typeof t === 'string' ? t : t && typeof t === 'object' ? String((t as { tag?: unknown }).tag ?? '') : '')).filter(Boolean)
    : [];
  return {
    deliveryId,
    events: [{ kind, externalId, hubConversationId: hubConversationIdFromTags(tags), ...(kind === 'status.changed' && status ? { status } : {}), ...(byHub ? { byHub } : {}) }],
  };
}

interface EmbeddedThread {
  id: number;
  at: number;
  sourceType: unknown;
  author: { type?: unknown; id?: unknown } | null;
}

function embeddedThreads(record: Record<string, unknown>): EmbeddedThread[] {
  const embedded = record['_embedded'];
  const threads = embedded && typeof embedded === 'object' ? (embedded as { threads?: unknown }).threads : undefined;
  if (!Array.isArray(threads)) return [];
  return threads.flatMap((t: unknown) => {
    if (!t || typeof t !== 'object') return [];
    const { id, createdAt, source, createdBy } = t as { id?: unknown; createdAt?: unknown; source?: unknown; createdBy?: unknown };
    if (typeof id !== 'number') return [];
    const at = typeof createdAt === 'string' ? Date.parse(createdAt) : NaN;
    return [
      {
        id,
        at: Number.isNaN(at) ? 0 : at,
        sourceType: source && typeof source === 'object' ? (source as { type?: unknown }).type : undefined,
        author: createdBy && typeof createdBy === 'object' ? (createdBy as { type?: unknown; id?: unknown }) : null,
      },
    ];
  });
}

function writtenByHub(thread: EmbeddedThread, ownUserId: number | null): boolean {
  if (thread.sourceType !== 'api' || !thread.author) return false;
  if (thread.author.type === 'customer') return true;
  return thread.author.type === 'user' && ownUserId !== null && thread.author.id === ownUserId;
}

function digest(body: Buffer): string {
  return createHash('sha1').update(body).digest('hex').slice(0, 16);
}
