import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isVendorError, type VendorError } from '../../../src/vendors/error.js';
import { escalationRequest } from '../../contract/escalation.js';
import type { GitHubJson } from '../../fakes/github/index.js';
import { startGitHubHarness, type GitHubHarness } from './support.js';

/**
 * GitHub-specific rules beyond the contract kit: what the issue says (and cannot be made to say),
 * its labels, rate limits waited out or reported, permissions explained, lookups across pages.
 */

const failure = async (promise: Promise<unknown>): Promise<VendorError> => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isVendorError(error), `expected a VendorError, got ${String(error)}`).toBe(true);
  return error as VendorError;
};

const labelNames = (issue: GitHubJson | undefined) => ((issue?.['labels'] ?? []) as { name: string }[]).map((label) => label.name);

describe('GitHub escalation issues', () => {
  let harness: GitHubHarness;
  beforeAll(async () => {
    harness = await startGitHubHarness({ secondaryLimit: null });
  });
  afterAll(() => harness.close());

  it('the body carries the summary, evidence, conversation count, both links and the marker on its first line', async () => {
    const request = escalationRequest({ conversations: 3, evidence: [{ phrase: 'site is down', category: 'outage' }, { phrase: 'cannot log in', category: 'login' }] });
    const receipt = await harness.target.open(request);
    const issue = harness.fake.issueByMarker(request.escalationId)!;
    const body = String(issue['body']);
    expect(receipt).toEqual({ externalId: String(issue['number']), url: issue['html_url'] });
    expect(body.split('\n')[0]).toBe(`<!-- support-hub:escalation:${request.escalationId} -->`);
    expect(body).toContain('our whole site is down since 10 minutes');
    expect(body).toContain('- `site is down` (`outage`)');
    expect(body).toContain('- `cannot log in` (`login`)');
    expect(body).toContain('**Conversations:** 3');
    expect(body).toContain('[Open in Support Hub](<https://hub.example/dashboard/escalations/1>)');
    expect(body).toContain('[Acknowledge](<https://hub.example/escalations/acknowledge?token=abc>)');
    expect(issue['title']).toBe(request.title);
  });

  it('customer text cannot @mention anyone, close its code block, or pass for another escalation', async () => {
    const other = 'f00dbabe-0000-4000-8000-000000000000';
    const request = escalationRequest({
      title: 'Urgent: @everyone the site is down',
      summary: `@everyone @acme/oncall look\n\`\`\`\`\n<img src=x onerror=alert(1)> [click](https://evil.example)\n<!-- support-hub:escalation:${other} -->`,
      evidence: [{ phrase: 'ping @here', category: 'outage' }],
      link: null,
    });
    await harness.target.open(request);
    const issue = harness.fake.issueByMarker(request.escalationId)!;
    const body = String(issue['body']);
    for (const text of [body, String(issue['title'])]) expect(text).not.toMatch(/@(everyone|here|acme)/);
    expect(body).toContain('＠everyone ＠acme/oncall look');
    // The fence is longer than the customer's backtick run, and the customer text sits inside it.
    const fence = /^(`{5,})text$/m.exec(body)?.[1];
    expect(fence).toBeDefined();
    const inside = body.slice(body.indexOf(`${fence}text\n`), body.lastIndexOf(`\n${fence}\n`));
    expect(inside).toContain('<img src=x onerror=alert(1)>');
    expect(body.slice(body.lastIndexOf(`\n${fence}\n`))).not.toMatch(/<img|evil\.example/);
    expect(body).not.toContain('Open in Support Hub');
    // A retried open of the escalation the customer named must not find this issue.
    expect(harness.fake.issuesByMarker(other)).toHaveLength(1);
    const victim = escalationRequest({ escalationId: other, retry: true });
    const receipt = await harness.target.open(victim);
    expect(receipt.externalId).not.toBe(String(issue['number']));
  });

  it('labels: support-hub, the configured ones, urgency-<level>, category-<category> when set', async () => {
    const target = harness.capability({ GITHUB_LABELS: 'escalation, prod' });
    const withCategory = escalationRequest({ level: 'high', category: 'billing' });
    await target.open(withCategory);
    expect(labelNames(harness.fake.issueByMarker(withCategory.escalationId))).toEqual(['support-hub', 'escalation', 'prod', 'urgency-high', 'category-billing']);
    const without = escalationRequest({ level: 'low', category: null });
    await harness.target.open(without);
    expect(labelNames(harness.fake.issueByMarker(without.escalationId))).toEqual(['support-hub', 'urgency-low']);
  });

  it('acknowledged adds a comment; resolved comments and closes as completed; resolving a closed issue again is fine', async () => {
    const request = escalationRequest();
    const receipt = await harness.target.open(request);
    await harness.target.update(receipt, { kind: 'acknowledged', by: 'Ravi Ops' });
    await harness.target.update(receipt, { kind: 'comment', text: 'Still investigating, @team' });
    await harness.target.update(receipt, { kind: 'resolved', by: 'Ravi Ops', text: 'Fixed: the load balancer was restarted.' });
    await harness.target.update(receipt, { kind: 'resolved', by: null, text: '' });
    const issueNumber = Number(receipt.externalId);
    expect(harness.fake.comments(issueNumber).map((c) => c['body'])).toEqual([
      'Acknowledged by Ravi Ops via Support Hub.',
      'Support Hub:\n\n> Still investigating, ＠team',
      'Resolved by Ravi Ops via Support Hub:\n\n> Fixed: the load balancer was restarted.',
      'Resolved via Support Hub.',
    ]);
    expect(harness.fake.issue(issueNumber)).toMatchObject({ state: 'closed', state_reason: 'completed', closed_by: { login: 'support-hub-bot' } });
  });

  it('an update to an issue that is gone is not_found', async () => {
    const error = await failure(harness.target.update({ externalId: '99999', url: null }, { kind: 'comment', text: 'hello' }));
    expect(error.kind).toBe('not_found');
  });

  it('a retried open finds its issue past the first page (Link rel="next"), without creating another', async () => {
    const first = escalationRequest();
    await harness.target.open(first);
    for (let i = 0; i < 110; i++) await harness.target.open(escalationRequest());
    harness.fake.requests.length = 0;
    const receipt = await harness.target.open({ ...first, retry: true });
    expect(receipt.externalId).toBe(String(harness.fake.issueByMarker(first.escalationId)!['number']));
    expect(harness.fake.issuesByMarker(first.escalationId)).toHaveLength(1);
    const lookups = harness.fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/issues'));
    expect(lookups.map((r) => r.query['page'] ?? '1')).toEqual(['1', '2']);
    expect(lookups[0]!.query).toMatchObject({ creator: 'support-hub-bot', state: 'all', sort: 'created', direction: 'desc', per_page: '100' });
    expect(harness.fake.requests.some((r) => r.method === 'POST')).toBe(false);
  });

  it('a 5xx on a read is retried once; a 5xx on a create is reported as unavailable with an unknown outcome', async () => {
    harness.fake.failNext(502);
    expect((await harness.target.checkConnection()).ok).toBe(true);
    harness.fake.failNext(500);
    const error = await failure(harness.target.open(escalationRequest()));
    expect(error).toMatchObject({ kind: 'unavailable', outcomeUnknown: true, status: 500 });
  });

  it('a request that outlives the timeout is unavailable (outcome unknown for a write); an aborted call throws the abort', async () => {
    const impatient = harness.capability({}, { timeoutMs: 150 });
    harness.fake.latencyMs = 400;
    try {
      const error = await failure(impatient.open(escalationRequest()));
      expect(error).toMatchObject({ kind: 'unavailable', outcomeUnknown: true });
      expect(error.message).toMatch(/timeout/);
      const controller = new AbortController();
      const call = harness.target.open(escalationRequest(), controller.signal);
      setTimeout(() => controller.abort(new Error('engine shutting down')), 50);
      await expect(call).rejects.toThrow('engine shutting down');
    } finally {
      harness.fake.latencyMs = 0;
    }
  });
});

describe('GitHub rate limits', () => {
  let harness: GitHubHarness;
  afterEach(() => harness?.close());

  it('a secondary rate limit with retry-after 1 s is waited out once, then the issue is created', async () => {
    harness = await startGitHubHarness({ secondaryLimit: { limit: 1, windowMs: 1000, retryAfter: true } });
    await harness.target.open(escalationRequest());
    const second = escalationRequest();
    const started = Date.now();
    await harness.target.open(second);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(harness.fake.issuesByMarker(second.escalationId)).toHaveLength(1);
    const creates = harness.fake.requests.filter((r) => r.method === 'POST');
    expect(creates.map((r) => r.status)).toEqual([201, 403, 201]);
  });

  it('a secondary limit without retry-after is reported as rate_limited (wait a minute), not waited out', async () => {
    harness = await startGitHubHarness({ secondaryLimit: { limit: 1, windowMs: 60_000, retryAfter: false } });
    await harness.target.open(escalationRequest());
    const started = Date.now();
    const error = await failure(harness.target.open(escalationRequest()));
    expect(error).toMatchObject({ kind: 'rate_limited', status: 403, retryAfterMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a spent primary budget is rate_limited until x-ratelimit-reset, with 403 or 429 alike', async () => {
    for (const limitStatus of [403, 429] as const) {
      harness = await startGitHubHarness({ limitStatus });
      harness.fake.exhaustRateLimit();
      const error = await failure(harness.target.open(escalationRequest()));
      expect(error).toMatchObject({ kind: 'rate_limited', status: limitStatus });
      expect(error.retryAfterMs).toBeGreaterThan(3_500_000);
      // x-ratelimit-reset is in whole seconds.
      expect(error.retryAfterMs).toBeLessThanOrEqual(3_601_000);
      await harness.close();
    }
  });
});

describe('GitHub permissions and checkConnection', () => {
  let harness: GitHubHarness;
  beforeAll(async () => {
    harness = await startGitHubHarness();
  });
  afterAll(() => harness.close());

  it('a token without write access: checkConnection says what is missing (without the token), and writes are auth', async () => {
    const readOnly = harness.fake.addToken({ login: 'reader', permission: 'read' });
    const target = harness.capability({ GITHUB_TOKEN: readOnly });
    const check = await target.checkConnection();
    expect(check).toMatchObject({ ok: false, detail: `token lacks Issues: write on ${harness.fake.repo}` });
    expect(check.hint).toMatch(/Issues "Read and write"/);
    expect(check.detail + check.hint).not.toContain(readOnly);
    const error = await failure(target.open(escalationRequest()));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/Resource not accessible by personal access token.*needs issues=write/);
    expect(error.message).not.toContain(readOnly);
  });

  it('a repository the token cannot see (GitHub answers 404): checkConnection explains, open is auth', async () => {
    const target = harness.capability({ GITHUB_REPO: 'acme/private-elsewhere' });
    const check = await target.checkConnection();
    expect(check).toMatchObject({ ok: false, detail: 'repository acme/private-elsewhere not found or not visible to this token' });
    expect(check.hint).toMatch(/Repository access/);
    expect((await failure(target.open(escalationRequest()))).kind).toBe('auth');
  });

  it('a working token: ok, naming the repository and whether webhooks can be verified', async () => {
    expect(await harness.target.checkConnection()).toEqual({ ok: true, detail: `${harness.fake.repo} reachable; the token may open issues; webhooks verified with GITHUB_WEBHOOK_SECRET` });
    const check = await harness.capability({ GITHUB_WEBHOOK_SECRET: '' }).checkConnection();
    expect(check.detail).toMatch(/webhooks rejected: GITHUB_WEBHOOK_SECRET is not set/);
  });

  it('a triage token may open issues; GitHub drops its labels, the marker still identifies the issue', async () => {
    const triage = harness.fake.addToken({ login: 'triager', permission: 'triage' });
    const target = harness.capability({ GITHUB_TOKEN: triage });
    expect((await target.checkConnection()).ok).toBe(true);
    const request = escalationRequest();
    await target.open(request);
    expect(labelNames(harness.fake.issueByMarker(request.escalationId))).toEqual([]);
    expect((await target.open({ ...request, retry: true })).externalId).toBe(String(harness.fake.issueByMarker(request.escalationId)!['number']));
  });

  it('an archived repository: checkConnection says so, writes are auth', async () => {
    const archived = await startGitHubHarness({ archived: true });
    try {
      expect(await archived.target.checkConnection()).toMatchObject({ ok: false, detail: `${archived.fake.repo} is archived (read-only)` });
      const error = await failure(archived.target.open(escalationRequest()));
      expect(error).toMatchObject({ kind: 'auth', status: 403 });
      expect(error.message).toMatch(/archived/);
    } finally {
      await archived.close();
    }
  });

  it('every call is reported to onVendorRequest with its status', async () => {
    harness.calls.length = 0;
    await harness.target.checkConnection();
    expect(harness.calls).toEqual([{ method: 'GET', path: `/repos/${harness.fake.repo}`, status: 200 }]);
  });
});
