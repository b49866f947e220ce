import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import { isVendorError } from '../../src/vendors/error.js';
import { createPagerDutyEscalation, pagerdutyConfigSchema } from '../../integrations/pagerduty/index.js';
import { parsePagerDutyWebhook } from '../../integrations/pagerduty/webhook.js';
import { escalationRequest } from '../contract/escalation.js';
import { startFakePagerDuty, type FakePagerDuty } from '../fakes/pagerduty/index.js';
import { targetContext } from '../support/escalation-target.js';
import { compareShapes, mergeShapes, shapeOf, type Shape } from './json-shape.js';
import { OpenApi3Document, type Finding } from './openapi3.js';
import { recordingFetch } from './recording-fetch.js';
import { checkTraffic, formatFinding } from './traffic.js';

/**
 * PagerDuty's own documents (provenance: shared/data/vendor/official/README.md, "pagerduty/"),
 * read in place: the Events API v2 OpenAPI 3.0.2 (`events-v2-openapiv3.json`) and the V3 webhook
 * examples of its docs (`webhooks-v3-examples/`).
 *
 * 1. The real adapter (`integrations/pagerduty/`) runs against the fake through a recording
 *    fetch: trigger (configured and personal routing keys), acknowledge, resolve, and the answers
 *    it maps (400 invalid event, 429, 5xx, a lost answer, an unknown routing key). Every exchange
 *    against the document: path (relative to the document's server, `…/v2`), request body
 *    request-strict, response as documented.
 * 2. Every V3 delivery the fake makes has the shape of the docs' incident delivery, and every
 *    official example goes through our webhook parser (accepted, read as documented).
 */
const OFFICIAL = fileURLToPath(new URL('../../../shared/data/vendor/official/pagerduty/', import.meta.url));
const EVENTS_OAS = `${OFFICIAL}events-v2-openapiv3.json`;
const EXAMPLES = `${OFFICIAL}webhooks-v3-examples/`;
const official = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`${EXAMPLES}${name}`, 'utf8')) as Record<string, unknown>;

/**
 * The 400 response names `#/components/responses/ArgumentError` in its *description* (a broken
 * reference; the document defines no such response), so the document describes no 400 body.
 * The Events API docs show the invalid-event body `{status, message, errors}`, which is the
 * document's own `Error` response: JSON 400 bodies are checked against that schema instead.
 */
const ERROR_RESPONSE = 'Error';

/**
 * For the parser: the event type each `event-data.<type>.json` arrives with, from the docs'
 * "Event Types" list. Data types that list does not name an event type for are delivered as
 * `incident.acknowledged`, the type the hub acts on: the hardest case, showing that data of any
 * other type never names or links an incident.
 */
const EVENT_TYPE_OF: Record<string, string> = {
  incident: 'incident.acknowledged',
  incident_note: 'incident.annotated',
  incident_responder: 'incident.responder.added',
  incident_status_update: 'incident.status_update_published',
  service: 'service.updated',
};
const eventTypeOf = (dataType: string) => EVENT_TYPE_OF[dataType] ?? 'incident.acknowledged';

/** The webhook event types the hub subscribes to (integrations/pagerduty/README.md). */
const SUBSCRIBED = ['incident.triggered', 'incident.acknowledged', 'incident.resolved', 'incident.reopened'];

const findings: string[] = [];
const notes: string[] = [];
let artefacts = 0;
let validated = 0;

describe('PagerDuty conformance: adapter and fake against the Events API v2 OpenAPI and the V3 webhook examples', () => {
  let fake: FakePagerDuty;
  const recorder = recordingFetch();

  beforeAll(async () => {
    fake = await startFakePagerDuty({ rateLimitPerMinute: null });
  });
  afterAll(() => fake?.close());

  it('every event the adapter sends, and every answer the fake gives, is what the Events API v2 document describes', async () => {
    const target = createPagerDutyEscalation(pagerdutyConfigSchema.parse({ routingKey: fake.routingKey, apiBase: fake.url, webhookSecret: fake.webhookSecret }), targetContext, { fetch: recorder.fetch });
    const fails = async (work: Promise<unknown>) => expect(await work.then(() => null, (e: unknown) => (isVendorError(e) ? e.kind : e))).toMatch(/^(unavailable|rate_limited|rejected|auth)$/);
    const personal = fake.addRoutingKey();
    const request = escalationRequest({ recipients: [{ name: 'Ravi Ops', pagerduty: true }, { name: 'Mia Chen', pagerduty: personal }] });
    const receipt = await target.open(request);
    await target.update(receipt, { kind: 'acknowledged', by: 'Ravi Ops' });
    await target.update(receipt, { kind: 'resolved', by: 'Ravi Ops', text: 'Fixed.' });
    await target.open(escalationRequest({ category: null, link: null, acknowledgeUrl: null, level: 'low' }));
    for (const status of [400, 429, 500, 503]) {
      fake.failNext(status);
      await fails(target.open(escalationRequest()));
    }
    fake.dropNextResponse();
    await fails(target.open(escalationRequest()));
    fake.revoke();
    await fails(target.open(escalationRequest()));
    fake.restore();

    const doc = OpenApi3Document.load(EVENTS_OAS);
    // Paths are relative to the server URL (OAS 3.0 §4.7.9): https://events.pagerduty.com/v2.
    const serverPath = new URL((JSON.parse(readFileSync(EVENTS_OAS, 'utf8')) as { servers: { url: string }[] }).servers[0]!.url).pathname;
    expect(serverPath).toBe('/v2');
    const exchanges = recorder.exchanges.map((e) => ({ ...e, path: e.path.startsWith(`${serverPath}/`) ? e.path.slice(serverPath.length) : e.path }));
    const tally = checkTraffic(doc, exchanges);
    // Counting rule (traffic.ts): artefacts = the document + each documented operation used;
    // validated = per exchange its path, its JSON request body, its documented response.
    artefacts += 1 + tally.operations.size;
    validated += tally.validated;
    const traffic = [...tally.findings.values()];
    const undocumented400 = traffic.filter(({ finding }) => finding.kind === 'response-body-undocumented' && finding.where === 'response 400');
    findings.push(...traffic.filter((f) => !undocumented400.includes(f)).map(formatFinding));
    if (undocumented400.length === 0) findings.push('stale: no 400 body came up to check against the document’s Error response');
    // The 400 bodies, against the document's `Error` response (re-homed as a named schema of the same document).
    const document = JSON.parse(readFileSync(EVENTS_OAS, 'utf8')) as { components: { schemas: Record<string, unknown>; responses: Record<string, { content: Record<string, { schema: unknown }> }> } };
    document.components.schemas[ERROR_RESPONSE] = document.components.responses[ERROR_RESPONSE]!.content['application/json']!.schema;
    const withError = OpenApi3Document.fromObject(`${EVENTS_OAS} (responses/Error as a schema)`, document);
    for (const exchange of exchanges) {
      if (exchange.response?.status !== 400) continue;
      if (exchange.response.json === undefined) {
        // Observed, not documented (test/fakes/pagerduty/README.md): a well-formed key that belongs to no integration.
        notes.push(`400 ${exchange.response.contentType ?? ''} "${exchange.response.text ?? ''}": the document describes no 400 body`);
        continue;
      }
      validated++;
      findings.push(...withError.validateComponent(ERROR_RESPONSE, exchange.response.json, 'POST /enqueue 400 → responses/Error').map((finding: Finding) => formatFinding({ finding, times: 1 })));
    }
    if (tally.undocumented.size > 0) notes.push(`statuses the document does not describe: ${[...tally.undocumented].join('; ')}`);
    if (doc.ignored.length > 0) notes.push(`not validated: ${doc.ignored.join(', ')}`);
    expect(recorder.exchanges.map((e) => e.response?.status ?? null)).toEqual([202, 202, 202, 202, 202, 202, 202, 400, 429, 500, 503, null, 400]);
    expect(findings).toEqual([]);
  });

  it('every V3 delivery the fake makes has the shape of the docs’ incident delivery', () => {
    const alert = escalationRequest();
    fake.alerts.length = 0;
    const deliveries: RawRequest[] = [];
    return (async () => {
      const target = createPagerDutyEscalation(pagerdutyConfigSchema.parse({ routingKey: fake.routingKey, apiBase: fake.url }), targetContext);
      await target.open(alert);
      deliveries.push(fake.triggered(alert.escalationId), fake.respond('acknowledged', alert.escalationId, 'Ravi Ops'), fake.respond('resolved', alert.escalationId, 'Ravi Ops', { incidentKey: '' }), fake.respond('reopened', alert.escalationId, 'Mia Chen', { incidentKey: null }));
      // The docs show one whole delivery (priority_updated) and the incident data type on its own (with incident_type, reopened_at).
      const officialShape = mergeShapes(shapeOf(official('payload.incident.priority_updated.json')), shapeOf({ event: { data: official('event-data.incident.json') } }));
      artefacts += 2;
      let candidate: Shape | null = null;
      for (const delivery of deliveries) {
        const body = JSON.parse(delivery.rawBody.toString('utf8')) as unknown;
        candidate = candidate ? mergeShapes(candidate, shapeOf(body)) : shapeOf(body);
      }
      validated++;
      const { findings: shape } = compareShapes(officialShape, candidate!, { reportMissing: true });
      findings.push(...shape.map((f) => `fake V3 deliveries vs the docs' incident delivery: ${f.kind} at ${f.where}: expected ${f.expected}, got ${f.actual}`));
      // The headers the docs name: the signature, and X-Webhook-Subscription.
      for (const delivery of deliveries) {
        validated++;
        for (const header of ['x-pagerduty-signature', 'x-webhook-subscription', 'content-type']) if (!delivery.headers[header]) findings.push(`fake V3 delivery lacks ${header}`);
        if (!/^v1=[0-9a-f]{64}(,v1=[0-9a-f]{64})*$/.test(String(delivery.headers['x-pagerduty-signature']))) findings.push('fake signature is not v1=<lowercase hex HMAC-SHA256>');
      }
      expect(findings).toEqual([]);
    })();
  });

  it('every official webhook example goes through our parser: accepted, and read as the docs mean', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
    for (const file of files) {
      artefacts++;
      validated++;
      const example = official(file);
      if (file === 'webhook-subscription.create-request.json') {
        // The event types the hub subscribes to are ones the docs' subscription lists.
        const events = (example['webhook_subscription'] as { events: string[] }).events;
        for (const type of SUBSCRIBED) if (!events.includes(type)) findings.push(`${file}: the docs list no event type ${type}`);
        continue;
      }
      const body = file.startsWith('payload.')
        ? example
        : (() => {
            const type = file.replace(/^event-data\.|\.json$/g, '');
            return { event: { id: `evt-${type}`, event_type: eventTypeOf(type), resource_type: type.split('_')[0], occurred_at: '2020-10-02T18:45:22.169Z', agent: null, client: null, data: example } };
          })();
      let parsed: ReturnType<typeof parsePagerDutyWebhook>;
      try {
        parsed = parsePagerDutyWebhook({ rawBody: Buffer.from(JSON.stringify(body)), headers: {}, url: '/webhooks/pagerduty' });
      } catch (error) {
        findings.push(`${file}: refused: ${(error as Error).message}`);
        continue;
      }
      // Only incident data (`data.type` incident) names an incident; every other type names nothing and links nothing.
      const data = (body as { event: { data: Record<string, unknown> } }).event.data;
      const isIncident = data['type'] === 'incident';
      const eventType = (body as { event: { event_type: string } }).event.event_type;
      const acts = isIncident && SUBSCRIBED.slice(1).includes(eventType);
      const expected = {
        events: acts ? [{ kind: `escalation.${eventType.split('.')[1]}`, externalId: data['incident_key'], by: null }] : [],
        links: isIncident ? [{ externalId: data['incident_key'], vendorId: data['id'], url: data['html_url'] }] : [],
      };
      if (JSON.stringify({ events: parsed.events, links: parsed.links }) !== JSON.stringify(expected)) {
        findings.push(`${file}: read as ${JSON.stringify({ events: parsed.events, links: parsed.links })}, expected ${JSON.stringify(expected)}`);
      }
    }
    expect(findings).toEqual([]);
  });

  it('summary: one line, no mismatches', () => {
    // Counting rule: artefacts = the Events API document (1) + each documented operation the
    // traffic used + the two official examples the fake's deliveries are compared with + each
    // official example file run through the parser (the subscription example: its event list).
    // validated = per exchange its path, JSON request body and documented response (traffic.ts)
    // + each JSON 400 body against the document's Error response + the fake's deliveries' shape
    // comparison (1) + each delivery's headers + each example file. mismatches = every finding.
    process.stdout.write(`conformance vendor=pagerduty artefacts=${artefacts} validated=${validated} mismatches=${findings.length}\n`);
    if (notes.length > 0) process.stderr.write(`pagerduty conformance notes: ${notes.join('; ')}\n`);
    expect(findings).toEqual([]);
  });
});
