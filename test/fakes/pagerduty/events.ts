import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The Events API v2 as PagerDuty documents it (developer.pagerduty.com/docs/events-api-v2/
 * trigger-events, …/overview): event validation and alerts kept by (routing key, dedup key).
 * Error wording marked "observed" is what PagerDuty has been seen to answer (quoted in public
 * bug reports); the rest follows the same pattern and is assumed.
 */

export class PagerDutyHttpError extends Error {
  constructor(
    readonly status: number,
    /** A JSON body, or plain text. */
    readonly body: unknown,
  ) {
    super(`${status}`);
  }
}

/** 400 with the documented invalid-event body. */
export const invalidEvent = (...errors: string[]) => new PagerDutyHttpError(400, { status: 'invalid event', message: 'Event object is invalid', errors });

export type AlertStatus = 'triggered' | 'acknowledged' | 'resolved';
export type Severity = 'critical' | 'error' | 'warning' | 'info';

export interface FakeAlert {
  /** The incident the alert opened (alert grouping is off: one alert, one incident). */
  incidentId: string;
  incidentNumber: number;
  routingKey: string;
  dedupKey: string;
  status: AlertStatus;
  summary: string;
  source: string;
  severity: Severity;
  component?: string;
  group?: string;
  class?: string;
  customDetails: unknown;
  links: { href: string; text?: string }[];
  client?: string;
  clientUrl?: string;
  createdAt: string;
  /** Every event applied to it, in order (a deduplicated trigger adds a `trigger` log entry). */
  log: ('trigger' | 'acknowledge' | 'resolve')[];
}

export interface ValidEvent {
  routingKey: string;
  action: 'trigger' | 'acknowledge' | 'resolve';
  dedupKey: string | undefined;
  payload?: { summary: string; source: string; severity: Severity; component?: string; group?: string; class?: string; customDetails: unknown };
  links: { href: string; text?: string }[];
  client?: string;
  clientUrl?: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const blank = (value: unknown) => typeof value !== 'string' || value.trim() === '';
const optionalString = (value: unknown, field: string, errors: string[]): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') errors.push(`'${field}' must be a string`);
  return typeof value === 'string' ? value : undefined;
};

const SEVERITIES: readonly string[] = ['critical', 'error', 'warning', 'info'];
const ACTIONS: readonly string[] = ['trigger', 'acknowledge', 'resolve'];

/** Field checks, in one pass so every problem is listed as PagerDuty lists them. */
export function validateEvent(body: unknown): ValidEvent {
  if (!isObject(body)) throw invalidEvent('Event object must be a JSON object');
  const errors: string[] = [];
  const routingKey = body['routing_key'];
  if (blank(routingKey)) errors.push("'routing_key' is missing or blank");
  else {
    // Observed: both messages for a 20-character REST API key with '+' and '-' in it.
    if ((routingKey as string).length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
    if (!/^[A-Za-z0-9]*$/.test(routingKey as string)) errors.push("'routing_key' cannot contain non-alphanumeric characters.");
  }
  const action = body['event_action'];
  if (blank(action)) errors.push("'event_action' is missing or blank");
  else if (!ACTIONS.includes(action as string)) errors.push("'event_action' is invalid (must be one of trigger, acknowledge, resolve)");
  const dedupKey = optionalString(body['dedup_key'], 'dedup_key', errors);
  if (dedupKey !== undefined && dedupKey.length > 255) errors.push("Length of 'dedup_key' is too long (should be at most 255 characters)");
  if ((action === 'acknowledge' || action === 'resolve') && blank(dedupKey)) errors.push("'dedup_key' is missing or blank");

  let payload: ValidEvent['payload'];
  if (action === 'trigger') {
    const p = body['payload'];
    if (!isObject(p)) errors.push("'payload' is missing or blank");
    else {
      if (blank(p['summary'])) errors.push("'payload.summary' is missing or blank");
      else if ((p['summary'] as string).length > 1024) errors.push("Length of 'payload.summary' is too long (should be at most 1024 characters)");
      if (blank(p['source'])) errors.push("'payload.source' is missing or blank");
      if (blank(p['severity'])) errors.push("'payload.severity' is missing or blank");
      else if (!SEVERITIES.includes(p['severity'] as string)) errors.push("'payload.severity' is invalid (must be one of critical, error, warning, info)");
      const component = optionalString(p['component'], 'payload.component', errors);
      const group = optionalString(p['group'], 'payload.group', errors);
      const eventClass = optionalString(p['class'], 'payload.class', errors);
      if (p['custom_details'] !== undefined && !isObject(p['custom_details'])) errors.push("'payload.custom_details' must be an object");
      payload = {
        summary: p['summary'] as string,
        source: p['source'] as string,
        severity: p['severity'] as Severity,
        ...(component !== undefined ? { component } : {}),
        ...(group !== undefined ? { group } : {}),
        ...(eventClass !== undefined ? { class: eventClass } : {}),
        customDetails: p['custom_details'] ?? null,
      };
    }
  }
  const links = body['links'] ?? [];
  if (!Array.isArray(links) || !links.every((l) => isObject(l) && !blank(l['href']))) errors.push("'links' must be a list of objects with an 'href'");
  const client = optionalString(body['client'], 'client', errors);
  const clientUrl = optionalString(body['client_url'], 'client_url', errors);
  if (errors.length > 0) throw invalidEvent(...errors);
  return {
    routingKey: routingKey as string,
    action: action as ValidEvent['action'],
    dedupKey,
    ...(payload ? { payload } : {}),
    links: links as ValidEvent['links'],
    ...(client !== undefined ? { client } : {}),
    ...(clientUrl !== undefined ? { clientUrl } : {}),
  };
}

/** The account's alerts, by (routing key, dedup key). */
export class PagerDutyAlerts {
  readonly alerts: FakeAlert[] = [];
  private incidents = 0;

  /** The alert later events with this key apply to: the same routing key's unresolved one. */
  open(routingKey: string, dedupKey: string): FakeAlert | undefined {
    return this.alerts.find((a) => a.routingKey === routingKey && a.dedupKey === dedupKey && a.status !== 'resolved');
  }

  /**
   * "Submitting subsequent events for the same dedup_key will result in those events being
   * applied to an open alert matching that dedup_key. Once the alert is resolved, any further
   * events with the same dedup_key will create a new alert (for trigger events) or be dropped
   * (for acknowledge and resolve events)." Dropped events are still answered 202.
   */
  apply(event: ValidEvent): string {
    const dedupKey = event.dedupKey ?? randomUUID().replace(/-/g, '');
    const open = this.open(event.routingKey, dedupKey);
    if (event.action === 'trigger') {
      if (open) open.log.push('trigger');
      else this.alerts.push(this.newAlert(event, dedupKey));
    } else if (open) {
      open.status = event.action === 'acknowledge' ? 'acknowledged' : 'resolved';
      open.log.push(event.action);
    }
    return dedupKey;
  }

  private newAlert(event: ValidEvent, dedupKey: string): FakeAlert {
    const payload = event.payload!;
    return {
      incidentId: `P${randomBytes(4).toString('hex').toUpperCase().slice(0, 6)}`,
      incidentNumber: ++this.incidents,
      routingKey: event.routingKey,
      dedupKey,
      status: 'triggered',
      summary: payload.summary,
      source: payload.source,
      severity: payload.severity,
      ...(payload.component !== undefined ? { component: payload.component } : {}),
      ...(payload.group !== undefined ? { group: payload.group } : {}),
      ...(payload.class !== undefined ? { class: payload.class } : {}),
      customDetails: payload.customDetails,
      links: event.links,
      ...(event.client !== undefined ? { client: event.client } : {}),
      ...(event.clientUrl !== undefined ? { clientUrl: event.clientUrl } : {}),
      createdAt: new Date().toISOString(),
      log: ['trigger'],
    };
  }
}
