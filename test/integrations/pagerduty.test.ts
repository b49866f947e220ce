import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import { HubError } from '../../src/errors.js';
import type { VendorError } from '../../src/vendors/error.js';
import { createPagerDutyEscalation, pagerduty, pagerdutyConfigSchema } from '../../integrations/pagerduty/index.js';
import type { PagerDutyEscalation } from '../../integrations/pagerduty/escalation.js';
import { describeEscalationContract, escalationRequest } from '../contract/escalation.js';
import { targetContext, vendorFailure } from '../support/escalation-target.js';
import { pagerDutySignature, startPagerDutyEscalationFake, type PagerDutyEscalationFake } from '../fakes/pagerduty/index.js';

describeEscalationContract('PagerDuty', { integration: pagerduty, startFake: () => startPagerDutyEscalationFake() });

describe('PagerDuty escalations', () => {
  let fake: PagerDutyEscalationFake;
  let target: PagerDutyEscalation;
  let clock = Date.now();

  beforeAll(async () => {
    fake = await startPagerDutyEscalationFake({ rateLimitPerMinute: null });
  });
  afterAll(() => fake.close());
  // A fresh target per test: it remembers refusals and per-person keys.
  beforeEach(() => {
    fake.pagerduty.restore();
    fake.pagerduty.rateLimitPerMinute = null;
    clock = Date.now();
    target = createPagerDutyEscalation(pagerdutyConfigSchema.parse(fake.config), targetContext, { now: () => clock });
  });

  const alertOf = (escalationId: string) => fake.pagerduty.alertsFor(escalationId)[0]!;

  it('severity follows the level: only urgent is critical', async () => {
    const levels = ['urgent', 'high', 'normal', 'low'] as const;
    const requests = levels.map((level) => escalationRequest({ level }));
    for (const request of requests) await target.open(request);
    expect(requests.map((r) => alertOf(r.escalationId).severity)).toEqual(['critical', 'error', 'warning', 'warning']);
  });

  it('the alert carries the title as summary, the category as class, the details and links back', async () => {
    const request = escalationRequest({ conversations: 4 });
    await target.open(request);
    const alert = alertOf(request.escalationId);
    expect(alert).toMatchObject({
      dedupKey: request.escalationId,
      routingKey: fake.pagerduty.routingKey,
      summary: request.title,
      source: 'support-hub',
      class: 'outage',
      client: 'Support Hub',
      clientUrl: 'https://hub.example',
      links: [
        { href: request.link, text: 'Open in Support Hub' },
        { href: request.acknowledgeUrl, text: 'Acknowledge in Support Hub' },
      ],
      customDetails: { summary: request.summary, evidence: request.evidence, conversations: 4, level: 'urgent' },
    });
    expect(alert.component).toBeUndefined();
  });

  it('a summary over PagerDuty’s 1,024 characters is shortened, not refused', async () => {
    const request = escalationRequest({ title: `Urgent: ${'🔥'.repeat(700)}` });
    await target.open(request);
    const { summary } = alertOf(request.escalationId);
    expect(summary.length).toBeLessThanOrEqual(1024);
    expect(summary.endsWith('…')).toBe(true);
    expect(summary).not.toMatch(/[\uD800-\uDBFF]…$/);
  });

  it('per-person routing keys: each key is paged once; follow-ups reach every alert', async () => {
    const miaKey = fake.pagerduty.addRoutingKey();
    const request = escalationRequest({
      recipients: [
        { name: 'Ravi Ops', pagerduty: true },
        { name: 'Mia Chen', pagerduty: miaKey },
        { name: 'Mia (backup phone)', pagerduty: miaKey },
        { name: 'Noor Haddad', slack: '@noor' },
      ],
    });
    const receipt = await target.open(request);
    expect(receipt).toEqual({ externalId: request.escalationId, url: null });
    const alerts = () => fake.pagerduty.alertsFor(request.escalationId);
    expect(alerts().map((a) => a.routingKey).sort()).toEqual([fake.pagerduty.routingKey, miaKey].sort());
    await target.update(receipt, { kind: 'acknowledged', by: 'Ravi Ops' });
    expect(alerts().map((a) => a.status)).toEqual(['acknowledged', 'acknowledged']);
    await target.update(receipt, { kind: 'resolved', by: 'Ravi Ops', text: 'fixed' });
    expect(alerts().map((a) => a.status)).toEqual(['resolved', 'resolved']);
  });

  it('nobody on the schedule naming PagerDuty (or no schedule) pages the configured service', async () => {
    const nobody = escalationRequest({ recipients: [] });
    const slackOnly = escalationRequest({ recipients: [{ name: 'Noor', slack: 'U0NOOR123' }] });
    await target.open(nobody);
    await target.open(slackOnly);
    expect(fake.pagerduty.alertsFor(nobody.escalationId).map((a) => a.routingKey)).toEqual([fake.pagerduty.routingKey]);
    expect(fake.pagerduty.alertsFor(slackOnly.escalationId).map((a) => a.routingKey)).toEqual([fake.pagerduty.routingKey]);
  });

  it('a retried open after a lost answer is deduplicated by PagerDuty: one alert, two trigger log entries', async () => {
    const request = escalationRequest();
    fake.pagerduty.dropNextResponse();
    const lost = await vendorFailure(target.open(request));
    expect([lost.kind, lost.outcomeUnknown]).toEqual(['unavailable', true]);
    await target.open({ ...request, retry: true });
    expect(fake.pagerduty.alertsFor(request.escalationId)).toHaveLength(1);
    expect(alertOf(request.escalationId).log).toEqual(['trigger', 'trigger']);
  });

  it('a routing key PagerDuty does not know is "auth" (an operator must act), without showing the key', async () => {
    fake.pagerduty.revoke();
    const error = await vendorFailure(target.open(escalationRequest()));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('Invalid routing key');
    expect(error.message).toContain('PAGERDUTY_ROUTING_KEY');
    expect(error.message).not.toContain(fake.pagerduty.routingKey);
    const check = await target.checkConnection();
    expect(check.ok).toBe(false);
    expect(check.hint).toContain('Events API v2');
  });

  it('one person’s bad key does not stop the others being paged; the check names whose key it is', async () => {
    const deadKey = fake.pagerduty.addRoutingKey();
    fake.pagerduty.revoke(deadKey);
    const request = escalationRequest({
      recipients: [
        { name: 'Ravi Ops', pagerduty: true },
        { name: 'Mia Chen', pagerduty: deadKey },
      ],
    });
    await target.open(request);
    expect(fake.pagerduty.alertsFor(request.escalationId).map((a) => a.routingKey)).toEqual([fake.pagerduty.routingKey]);
    const check = await target.checkConnection();
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('Mia Chen');
    expect(check.detail).not.toContain(deadKey);
    // Reported for 15 minutes, then no longer claimed (a fix in PagerDuty cannot be seen without an event).
    clock += 16 * 60_000;
    expect((await target.checkConnection()).ok).toBe(true);
  });

  it('every key refused: the open fails as "auth"', async () => {
    const deadKey = fake.pagerduty.addRoutingKey();
    fake.pagerduty.revoke(deadKey);
    const error = await vendorFailure(target.open(escalationRequest({ recipients: [{ name: 'Mia Chen', pagerduty: deadKey }] })));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('Mia Chen');
  });

  it('an invalid event (400 for anything but the key) is "rejected"', async () => {
    fake.pagerduty.failNext(400);
    expect((await vendorFailure(target.open(escalationRequest()))).kind).toBe('rejected');
  });

  it('over the ~120 events/min per routing key: "rate_limited" at once, to be retried no sooner than 30 s (PagerDuty’s advice), nothing ingested', async () => {
    fake.pagerduty.rateLimitPerMinute = 1;
    await target.open(escalationRequest());
    const limited = escalationRequest();
    const before = fake.pagerduty.requests.length;
    const error = await vendorFailure(target.open(limited));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(30_000);
    // Not resent a second later inside the call: that would count against the limit again.
    expect(fake.pagerduty.requests.slice(before).map((r) => r.status)).toEqual([429]);
    expect(fake.pagerduty.alertsFor(limited.escalationId)).toHaveLength(0);
  });

  it('a 5xx or a lost answer is "unavailable" with the same 30 s spacing (Events API: "retry after some time")', async () => {
    fake.pagerduty.failNext(503);
    const failed = await vendorFailure(target.open(escalationRequest()));
    expect([failed.kind, failed.retryAfterMs]).toEqual(['unavailable', 30_000]);
    fake.pagerduty.dropNextResponse();
    const lost = await vendorFailure(target.open(escalationRequest()));
    expect([lost.kind, lost.outcomeUnknown, lost.retryAfterMs]).toEqual(['unavailable', true, 30_000]);
  });

  it('a comment sends nothing: the Events API has no notes', async () => {
    const receipt = await target.open(escalationRequest());
    const before = fake.pagerduty.requests.length;
    await target.update(receipt, { kind: 'comment', text: 'still looking' });
    expect(fake.pagerduty.requests.length).toBe(before);
  });

  it('checkConnection sends nothing (any event could page someone)', async () => {
    const before = fake.pagerduty.requests.length;
    expect(await target.checkConnection()).toEqual({ ok: true, detail: 'configured (the PagerDuty Events API cannot be checked without sending an event)' });
    expect(fake.pagerduty.requests.length).toBe(before);
  });

  it('the fake follows the docs: a trigger after resolve opens a new alert; acknowledge on a resolved one is dropped', async () => {
    const request = escalationRequest();
    const receipt = await target.open(request);
    await target.update(receipt, { kind: 'resolved', by: null, text: '' });
    await target.update(receipt, { kind: 'acknowledged', by: null });
    expect(fake.pagerduty.alertsFor(request.escalationId).map((a) => a.status)).toEqual(['resolved']);
    await target.open({ ...request, retry: true });
    expect(fake.pagerduty.alertsFor(request.escalationId).map((a) => a.status)).toEqual(['resolved', 'triggered']);
  });

  it('the fake validates events as PagerDuty does', async () => {
    const send = async (body: unknown) => {
      const response = await fetch(`${fake.pagerduty.url}/v2/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: await response.text() };
    };
    const shortKey = await send({ routing_key: 'e+23rschqsESqk9Q6_-g', event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } });
    expect(shortKey.status).toBe(400);
    expect(JSON.parse(shortKey.body)).toEqual({
      status: 'invalid event',
      message: 'Event object is invalid',
      errors: ["Length of 'routing_key' is incorrect (should be 32 characters)", "'routing_key' cannot contain non-alphanumeric characters."],
    });
    const noSeverity = await send({ routing_key: fake.pagerduty.routingKey, event_action: 'trigger', payload: { summary: 's', source: 'x' } });
    expect(JSON.parse(noSeverity.body).errors).toEqual(["'payload.severity' is missing or blank"]);
    const unknownKey = await send({ routing_key: 'a'.repeat(32), event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } });
    expect(unknownKey).toEqual({ status: 400, body: 'Invalid routing key' });
    const accepted = await send({ routing_key: fake.pagerduty.routingKey, event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } });
    expect(accepted.status).toBe(202);
    expect(JSON.parse(accepted.body)).toMatchObject({ status: 'success', message: 'Event processed', dedup_key: expect.any(String) });
  });
});

describe('PagerDuty V3 webhooks', () => {
  let fake: PagerDutyEscalationFake;
  let target: PagerDutyEscalation;

  beforeAll(async () => {
    fake = await startPagerDutyEscalationFake({ rateLimitPerMinute: null });
    target = createPagerDutyEscalation(pagerdutyConfigSchema.parse(fake.config), targetContext);
  });
  afterAll(() => fake.close());

  const delivery = (event: Record<string, unknown>, secret = fake.pagerduty.webhookSecret): RawRequest => {
    const body = JSON.stringify({ event });
    return { rawBody: Buffer.from(body), headers: { 'x-pagerduty-signature': pagerDutySignature(body, secret) }, url: '/webhooks/pagerduty' };
  };

  it('during a secret rotation any one matching v1 signature is enough', async () => {
    const receipt = await target.open(escalationRequest());
    const signed = fake.pagerduty.respond('acknowledged', receipt.externalId, 'Ravi Ops');
    const rotated = { ...signed, headers: { ...signed.headers, 'x-pagerduty-signature': pagerDutySignature(signed.rawBody, 'the-old-secret', fake.pagerduty.webhookSecret) } };
    expect(target.verifyWebhook(rotated)).toEqual({ ok: true });
    const wrong = { ...signed, headers: { ...signed.headers, 'x-pagerduty-signature': pagerDutySignature(signed.rawBody, 'the-old-secret') } };
    expect(target.verifyWebhook(wrong)).toEqual({ ok: false, reason: 'invalid X-PagerDuty-Signature' });
  });

  it('without PAGERDUTY_WEBHOOK_SECRET every delivery is refused, saying why', async () => {
    const unconfigured = createPagerDutyEscalation(pagerdutyConfigSchema.parse({ ...fake.config, webhookSecret: undefined }), targetContext);
    const result = unconfigured.verifyWebhook(delivery({ id: 'e1', event_type: 'pagey.ping' }));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('PAGERDUTY_WEBHOOK_SECRET') });
  });

  it('an incident is named by its incident_key, else its id; a delivery with both reports the link; pings and other events act on nothing', () => {
    const incident = (type: string, data: Record<string, unknown>) =>
      target.parseWebhook(delivery({ id: `evt-${type}`, event_type: type, agent: { type: 'user_reference', summary: 'Mia Chen' }, data }));
    const link = { externalId: 'esc-1', vendorId: 'PGR0VU2', url: 'https://acme.pagerduty.com/incidents/PGR0VU2' };
    expect(incident('incident.reopened', { id: 'PGR0VU2', type: 'incident', incident_key: 'esc-1', html_url: link.url })).toEqual({
      deliveryId: 'evt-incident.reopened',
      events: [{ kind: 'escalation.reopened', externalId: 'esc-1', by: 'Mia Chen' }],
      links: [link],
    });
    expect(incident('pagey.ping', {})).toEqual({ deliveryId: 'evt-pagey.ping', events: [], links: [] });
    // Events the engine does not act on still link the incident (incident.triggered comes first).
    expect(incident('incident.priority_updated', { id: 'PGR0VU2', type: 'incident', incident_key: 'esc-1', html_url: link.url })).toMatchObject({ events: [], links: [link] });
    // The docs do not promise incident_key: without it the incident is still named, with nothing to link.
    expect(incident('incident.resolved', { id: 'PGR0VU2', incident_key: null })).toMatchObject({ events: [{ kind: 'escalation.resolved', externalId: 'PGR0VU2' }], links: [] });
    expect(incident('incident.acknowledged', { id: 'PGR0VU2', incident_key: '' })).toMatchObject({ events: [{ kind: 'escalation.acknowledged', externalId: 'PGR0VU2' }], links: [] });
    // Another data type's id is not an incident's: a note's id is never linked.
    expect(incident('incident.annotated', { id: 'P2LA89X', type: 'incident_note', incident: { id: 'PGR0VU2' } })).toMatchObject({ events: [], links: [] });
    // A page that is not https is not kept as the target's link.
    expect(incident('incident.triggered', { id: 'PGR0VU2', type: 'incident', incident_key: 'esc-1', html_url: 'javascript:alert(1)' }).links).toEqual([{ ...link, url: null }]);
  });

  it('a resolve by a service or integration (our own event, an auto-resolve) names nobody', () => {
    const parsed = target.parseWebhook(
      delivery({ id: 'e2', event_type: 'incident.resolved', agent: { type: 'service_reference', summary: 'Support escalations' }, data: { incident_key: 'esc-2' } }),
    );
    expect(parsed.events).toEqual([{ kind: 'escalation.resolved', externalId: 'esc-2', by: null }]);
  });

  it('a malformed body is a 400 HubError', () => {
    const malformed = (body: string) => () => target.parseWebhook({ rawBody: Buffer.from(body), headers: {}, url: '/webhooks/pagerduty' });
    expect(malformed('{"event":')).toThrow(HubError);
    expect(malformed('{"messages":[]}')).toThrow('PagerDuty webhook body is not a V3 event: event:');
    expect(malformed('{"event":{"event_type":"incident.resolved"}}')).toThrow('PagerDuty webhook body is not a V3 event: event.id:');
  });
});

describe('PagerDuty config', () => {
  it('the routing key is a 32-character Events API v2 integration key, not a REST API key', () => {
    expect(pagerdutyConfigSchema.safeParse({ routingKey: 'R0123456789abcdef0123456789ABCDE' }).success).toBe(true);
    expect(pagerdutyConfigSchema.safeParse({ routingKey: 'e+23rschqsESqk9Q6_-g' }).success).toBe(false);
  });

  it('defaults the API base to events.pagerduty.com and declares its environment shorthands', () => {
    expect(pagerdutyConfigSchema.parse({}).apiBase).toBe('https://events.pagerduty.com');
    expect(pagerduty.env.map((e) => [e.env, e.key])).toEqual([
      ['PAGERDUTY_ROUTING_KEY', 'routingKey'],
      ['PAGERDUTY_API_BASE', 'apiBase'],
      ['PAGERDUTY_WEBHOOK_SECRET', 'webhookSecret'],
    ]);
    expect(pagerduty.capabilities.escalation?.requires).toEqual(['routingKey']);
  });
});
