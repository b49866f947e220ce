import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import { errors, GitHubHttpError } from './errors.js';
import { PrimaryLimit, SecondaryLimit } from './limits.js';
import { commentJson, issueJson, type RepoContext } from './model.js';
import { route, type RouteAnswer } from './routes.js';
import { GitHubState, type IssueChange, type IssueRecord, type Permission, type UserRecord } from './state.js';
import type { FakeGitHub, FakeGitHubOptions, FakeGitHubRequest, FakeTokenSeed } from './types.js';
import { changePayload, pingPayload, sendWebhook, signedDelivery, type WebhookHook } from './webhooks.js';

/**
 * A fake GitHub over real HTTP on 127.0.0.1 (random port): one repository's issues and comments
 * through the REST endpoints the hub uses, token auth with per-token permissions, the primary and
 * secondary rate limits with their headers, the webhook deliveries every change causes, and fault
 * switches. See README.md in this folder.
 */

/** docs.github.com "API Versions": the versions the REST API accepts in X-GitHub-Api-Version. */
const API_VERSIONS = ['2022-11-28'];

// Classic tokens: `ghp_` and 36 alphanumerics.
const newToken = () => `ghp_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x')}`;
const requestId = () => [4, 4, 6, 6, 8].map((n) => randomBytes(n).toString('hex').slice(0, n).toUpperCase()).join(':');

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const now = options.now ?? Date.now;
  const deliveries: RawRequest[] = [];
  const state = new GitHubState(now, (change) => deliveries.push(deliver(change)));
  const owner = state.user(options.owner ?? 'acme');
  const repoName = options.repo ?? 'support-escalations';
  const tokens = new Map<string, { user: UserRecord; permission: Permission; revoked: boolean }>();
  const addToken = (seed: FakeTokenSeed) => {
    const token = seed.token ?? newToken();
    tokens.set(token, { user: state.user(seed.login), permission: seed.permission ?? 'write', revoked: false });
    return token;
  };
  const hubToken = addToken(options.token ?? { login: 'support-hub-bot', permission: 'write' });
  const primary = new PrimaryLimit(options.primaryLimit ?? { limit: 5000, windowMs: 3_600_000 }, now);
  const secondary = new SecondaryLimit(options.secondaryLimit === undefined ? { limit: 80, windowMs: 60_000, retryAfter: true } : options.secondaryLimit, now);
  const limitStatus = options.limitStatus ?? 403;
  const requests: FakeGitHubRequest[] = [];
  const failures: number[] = [];
  const control = { latencyMs: 0, dropNext: false };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const repo: RepoContext = {
    apiUrl: url,
    htmlBase: options.htmlBase ?? 'https://github.com',
    owner,
    name: repoName,
    id: 700_000_001,
    private: options.private ?? true,
    archived: options.archived ?? false,
    createdAt: now(),
    openIssues: () => [...state.issues.values()].filter((issue) => issue.state === 'open').length,
  };
  const webhookSecret = options.webhookSecret ?? randomBytes(20).toString('hex');
  const hook: WebhookHook = { id: 480_000_001, secret: webhookSecret, url: options.webhookUrl ?? 'http://hub.invalid/webhooks/github' };

  function deliver(change: IssueChange): RawRequest {
    return signedDelivery(change.event, changePayload(change, repo), hook, repo);
  }

  function answer(response: ServerResponse, record: FakeGitHubRequest, status: number, body: unknown, headers: Record<string, string>): void {
    if (response.destroyed) return;
    record.status = status;
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', ...headers });
    response.end(JSON.stringify(body));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = new URL(request.url ?? '/', url);
    const record: FakeGitHubRequest = { method: request.method ?? 'GET', path: target.pathname, query: Object.fromEntries(target.searchParams), status: null, login: null, at: now() };
    requests.push(record);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    if (control.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, control.latencyMs));
    const id = requestId();
    const base: Record<string, string> = { 'x-github-request-id': id, 'x-github-api-version-selected': API_VERSIONS[0]! };
    let rateHeaders: Record<string, string> = { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '60', 'x-ratelimit-reset': String(Math.ceil(now() / 1000) + 3600), 'x-ratelimit-used': '0', 'x-ratelimit-resource': 'core' };
    try {
      const injected = failures.shift();
      if (injected !== undefined) throw errors.injected(injected);
      const version = request.headers['x-github-api-version'];
      if (typeof version === 'string') {
        if (!API_VERSIONS.includes(version)) throw new GitHubHttpError(400, { message: `API version ${version} is not supported.`, documentation_url: 'https://docs.github.com/rest/overview/api-versions', status: '400' });
        base['x-github-api-version-selected'] = version;
      }
      const credentials = /^(?:bearer|token)\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!credentials) throw errors.requiresAuthentication();
      const holder = tokens.get(credentials);
      if (!holder || holder.revoked) throw errors.badCredentials();
      record.login = holder.user.login;
      const login = holder.user.login.toLowerCase();
      if (!primary.take(login)) {
        rateHeaders = primary.headers(login);
        throw errors.primaryRateLimit(limitStatus, holder.user.id, id);
      }
      rateHeaders = primary.headers(login);
      const { handler, params } = route(record.method, target.pathname, repo);
      const result: RouteAnswer = handler({
        state,
        repo,
        actor: holder.user,
        permission: holder.permission,
        params,
        query: target.searchParams,
        body(docs) {
          try {
            return rawBody === '' ? {} : (JSON.parse(rawBody) as unknown);
          } catch {
            throw errors.problemsParsingJson(docs);
          }
        },
        requireWrite(docs, { createsContent = false } = {}) {
          if (repo.archived) throw errors.archived(docs);
          if (holder.permission === 'read') throw errors.notAccessible(docs);
          const limited = createsContent ? secondary.take(login) : null;
          if (limited) throw errors.secondaryRateLimit(limitStatus, id, secondary.spec?.retryAfter ? limited.retryAfterSeconds : null);
        },
      });
      if (control.dropNext) {
        // The change is made; the client never learns it (a reset after GitHub committed).
        control.dropNext = false;
        response.destroy();
        return;
      }
      answer(response, record, result.status, result.body, { ...base, ...rateHeaders, ...result.headers });
    } catch (error) {
      if (error instanceof GitHubHttpError) answer(response, record, error.status, error.body, { ...base, ...rateHeaders, ...error.headers });
      else answer(response, record, 500, { message: `fake GitHub fault: ${(error as Error).message}` }, base);
    }
  }

  const issueRecord = (issueNumber: number): IssueRecord => {
    const issue = state.issues.get(issueNumber);
    if (!issue) throw new Error(`fake GitHub: no issue #${issueNumber}`);
    return issue;
  };
  const lastDelivery = () => deliveries[deliveries.length - 1]!;
  const byMarker = (escalationId: string) =>
    [...state.issues.values()]
      .filter((issue) => (issue.body ?? '').includes(`<!-- support-hub:escalation:${escalationId} -->`))
      .map((issue) => issueJson(issue, repo, { closedBy: true }));

  return {
    url,
    token: hubToken,
    repo: `${owner.login}/${repoName}`,
    webhookSecret,
    env: { GITHUB_TOKEN: hubToken, GITHUB_REPO: `${owner.login}/${repoName}`, GITHUB_WEBHOOK_SECRET: webhookSecret, GITHUB_API_BASE: url },
    requests,
    deliveries,
    get latencyMs() {
      return control.latencyMs;
    },
    set latencyMs(ms: number) {
      control.latencyMs = ms;
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    dropNextResponse() {
      control.dropNext = true;
    },
    addToken,
    revokeToken(token = hubToken) {
      const holder = tokens.get(token);
      if (holder) holder.revoked = true;
    },
    restoreToken(token = hubToken) {
      const holder = tokens.get(token);
      if (holder) holder.revoked = false;
    },
    exhaustRateLimit(login = tokens.get(hubToken)!.user.login) {
      primary.exhaust(login.toLowerCase());
    },
    issues: () => [...state.issues.values()].map((issue) => issueJson(issue, repo, { closedBy: true })),
    issue: (issueNumber) => {
      const issue = state.issues.get(issueNumber);
      return issue ? issueJson(issue, repo, { closedBy: true }) : undefined;
    },
    issuesByMarker: (escalationId) => byMarker(escalationId),
    issueByMarker: (escalationId) => byMarker(escalationId)[0],
    comments: (issueNumber) => issueRecord(issueNumber).comments.map((comment) => commentJson(comment, issueRecord(issueNumber), repo)),
    assign(issueNumber, login, by = login) {
      const issue = issueRecord(issueNumber);
      const before = deliveries.length;
      state.assign(issue, state.user(login), state.user(by));
      // Assigning someone already assigned sends nothing on GitHub; the helper still answers with a delivery.
      return deliveries.length > before ? lastDelivery() : deliver({ event: 'issues', action: 'assigned', issue, sender: state.user(by), assignee: state.user(login) });
    },
    closeIssue(issueNumber, login, reason = 'completed') {
      const issue = issueRecord(issueNumber);
      const before = deliveries.length;
      state.updateIssue(issue, state.user(login), { state: 'closed', stateReason: reason }, false);
      return deliveries.length > before ? lastDelivery() : deliver({ event: 'issues', action: 'closed', issue, sender: state.user(login) });
    },
    reopenIssue(issueNumber, login) {
      const issue = issueRecord(issueNumber);
      const before = deliveries.length;
      state.updateIssue(issue, state.user(login), { state: 'open' }, false);
      return deliveries.length > before ? lastDelivery() : deliver({ event: 'issues', action: 'reopened', issue, sender: state.user(login) });
    },
    ping() {
      const delivery = signedDelivery('ping', pingPayload(hook, repo), hook, repo);
      deliveries.push(delivery);
      return delivery;
    },
    delivery: (event, payload, secret = webhookSecret) => signedDelivery(event, payload, { ...hook, secret }, repo),
    sendWebhook: (targetUrl, delivery) => sendWebhook(targetUrl, delivery),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
