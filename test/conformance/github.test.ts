import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import { isVendorError } from '../../src/vendors/error.js';
import { createGitHubEscalation, github, githubConfigSchema } from '../../integrations/github/index.js';
import type { GitHubEscalation } from '../../integrations/github/escalation.js';
import { HUB_LABEL } from '../../integrations/github/issue-body.js';
import { escalationRequest } from '../contract/escalation.js';
import { startFakeGitHub, type FakeGitHub, type GitHubJson } from '../fakes/github/index.js';
import { signature } from '../fakes/github/webhooks.js';
import { RecordingChannel, startTestHub, type TestHub } from '../support/hub.js';
import { OpenApi3Document, type Finding } from './openapi3.js';
import { recordingFetch, type RecordedExchange } from './recording-fetch.js';
import { checkTraffic, formatFinding } from './traffic.js';

/**
 * GitHub's own REST description, api.github.com OpenAPI 3.0.3 from `@octokit/openapi` (its
 * `generated/api.github.com.json`, which also holds every webhook payload schema under
 * `x-webhooks` / `components.schemas.webhook-*`), and the payload examples of
 * `@octokit/webhooks-examples` (MIT, both; versions pinned in package.json). Read from
 * node_modules, never copied.
 *
 * 1. The real adapter (`integrations/github/`) runs against the fake through a recording fetch —
 *    connection check, open, open retried after a lost answer (the lookup, across two pages),
 *    acknowledge, resolve, and the failures it maps (404, 401, 403, 422, 429, 503, a spent
 *    primary budget) — plus the two reads the fake serves that the adapter does not make. Every
 *    exchange: path and method exist, query declared, request body request-strict, response as
 *    documented.
 * 2. Every webhook delivery the fake makes (issues opened/labeled/assigned/closed/reopened,
 *    issue_comment created, ping) is its documented payload schema, with documented headers.
 * 3. Every `issues`, `issue_comment` and `ping` example goes through the hub's own webhook route,
 *    signed: answered 2xx, never 5xx; as our issue (with the hub's label) each maps to the event
 *    its action means.
 */
const require = createRequire(import.meta.url);
const REST_OAS = require.resolve('@octokit/openapi/generated/api.github.com.json');
const EXAMPLES = require('@octokit/webhooks-examples') as WebhookDefinition[];

/** The webhook events the hub's handler reads (integrations/github/webhook.ts), and ping (sent when a webhook is created). */
const RELEVANT_EVENTS = ['issues', 'issue_comment', 'ping'] as const;

/**
 * Where GitHub documents, outside this document, what the fake does: each must match a finding
 * (a stale entry fails) and says what is checked instead.
 */
const DOCUMENTED_ELSEWHERE = {
  /**
   * docs.github.com "Using pagination in the REST API": follow the `Link` header's URLs as given.
   * GitHub's own links name the repository by id (`/repositories/{id}/issues?page=2`), a form the
   * document does not list; such an exchange is checked as the operation it continues.
   */
  repositoryIdLinks: { from: /^\/repositories\/\d+(?=\/)/, why: 'Link rel="next" URLs in the /repositories/{id} form (pagination docs)' },
  /**
   * docs.github.com "Webhook events and payloads › Delivery headers": `X-Hub-Signature`, the
   * legacy HMAC-SHA1, is sent beside `X-Hub-Signature-256` when a secret is set; the document's
   * webhook parameters list only the SHA-256 one.
   */
  headers: { 'x-hub-signature': 'the legacy SHA-1 signature (Delivery headers docs); the hub never reads it' } as Record<string, string>,
  /**
   * Error bodies carry `status` (the HTTP status as a string, sent by GitHub since 2024; see
   * docs.github.com "Troubleshooting the REST API"). The document's own `basic-error` declares
   * it; the 422 (`validation-error`) and 503 (`service_unavailable`) schemas do not. The finding
   * is replaced by checking `status` against `basic-error`.
   */
  errorStatus: { covers: /^response (422|503)#\/status$/, schema: 'basic-error' },
  /**
   * `user_view_type` on a user: GitHub sends it on every user object, and the document declares it
   * on `simple-user` and on most webhook user objects, but not on a few inline ones (the issue's
   * user in `issue_comment`, assignees in `issues.reopened`). Such a user is checked whole
   * against `simple-user` instead.
   */
  userViewType: { covers: /#(\/[^#]+)\/user_view_type$/, schema: 'simple-user' },
};

/** RFC 6901 pointer into a parsed JSON value. */
function at(value: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
}

/** HTTP-level headers every POST carries; not webhook parameters. */
const TRANSPORT_HEADERS = new Set(['accept', 'content-type', 'content-length']);

// ---- the ledger behind the summary line ---------------------------------------------------------

const findings: Finding[] = [];
const notes: string[] = [];
let artefacts = 0;
let validated = 0;
const show = (f: Finding) => formatFinding({ finding: f, times: 1 });

let doc: OpenApi3Document;
beforeAll(() => {
  doc = OpenApi3Document.load(REST_OAS);
  artefacts++; // the document
});

describe('GitHub conformance: adapter, fake and hub against api.github.com OpenAPI and GitHub’s webhook examples', () => {
  let fake: FakeGitHub;
  let target: GitHubEscalation;
  const recorder = recordingFetch();

  beforeAll(async () => {
    fake = await startFakeGitHub({ secondaryLimit: null });
    target = createGitHubEscalation(githubConfigSchema.parse({ token: fake.token, repo: fake.repo, webhookSecret: fake.webhookSecret, apiBase: fake.url }), {
      log: pino({ level: 'silent' }),
      fetch: recorder.fetch,
      maxInlineWaitMs: 0,
    });
  });
  afterAll(() => fake?.close());

  const fails = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isVendorError(error), `expected a VendorError, got ${String(error)}`).toBe(true);
  };

  it('every call the adapter makes, and every answer the fake gives, is what GitHub documents', async () => {
    expect((await target.checkConnection()).ok).toBe(true);
    const first = escalationRequest();
    const receipt = await target.open(first);
    // A create whose answer is lost; the retry looks it up (list, next page through Link) before creating.
    for (let i = 0; i < 100; i++) await target.open(escalationRequest({ title: `filler ${i}` }));
    const lost = escalationRequest();
    fake.dropNextResponse();
    await fails(target.open(lost));
    expect((await target.open({ ...lost, retry: true })).externalId).toBe(String(fake.issueByMarker(lost.escalationId)!['number']));
    expect((await target.open({ ...first, retry: true })).externalId).toBe(receipt.externalId);
    await target.update(receipt, { kind: 'acknowledged', by: 'Ravi Ops' });
    await target.update(receipt, { kind: 'resolved', by: 'Ravi Ops', text: 'Fixed.' });
    // Failures the adapter maps: gone issue (then the repository check), revoked token, no write
    // access, validation, secondary limit, outage, spent primary budget.
    await fails(target.update({ externalId: '99999', url: null }, { kind: 'comment', text: 'hello' }));
    fake.revokeToken();
    await fails(target.open(escalationRequest()));
    fake.restoreToken();
    for (const status of [403, 422, 429, 503]) {
      fake.failNext(status);
      await fails(target.open(escalationRequest()));
    }
    // A spent primary budget, on a token of its own (the budget is per user and stays spent).
    const spentToken = fake.addToken({ login: 'spent-bot', permission: 'write' });
    const spent = createGitHubEscalation(githubConfigSchema.parse({ token: spentToken, repo: fake.repo, apiBase: fake.url }), { log: pino({ level: 'silent' }), fetch: recorder.fetch, maxInlineWaitMs: 0 });
    fake.exhaustRateLimit('spent-bot');
    await fails(spent.open(escalationRequest()));

    // Reads the fake serves that the adapter does not make.
    const other = await startFakeGitHub({ secondaryLimit: null, token: { login: 'support-hub-bot', token: fake.token } });
    try {
      const reader = createGitHubEscalation(githubConfigSchema.parse({ token: fake.token, repo: other.repo, apiBase: other.url }), { log: pino({ level: 'silent' }), fetch: recorder.fetch });
      const made = await reader.open(escalationRequest());
      await reader.update(made, { kind: 'comment', text: 'a comment to list' });
      const read = (path: string) => recorder.fetch(new URL(path, other.url), { headers: { authorization: `Bearer ${fake.token}`, accept: 'application/vnd.github+json' } });
      expect((await read(`/repos/${other.repo}/issues/${made.externalId}`)).status).toBe(200);
      expect((await read(`/repos/${other.repo}/issues/${made.externalId}/comments?per_page=10`)).status).toBe(200);
    } finally {
      await other.close();
    }

    // Link rel="next" URLs in GitHub's /repositories/{id} form are checked as the operation they continue.
    let aliased = 0;
    const exchanges: RecordedExchange[] = recorder.exchanges.map((exchange) => {
      if (!DOCUMENTED_ELSEWHERE.repositoryIdLinks.from.test(exchange.path)) return exchange;
      aliased++;
      return { ...exchange, path: exchange.path.replace(DOCUMENTED_ELSEWHERE.repositoryIdLinks.from, `/repos/${fake.repo}`) };
    });
    if (aliased === 0) findings.push({ kind: 'unknown-path', operation: 'GET /repositories/{id}/issues', where: 'path', message: `stale DOCUMENTED_ELSEWHERE entry: ${DOCUMENTED_ELSEWHERE.repositoryIdLinks.why} never came up` });
    const tally = checkTraffic(doc, exchanges);
    // Counting rule (traffic.ts): each documented operation used is an artefact; per exchange its
    // path, its query set, its JSON request body and its documented response are validations.
    artefacts += tally.operations.size;
    validated += tally.validated;
    const { errorStatus } = DOCUMENTED_ELSEWHERE;
    const traffic = [...tally.findings.values()].map(({ finding }) => finding);
    const covered = traffic.filter((f) => f.kind === 'undeclared-response-property' && errorStatus.covers.test(f.where));
    findings.push(...traffic.filter((f) => !covered.includes(f)));
    if (covered.length === 0) findings.push({ kind: 'response-schema', operation: 'error bodies', where: errorStatus.schema, message: 'stale DOCUMENTED_ELSEWHERE entry: no error body carried an undeclared status' });
    for (const exchange of exchanges) {
      const body = exchange.response?.json;
      if (!exchange.response || !/^(422|503)$/.test(String(exchange.response.status)) || !body || typeof body !== 'object' || !('status' in body)) continue;
      validated++;
      findings.push(...doc.validateComponent(errorStatus.schema, { status: body.status }, `${exchange.method} ${exchange.path} ${exchange.response.status} → ${errorStatus.schema}`));
    }
    if (tally.undocumented.size > 0) notes.push(`statuses the document does not describe: ${[...tally.undocumented].join('; ')}`);
    if (doc.ignored.length > 0) notes.push(`not validated: ${doc.ignored.join(', ')}`);
    expect(tally.operations.size).toBeGreaterThanOrEqual(8);
    expect(findings.map(show)).toEqual([]);
  });

  it('every webhook delivery the fake makes is its documented payload, with documented headers', async () => {
    const made = await target.open(escalationRequest());
    const number = Number(made.externalId);
    fake.assign(number, 'octocat');
    await target.update(made, { kind: 'comment', text: 'looking' });
    fake.closeIssue(number, 'octocat');
    fake.reopenIssue(number, 'octocat');
    fake.ping();
    const seen = new Set<string>();
    const headerAllowancesUsed = new Set<string>();
    let usersCheckedElsewhere = 0;
    for (const delivery of fake.deliveries) {
      const event = String(delivery.headers['x-github-event']);
      const payload = JSON.parse(delivery.rawBody.toString('utf8')) as GitHubJson;
      const name = `${event}${typeof payload['action'] === 'string' ? `-${payload['action']}` : ''}`.replace(/_/g, '-');
      const label = `webhook ${name}`;
      if (!seen.has(name)) {
        seen.add(name);
        artefacts++; // each documented webhook payload schema used
      }
      validated++;
      for (const finding of doc.validateComponent(`webhook-${name}`, payload, label)) {
        const user = finding.kind === 'undeclared-response-property' ? DOCUMENTED_ELSEWHERE.userViewType.covers.exec(finding.where)?.[1] : undefined;
        if (user === undefined) {
          findings.push(finding);
          continue;
        }
        usersCheckedElsewhere++;
        validated++;
        findings.push(...doc.validateComponent(DOCUMENTED_ELSEWHERE.userViewType.schema, at(payload, user), `${label} ${user} → simple-user`));
      }
      validated++;
      const documented = webhookHeaders(name);
      for (const header of Object.keys(delivery.headers)) {
        if (TRANSPORT_HEADERS.has(header) || documented.has(header)) continue;
        if (DOCUMENTED_ELSEWHERE.headers[header]) {
          headerAllowancesUsed.add(header);
          continue;
        }
        findings.push({ kind: 'undeclared-request-property', operation: label, where: `header ${header}`, message: 'is not a documented header of this webhook' });
      }
      for (const header of documented) if (!(header in delivery.headers)) findings.push({ kind: 'query-missing', operation: label, where: `header ${header}`, message: 'a documented header the fake does not send' });
    }
    if (usersCheckedElsewhere === 0) findings.push({ kind: 'response-schema', operation: 'webhook users', where: 'simple-user', message: 'stale DOCUMENTED_ELSEWHERE entry: no webhook user carried an undeclared user_view_type' });
    for (const header of Object.keys(DOCUMENTED_ELSEWHERE.headers)) {
      if (!headerAllowancesUsed.has(header)) findings.push({ kind: 'undeclared-request-property', operation: 'webhook headers', where: header, message: 'stale DOCUMENTED_ELSEWHERE header: the fake no longer sends it' });
    }
    expect([...seen].sort()).toEqual(['issue-comment-created', 'issues-assigned', 'issues-closed', 'issues-labeled', 'issues-opened', 'issues-reopened', 'ping']);
    expect(findings.filter((f) => f.operation.startsWith('webhook')).map(show)).toEqual([]);
  });

  describe('GitHub’s webhook examples through the hub’s webhook route', () => {
    let t: TestHub;
    let hubUrl: string;
    const secret = `examples-${randomUUID()}`;

    beforeAll(async () => {
      // The examples' repository; the hub never calls GitHub here (no escalation opens).
      t = await startTestHub('pglite', {
        integrations: [github],
        channels: [new RecordingChannel('chat')],
        env: { GITHUB_TOKEN: 'ghp_examples', GITHUB_REPO: 'Codertocat/Hello-World', GITHUB_WEBHOOK_SECRET: secret, GITHUB_API_BASE: 'http://127.0.0.1:9', ESCALATION_TICK_SECONDS: '300' },
      });
      hubUrl = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    });
    afterAll(async () => {
      await t?.stop();
    });

    const deliver = async (event: string, payload: unknown) => {
      const body = Buffer.from(JSON.stringify(payload));
      const request: RawRequest = {
        rawBody: body,
        url: '/webhooks/github',
        headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature('sha256', secret, body), 'user-agent': 'GitHub-Hookshot/examples' },
      };
      const response = await fetch(`${hubUrl}/webhooks/github`, { method: 'POST', headers: request.headers as Record<string, string>, body });
      return { request, status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    /** What the hub makes of an issue event about one of its own issues (integrations/github/webhook.ts). */
    const expectedFor = (payload: GitHubJson): { kind: string; by: string | null }[] => {
      const action = payload['action'];
      const login = (who: unknown) => (who && typeof who === 'object' ? String((who as GitHubJson)['login']) : null);
      if (action === 'assigned') return [{ kind: 'escalation.acknowledged', by: login(payload['assignee']) }];
      if (action === 'closed') return [{ kind: 'escalation.resolved', by: login(payload['sender']) }];
      if (action === 'reopened') return [{ kind: 'escalation.reopened', by: login(payload['sender']) }];
      return [];
    };

    it('every issues, issue_comment and ping example: 2xx, never 5xx; as our issue, mapped to what its action means', async () => {
      const capability = t.hub.triage.targets.get('github');
      expect(capability?.parseWebhook).toBeDefined();
      for (const event of RELEVANT_EVENTS) {
        const definition = EXAMPLES.find((d) => d.name === event);
        expect(definition, `@octokit/webhooks-examples has ${event}`).toBeDefined();
        for (const [i, example] of definition!.examples.entries()) {
          const label = `example ${event}[${i}]${'action' in example ? ` ${String(example.action)}` : ''}`;
          artefacts++;
          const asSent = await deliver(event, example);
          validated++;
          if (asSent.status !== 200) findings.push({ kind: 'response-schema', operation: label, where: 'hub answer', message: `HTTP ${asSent.status} ${JSON.stringify(asSent.body)}` });
          else if (asSent.body['events'] !== 0) findings.push({ kind: 'response-schema', operation: label, where: 'hub answer', message: `an issue without the hub's label or marker became ${String(asSent.body['events'])} event(s)` });
          if (event !== 'issues') continue;
          // The same issue as one of ours: the hub's label added.
          const payload = structuredClone(example) as unknown as GitHubJson;
          const issue = payload['issue'] as GitHubJson;
          issue['labels'] = [...((issue['labels'] as unknown[] | undefined) ?? []), { id: 1, node_id: 'LA_hub', url: 'https://api.github.com/labels/support-hub', name: HUB_LABEL, color: 'ededed', default: false, description: null }];
          const ours = await deliver(event, payload);
          validated++;
          const expected = expectedFor(payload);
          const parsed = capability!.parseWebhook!(ours.request).events.map((e) => ({ kind: e.kind, by: e.by }));
          if (ours.status !== 200) findings.push({ kind: 'response-schema', operation: `${label} (ours)`, where: 'hub answer', message: `HTTP ${ours.status} ${JSON.stringify(ours.body)}` });
          if (JSON.stringify(parsed) !== JSON.stringify(expected) || ours.body['events'] !== expected.length) {
            findings.push({ kind: 'response-schema', operation: `${label} (ours)`, where: 'mapping', message: `expected ${JSON.stringify(expected)}, got ${JSON.stringify(parsed)} (hub: ${JSON.stringify(ours.body)})` });
          }
        }
      }
      expect(findings.filter((f) => f.operation.startsWith('example')).map(show)).toEqual([]);
    });
  });

  it('summary: one line, no mismatches', () => {
    // Counting rule: artefacts = the document (1) + each documented operation the traffic used +
    // each webhook payload schema the fake's deliveries used + each example payload run through
    // the hub. validated = per exchange its path, query set, JSON request body and documented
    // response (traffic.ts) + per delivery its payload schema and its header set + per example
    // its delivery as published and, for `issues`, as one of our issues (parsed and mapped).
    // mismatches = every finding, stale DOCUMENTED_ELSEWHERE entries included.
    process.stdout.write(`conformance vendor=github artefacts=${artefacts} validated=${validated} mismatches=${findings.length}\n`);
    if (notes.length > 0) process.stderr.write(`github conformance notes: ${notes.join('; ')}\n`);
    expect(findings.map(show)).toEqual([]);
  });

  /** The headers a webhook's entry in `x-webhooks` declares, lower-cased. */
  function webhookHeaders(name: string): Set<string> {
    const document = require(REST_OAS) as { 'x-webhooks': Record<string, { post: { parameters?: { name: string; in: string }[] } }> };
    const entry = document['x-webhooks'][name];
    return new Set((entry?.post.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
  }
});
