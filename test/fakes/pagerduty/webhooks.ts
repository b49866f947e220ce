import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import type { FakeAlert } from './events.js';

/**
 * V3 webhook deliveries (developer.pagerduty.com/docs/webhooks/v3-overview): one `event`
 * envelope per request, `event.data` an incident whose `incident_key` is the dedup key of the
 * alert that opened it, signed `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(secret, body)>`
 * (…/docs/verifying-signatures). The example incident's fields are copied; ids are made up.
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

export function incidentEventBody(type: IncidentEventType, alert: FakeAlert, by: string | null): string {
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
      incident_key: alert.dedupKey,
      created_at: alert.createdAt,
      title: alert.summary,
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
      'x-pagerduty-signature': pagerDutySignature(body, secret),
    },
    url: '/webhooks/pagerduty',
  };
}
