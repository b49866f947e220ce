import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import { PagerDutyAlerts, PagerDutyHttpError, invalidEvent, validateEvent, type FakeAlert } from './events.js';
import { incidentEventBody, signedDelivery, type IncidentEventOptions } from './webhooks.js';

/**
 * A fake PagerDuty account over real HTTP on 127.0.0.1 (random port): `POST /v2/enqueue` of the
 * Events API v2 with its validation, dedup and per-routing-key rate limit, services (routing keys)
 * that can be revoked, responders acting on incidents, and signed V3 webhook deliveries. See
 * README.md in this folder.
 */

export interface FakePagerDutyOptions {
  /** Events per routing key per 60 s, looking back from now ("approximately 120"); null = unlimited. */
  rateLimitPerMinute?: number | null;
  webhookSecret?: string;
}

export interface FakePagerDutyRequest {
  method: string;
  path: string;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  /** Null while unanswered, or when the answer was dropped. */
  status: number | null;
  at: number;
}

export interface FakePagerDuty {
  /** PAGERDUTY_API_BASE for the hub. */
  readonly url: string;
  /** The first service's Events API v2 integration key. */
  readonly routingKey: string;
  readonly webhookSecret: string;
  readonly alerts: FakeAlert[];
  readonly requests: FakePagerDutyRequest[];
  latencyMs: number;
  rateLimitPerMinute: number | null;
  /** Another service's (or person's) integration key. */
  addRoutingKey(): string;
  /** Alerts with this dedup key, on any routing key, oldest first. */
  alertsFor(dedupKey: string): FakeAlert[];
  /** The next request answers `status` (not applied). */
  failNext(status: number): void;
  /** The next request is applied, then the connection is cut without an answer. */
  dropNextResponse(): void;
  /** The integration behind the key is deleted: 400 "Invalid routing key" until restore(). */
  revoke(routingKey?: string): void;
  restore(): void;
  /**
   * A responder acts on the incident of the newest alert with this dedup key in PagerDuty's UI;
   * returns the V3 webhook delivery PagerDuty would send (signed with `webhookSecret`).
   */
  respond(action: 'acknowledged' | 'resolved' | 'reopened', dedupKey: string, by: string, options?: IncidentEventOptions): RawRequest;
  /** The `incident.triggered` delivery PagerDuty sends when the newest alert with this dedup key opened its incident. */
  triggered(dedupKey: string, options?: IncidentEventOptions): RawRequest;
  close(): Promise<void>;
}

/** Routing keys are 32 alphanumeric characters. */
const newRoutingKey = () => randomBytes(16).toString('hex');

export async function startFakePagerDuty(options: FakePagerDutyOptions = {}): Promise<FakePagerDuty> {
  const state = new PagerDutyAlerts();
  const routingKeys = new Set<string>();
  const revoked = new Set<string>();
  const routingKey = newRoutingKey();
  routingKeys.add(routingKey);
  const webhookSecret = options.webhookSecret ?? randomBytes(24).toString('base64url');
  const requests: FakePagerDutyRequest[] = [];
  const failures: number[] = [];
  const acceptedAt = new Map<string, number[]>();
  let dropNext = false;
  const control = { latencyMs: 0, rateLimitPerMinute: options.rateLimitPerMinute === undefined ? 120 : options.rateLimitPerMinute };

  function checkRate(key: string, now: number): void {
    if (control.rateLimitPerMinute === null) return;
    const recent = (acceptedAt.get(key) ?? []).filter((t) => t > now - 60_000);
    // "The response to the API call will say 429 - Request Limit Exceeded and PagerDuty will not ingest the event."
    if (recent.length >= control.rateLimitPerMinute) throw new PagerDutyHttpError(429, '');
    recent.push(now);
    acceptedAt.set(key, recent);
  }

  function enqueue(request: IncomingMessage, raw: Buffer, record: FakePagerDutyRequest): { dedup_key: string } {
    const url = new URL(request.url ?? '/', 'http://fake.pagerduty');
    if (request.method !== 'POST' || url.pathname !== '/v2/enqueue') throw new PagerDutyHttpError(404, { status: 'not found', message: 'Not Found' });
    // "Events API payloads are limited to 512 KB."
    if (raw.length > 512 * 1024) throw invalidEvent('Event payload exceeds the 512 KB limit');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw invalidEvent('Event object is not valid JSON');
    }
    record.body = body;
    const event = validateEvent(body);
    // Observed: a well-formed key that belongs to no integration is answered in plain text.
    if (!routingKeys.has(event.routingKey) || revoked.has(event.routingKey)) throw new PagerDutyHttpError(400, 'Invalid routing key');
    checkRate(event.routingKey, Date.now());
    return { dedup_key: state.apply(event) };
  }

  function answer(response: ServerResponse, record: FakePagerDutyRequest, status: number, body: unknown): void {
    record.status = status;
    if (response.destroyed) return;
    const json = typeof body !== 'string';
    response.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8' });
    response.end(json ? JSON.stringify(body) : body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const record: FakePagerDutyRequest = {
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', 'http://fake.pagerduty').pathname,
      body: undefined,
      status: null,
      at: Date.now(),
    };
    requests.push(record);
    if (control.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, control.latencyMs));
    const injected = failures.shift();
    if (injected !== undefined) {
      // 5XX: the document's `Error` response ({status, message}); 429: no body (none documented).
      const body = injected === 400 ? { status: 'invalid event', message: 'Event object is invalid', errors: ['injected failure'] } : injected === 429 ? '' : { status: 'Internal Server Error', message: 'Internal Server Error' };
      return answer(response, record, injected, body);
    }
    const drop = dropNext;
    dropNext = false;
    let outcome: { status: number; body: unknown };
    try {
      const { dedup_key } = enqueue(request, Buffer.concat(chunks), record);
      outcome = { status: 202, body: { status: 'success', message: 'Event processed', dedup_key } };
    } catch (error) {
      if (!(error instanceof PagerDutyHttpError)) throw error;
      outcome = { status: error.status, body: error.body };
    }
    if (drop) {
      response.socket?.destroy();
      return;
    }
    answer(response, record, outcome.status, outcome.body);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const alertsFor = (dedupKey: string) => state.alerts.filter((a) => a.dedupKey === dedupKey);
  const newest = (dedupKey: string) => {
    const alert = alertsFor(dedupKey).at(-1);
    if (!alert) throw new Error(`fake PagerDuty has no alert with dedup key ${dedupKey}`);
    return alert;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    routingKey,
    webhookSecret,
    alerts: state.alerts,
    requests,
    get latencyMs() {
      return control.latencyMs;
    },
    set latencyMs(ms: number) {
      control.latencyMs = ms;
    },
    get rateLimitPerMinute() {
      return control.rateLimitPerMinute;
    },
    set rateLimitPerMinute(limit: number | null) {
      control.rateLimitPerMinute = limit;
    },
    addRoutingKey() {
      const key = newRoutingKey();
      routingKeys.add(key);
      return key;
    },
    alertsFor,
    failNext(status) {
      failures.push(status);
    },
    dropNextResponse() {
      dropNext = true;
    },
    revoke(key = routingKey) {
      revoked.add(key);
    },
    restore() {
      revoked.clear();
    },
    respond(action, dedupKey, by, options = {}) {
      const alert = newest(dedupKey);
      alert.status = action === 'acknowledged' ? 'acknowledged' : action === 'resolved' ? 'resolved' : 'triggered';
      return signedDelivery(incidentEventBody(`incident.${action}`, alert, by, options), webhookSecret);
    },
    triggered(dedupKey, options = {}) {
      // Triggered by the integration: the agent is the service, not a person.
      return signedDelivery(incidentEventBody('incident.triggered', newest(dedupKey), null, options), webhookSecret);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
