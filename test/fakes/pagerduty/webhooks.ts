import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import type { FakeAlert } from './events.js';

/**
 * V3 webhook deliveries (developer.pagerduty.com/docs/webhooks/v3-overview): one `event`
 * envelope per request, `event.data` an incident shaped like the docs' example
 * (shared/data/vendor/official/pagerduty/webhooks-v3-examples/event-data.incident.json; the
 * conformance suite compares the two), signed `X-PagerDuty-Signature: v1=<hex
 * HMAC-SHA256(secret, body)>` (…/docs/verifying-signatures). `incident_key` is the dedup key of
 * the alert that opened the incident unless a test says otherwise: the docs do not promise it
 * (it can be empty). Ids are made up.
 */

export type IncidentEventType = 'incident.triggered' | 'incident.acknowledged' | 'incident.resolved' | 'incident.reopened';

/** `v1=<hex>` for each secret, comma-separated (several during a secret rotation). */
export function pagerDutySignature(body: string | Buffer, ...secrets: string[]): string {
  return secrets.map((secret) => `v1=${createHmac('sha256', secret).update(body).digest('hex')}`).join(',');
}

const ref = (kind: string, path: string, id: string, summary: string) => ({
  html_url: `https://acme.pagerduty.com/${path}/${id}`,
  id,
  self: `https://api.pagerduty.com/${path}/${id}`,
  summary,
  type: `${kind}_reference`,
});

export interface IncidentEventOptions {
  /** Default: the alert's dedup key; `''` or null as PagerDuty may send it (not promised by the docs). */
  incidentKey?: string | null;
}

export function incidentEventBody(type: IncidentEventType, alert: FakeAlert, by: string | null, options: IncidentEventOptions = {}): string {
  const agent = by === null ? null : ref('user', 'users', `PU${randomBytes(3).toString('hex').toUpperCase()}`, by);
  const event = {
    id: randomUUID(),
    event_type: type,
    resource_type: 'incident',
    occurred_at: new Date().toISOString(),
    agent,
    client: null,
    data: {
      id: alert.incidentId,
      type: 'incident',
      self: `https://api.pagerduty.com/incidents/${alert.incidentId}`,
      html_url: `https://acme.pagerduty.com/incidents/${alert.incidentId}`,
      number: alert.incidentNumber,
      status: alert.status,
      incident_key: options.incidentKey === undefined ? alert.dedupKey : options.incidentKey,
      created_at: alert.createdAt,
      ...(type === 'incident.reopened' ? { reopened_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
      title: alert.summary,
      // Incident types: every incident has one; `incident_default` is PagerDuty's base type.
      incident_type: { name: 'incident_default' },
      service: ref('service', 'services', 'PF9KMXH', 'Support escalations'),
      assignees: agent ? [agent] : [],
      escalation_policy: ref('escalation_policy', 'escalation_policies', 'PUS0KTE', 'Default'),
      teams: [],
      priority: null,
      urgency: alert.severity === 'critical' || alert.severity === 'error' ? 'high' : 'low',
      conference_bridge: null,
      resolve_reason: null,
    },
  };
  return JSON.stringify({ event });
}

/** The request as the hub's raw-body route would capture it. */
export function signedDelivery(body: string, secret: string, subscriptionId = 'PSUB123'): RawRequest {
  return {
    rawBody: Buffer.from(body),
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'PagerDuty-Webhook/V3.0',
      'x-webhook-subscription': subscriptionId,
      // Stable across retries of one delivery (docs/webhooks/02-Behavior.md): the same body, the same id.
      'x-webhook-id': createHash('sha256').update(body).digest('hex').slice(0, 26),
      'x-pagerduty-signature': pagerDutySignature(body, secret),
    },
    url: '/webhooks/pagerduty',
  };
}
