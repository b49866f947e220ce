import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { EscalationInboundEvent } from '../../src/capabilities/escalation.js';
import { type RawRequest, type VerifyResult, headerValue } from '../../src/capabilities/webhook.js';
import { HubError } from '../../src/errors.js';

/**
 * PagerDuty V3 webhooks (developer.pagerduty.com/docs/webhooks/v3-overview): one event per
 * delivery, `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(secret, raw body)>`, several
 * comma-separated during a secret rotation (…/docs/verifying-signatures). The scheme has no
 * timestamp, so there is no replay window; `event.id` dedupes redeliveries.
 */

export function verifyPagerDutyWebhook(secret: string | undefined, request: RawRequest): VerifyResult {
  if (!secret) return { ok: false, reason: 'PAGERDUTY_WEBHOOK_SECRET is not configured, so PagerDuty webhooks cannot be verified' };
  const given = headerValue(request, 'x-pagerduty-signature');
  if (!given) return { ok: false, reason: 'missing X-PagerDuty-Signature header' };
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(request.rawBody).digest('hex')}`);
  // Any one matching v1 signature is enough; compare each in constant time (equal lengths first).
  const matches = given
    .split(',')
    .map((s) => Buffer.from(s.trim()))
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  return matches ? { ok: true } : { ok: false, reason: 'invalid X-PagerDuty-Signature' };
}

const EVENT_KINDS: Record<string, EscalationInboundEvent['kind']> = {
  'incident.acknowledged': 'escalation.acknowledged',
  'incident.resolved': 'escalation.resolved',
  'incident.reopened': 'escalation.reopened',
};

const invalid = (message: string) => new HubError(400, 'invalid_webhook', message);

// Only what the mapping reads; PagerDuty sends far more (and adds event types over time).
const deliverySchema = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string(),
    agent: z.object({ type: z.string().optional(), summary: z.string().optional() }).nullish(),
    data: z.object({ incident_key: z.string().nullish() }).nullish(),
  }),
});

/**
 * Which escalation an incident belongs to: an incident opened by an Events API alert carries
 * that alert's dedup key — our escalation id — as `incident_key`. When PagerDuty's alert
 * grouping merges our alert into another incident, the incident keeps the other alert's key and
 * the hub does not hear about it (the acknowledge link and the hub's own view still work).
 */
export function parsePagerDutyWebhook(request: RawRequest): { deliveryId: string; events: EscalationInboundEvent[] } {
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw invalid('PagerDuty webhook body is not valid JSON');
  }
  const parsed = deliverySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`PagerDuty webhook body is not a V3 event: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const { id, event_type: type, agent, data } = parsed.data.event;
  const kind = EVENT_KINDS[type];
  const incidentKey = data?.incident_key;
  // pagey.ping, services, notes, priorities, …: nothing the escalation engine acts on.
  if (!kind || !incidentKey) return { deliveryId: id, events: [] };
  // A person did it: their name. A service or integration (our own resolve event, an
  // auto-resolve timeout): nobody to name.
  const by = agent?.type === 'user_reference' && agent.summary ? agent.summary : null;
  return { deliveryId: id, events: [{ kind, externalId: incidentKey, by }] };
}
