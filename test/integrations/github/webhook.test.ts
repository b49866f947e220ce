import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import { HubError } from '../../../src/errors.js';
import { verifyGitHubWebhook } from '../../../integrations/github/webhook.js';
import { escalationRequest } from '../../contract/escalation.js';
import type { GitHubJson } from '../../fakes/github/index.js';
import { startGitHubHarness, type GitHubHarness } from './support.js';

/**
 * GitHub webhooks: X-Hub-Signature-256 over the raw bytes, and only `issues` events about the
 * hub's own issues in the configured repository become escalation events.
 */

const payloadOf = (delivery: RawRequest) => JSON.parse(delivery.rawBody.toString('utf8')) as GitHubJson & { issue: GitHubJson; repository: GitHubJson };

const thrown = (work: () => unknown): unknown => {
  try {
    work();
  } catch (error) {
    return error;
  }
  return null;
};

describe('verifyWebhook', () => {
  it('accepts GitHub’s documented test vector (docs.github.com "Validating webhook deliveries")', () => {
    const request: RawRequest = {
      rawBody: Buffer.from('Hello, World!'),
      headers: { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
      url: '/webhooks/github',
    };
    expect(verifyGitHubWebhook("It's a Secret to Everybody", request)).toEqual({ ok: true });
    expect(verifyGitHubWebhook('another secret', request)).toEqual({ ok: false, reason: 'invalid X-Hub-Signature-256' });
  });

  it('without GITHUB_WEBHOOK_SECRET every delivery is refused, with the reason', () => {
    const request: RawRequest = { rawBody: Buffer.from('{}'), headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, url: '/webhooks/github' };
    expect(verifyGitHubWebhook(undefined, request)).toEqual({ ok: false, reason: expect.stringMatching(/GITHUB_WEBHOOK_SECRET is not configured/) });
  });

  it('a malformed signature header, or only the legacy SHA-1 one, is refused', () => {
    const body = Buffer.from('{}');
    expect(verifyGitHubWebhook('s', { rawBody: body, headers: { 'x-hub-signature-256': 'sha256=abc' }, url: '/' })).toEqual({ ok: false, reason: 'malformed X-Hub-Signature-256 header' });
    expect(verifyGitHubWebhook('s', { rawBody: body, headers: { 'x-hub-signature': 'sha1=abc' }, url: '/' }).ok).toBe(false);
  });
});

describe('parseWebhook', () => {
  let harness: GitHubHarness;
  let issueNumber: number;
  beforeAll(async () => {
    harness = await startGitHubHarness();
    issueNumber = Number((await harness.target.open(escalationRequest())).externalId);
  });
  afterAll(() => harness.close());

  const parse = (delivery: RawRequest) => {
    expect(harness.target.verifyWebhook(delivery)).toEqual({ ok: true });
    return harness.target.parseWebhook(delivery);
  };

  it('assigned → acknowledged by the assignee; closed → resolved and reopened → reopened, by the sender', () => {
    const assigned = harness.fake.assign(issueNumber, 'octocat', 'monalisa');
    expect(parse(assigned)).toEqual({ deliveryId: assigned.headers['x-github-delivery'], events: [{ kind: 'escalation.acknowledged', externalId: String(issueNumber), by: 'octocat' }] });
    expect(parse(harness.fake.closeIssue(issueNumber, 'monalisa')).events).toEqual([{ kind: 'escalation.resolved', externalId: String(issueNumber), by: 'monalisa' }]);
    expect(parse(harness.fake.reopenIssue(issueNumber, 'octocat')).events).toEqual([{ kind: 'escalation.reopened', externalId: String(issueNumber), by: 'octocat' }]);
  });

  it('an issue in another repository, or one without our label and marker, gives no events', () => {
    const assigned = payloadOf(harness.fake.assign(issueNumber, 'hubot'));
    const elsewhere = { ...assigned, repository: { ...assigned.repository, full_name: 'acme/website', name: 'website' } };
    expect(parse(harness.fake.delivery('issues', elsewhere)).events).toEqual([]);
    const foreign = { ...assigned, issue: { ...assigned.issue, labels: [{ name: 'bug' }], body: 'Login page broken\n<!-- support-hub:escalation:x -->' } };
    expect(parse(harness.fake.delivery('issues', foreign)).events).toEqual([]);
    const sameRepoOtherCase = { ...assigned, repository: { ...assigned.repository, full_name: harness.fake.repo.toUpperCase() } };
    expect(parse(harness.fake.delivery('issues', sameRepoOtherCase)).events).toHaveLength(1);
  });

  it('an issue recognised by its marker alone (a triage token’s labels are dropped) still reports', async () => {
    const triage = harness.fake.addToken({ login: 'triager', permission: 'triage' });
    const target = harness.capability({ GITHUB_TOKEN: triage });
    const receipt = await target.open(escalationRequest());
    const delivery = harness.fake.assign(Number(receipt.externalId), 'octocat');
    expect(payloadOf(delivery).issue['labels']).toEqual([]);
    expect(parse(delivery).events).toEqual([{ kind: 'escalation.acknowledged', externalId: receipt.externalId, by: 'octocat' }]);
  });

  it('ping, comments, labels and other actions give no events', () => {
    const ping = harness.fake.ping();
    expect(parse(ping)).toEqual({ deliveryId: ping.headers['x-github-delivery'], events: [] });
    const created = harness.fake.deliveries.filter((d) => d.headers['x-github-event'] === 'issue_comment' || payloadOf(d)['action'] === 'labeled' || payloadOf(d)['action'] === 'opened');
    expect(created.length).toBeGreaterThan(0);
    for (const delivery of created) expect(parse(delivery).events).toEqual([]);
  });

  it('the hub’s own close comes back as resolved by the token’s user (the engine treats a repeat as done)', async () => {
    const receipt = await harness.target.open(escalationRequest());
    await harness.target.update(receipt, { kind: 'resolved', by: 'Ravi Ops', text: 'done' });
    const closed = harness.fake.deliveries.filter((d) => d.headers['x-github-event'] === 'issues' && payloadOf(d)['action'] === 'closed').at(-1)!;
    expect(parse(closed).events).toEqual([{ kind: 'escalation.resolved', externalId: receipt.externalId, by: 'support-hub-bot' }]);
  });

  it('a body that is not JSON, a form-encoded one, a malformed issues payload, or missing headers: HubError 400', () => {
    const good = harness.fake.assign(issueNumber, 'octocat');
    const cases: RawRequest[] = [
      { ...good, rawBody: Buffer.from('{"action":') },
      { ...good, rawBody: Buffer.from(`payload=${encodeURIComponent(good.rawBody.toString())}`) },
      { ...good, rawBody: Buffer.from('[]') },
      { ...good, rawBody: Buffer.from(JSON.stringify({ ...payloadOf(good), issue: { title: 'no number' } })) },
      { ...good, headers: { ...good.headers, 'x-github-delivery': undefined } },
      { ...good, headers: { ...good.headers, 'x-github-event': undefined } },
    ];
    for (const request of cases) {
      const error = thrown(() => harness.target.parseWebhook(request));
      expect(error).toBeInstanceOf(HubError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_webhook' });
    }
    expect(String((thrown(() => harness.target.parseWebhook(cases[1]!)) as Error).message)).toMatch(/application\/json/);
  });

  it('end to end over HTTP: the bytes GitHub sends verify and parse on the receiving side', async () => {
    const received: { status: number; events: unknown }[] = [];
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw: RawRequest = { rawBody: Buffer.concat(chunks), headers: request.headers, url: request.url ?? '/' };
        const verified = harness.target.verifyWebhook(raw);
        const status = verified.ok ? 200 : 401;
        received.push({ status, events: verified.ok ? harness.target.parseWebhook(raw).events : null });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/github`;
      const delivery = harness.fake.closeIssue(issueNumber, 'octocat');
      expect(delivery.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
      expect((await harness.fake.sendWebhook(target, delivery)).status).toBe(200);
      const forged = harness.fake.delivery('issues', payloadOf(delivery), 'not the secret');
      expect((await harness.fake.sendWebhook(target, forged)).status).toBe(401);
      expect(received).toEqual([
        { status: 200, events: [{ kind: 'escalation.resolved', externalId: String(issueNumber), by: 'octocat' }] },
        { status: 401, events: null },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
