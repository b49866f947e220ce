import type { EscalationRequest } from '../../src/capabilities/escalation.js';

/**
 * Escalations as PagerDuty Events API v2 alert events
 * (developer.pagerduty.com/docs/events-api-v2/trigger-events). The dedup key is our escalation
 * id: PagerDuty applies every later event with the same key (and the same routing key) to the
 * open alert, so a resent trigger never pages twice.
 */

export type EventAction = 'trigger' | 'acknowledge' | 'resolve';
export type Severity = 'critical' | 'error' | 'warning' | 'info';

export interface AlertEvent {
  routing_key: string;
  event_action: EventAction;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: Severity;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
  client?: string;
  client_url?: string;
}

/** "The maximum permitted length of this property is 1024 characters." */
export const SUMMARY_MAX = 1024;

/** PagerDuty's severities drive urgency and priority rules: only `urgent` should wake someone as `critical`. */
export const SEVERITY: Record<EscalationRequest['level'], Severity> = {
  urgent: 'critical',
  high: 'error',
  normal: 'warning',
  low: 'warning',
};

export function triggerEvent(request: EscalationRequest, routingKey: string, clientUrl: string | undefined): AlertEvent {
  const links = [
    request.link ? { href: request.link, text: 'Open in Support Hub' } : null,
    request.acknowledgeUrl ? { href: request.acknowledgeUrl, text: 'Acknowledge in Support Hub' } : null,
  ].filter((link): link is { href: string; text: string } => link !== null);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: request.escalationId,
    payload: {
      // The summary becomes the alert's and incident's title; the full text goes in the details.
      summary: truncate(request.title, SUMMARY_MAX),
      source: 'support-hub',
      severity: SEVERITY[request.level],
      // PD-CEF `class` is "the class/type of the event" — the triage category. `component` and
      // `group` describe parts of a monitored system, which a customer report does not name.
      ...(request.category ? { class: request.category } : {}),
      custom_details: {
        summary: request.summary,
        evidence: request.evidence,
        conversations: request.conversations,
        level: request.level,
      },
    },
    ...(links.length > 0 ? { links } : {}),
    client: 'Support Hub',
    ...(clientUrl ? { client_url: clientUrl } : {}),
  };
}

export function followUpEvent(action: 'acknowledge' | 'resolve', routingKey: string, dedupKey: string): AlertEvent {
  return { routing_key: routingKey, event_action: action, dedup_key: dedupKey };
}

/** At most `max` UTF-16 units (how the limit is most strictly read), never splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
