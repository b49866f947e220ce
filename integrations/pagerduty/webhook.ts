import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { EscalationInboundEvent } from '../../src/capabilities/escalation.js';
import { type RawRequest, type VerifyResult, headerValue } from '../../src/capabilities/webhook.js';
import { HubError } from '../../src/errors.js';

/**
 * PagerDuty V3 webhooks (developer.pagerduty.com/docs/webhooks/v3-overview): one event per
 * delivery, `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(secret, raw body)>`, several
 * comma-separated during a secret rotation (…/docs/verifying-signatures). The scheme has no
 * timestamp, so there is no replay window. Redeliveries are deduped by `X-Webhook-Id`, which the
 * docs say stays the same across retries (…/docs/webhooks/behavior); `event.id` when it is absent.
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
    // `incident` for incident.* events; other data types (incident_note, service, …) carry other ids.
    data: z.object({ type: z.string().optional(), id: z.string().nullish(), incident_key: z.string().nullish(), html_url: z.string().nullish() }).nullish(),
  }),
});

/** What the hub learns from a delivery about which incident holds which of our alerts. */
export interface IncidentLink {
  /** The alert's dedup key (our escalation id) as the incident's `incident_key`. */
  externalId: string;
  /** The incident id, which every incident event carries. */
  vendorId: string;
  url: string | null;
}

const pageUrl = (value: string | null | undefined): string | null => {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
};

/**
 * Which escalation an incident belongs to. The V3 webhook docs promise the incident's `id` on
 * every incident event, but not an `incident_key` equal to our dedup key: it can be empty, and
 * when alert grouping puts our alert into another incident it is that incident's first alert's.
 * So an event names the incident by its `incident_key` when there is one (our receipt's id, the
 * dedup key), else by the incident id; and a delivery carrying both reports the link (key →
 * incident) for the engine to record, so a later delivery naming only the incident still finds
 * the escalation. An incident never linked to one of our keys is not ours to act on: the
 * acknowledge link and the hub's own view still work.
 */
export function parsePagerDutyWebhook(request: RawRequest): { deliveryId: string; events: EscalationInboundEvent[]; links: IncidentLink[] } {
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
  const { event_type: type, agent, data } = parsed.data.event;
  const id = headerValue(request, 'x-webhook-id') ?? parsed.data.event.id;
  const isIncident = type.startsWith('incident.') && (data?.type === undefined || data.type === 'incident');
  const incidentId = isIncident && data?.id ? data.id : null;
  const incidentKey = isIncident && data?.incident_key ? data.incident_key : null;
  const links: IncidentLink[] = incidentId && incidentKey ? [{ externalId: incidentKey, vendorId: incidentId, url: pageUrl(data?.html_url) }] : [];
  const kind = EVENT_KINDS[type];
  const names = incidentKey ?? incidentId;
  // pagey.ping, services, notes, priorities, …: nothing the escalation engine acts on.
  if (!kind || !names) return { deliveryId: id, events: [], links };
  // A person did it: their name. A service or integration (our own resolve event, an
  // auto-resolve timeout): nobody to name.
  const by = agent?.type === 'user_reference' && agent.summary ? agent.summary : null;
  return { deliveryId: id, events: [{ kind, externalId: names, by }], links };
}
