import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RawRequest } from '../../../src/capabilities/webhook.js';
import { commentJson, issueJson, labelJson, repositoryJson, userJson, type GitHubJson, type RepoContext } from './model.js';
import type { IssueChange } from './state.js';

/**
 * Repository webhook deliveries as GitHub makes them (docs.github.com "Webhook events and
 * payloads", "Validating webhook deliveries"): compact JSON (content type application/json), the
 * `X-GitHub-*` headers, and both signatures — `X-Hub-Signature-256` (HMAC-SHA256, hex) and the
 * legacy `X-Hub-Signature` (HMAC-SHA1) — over the exact bytes sent.
 */

export interface WebhookHook {
  id: number;
  secret: string;
  /** Where GitHub would POST (the RawRequest's `url` is its path). */
  url: string;
}

export function signature(algorithm: 'sha256' | 'sha1', secret: string, body: Buffer | string): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

/** One delivery: the body and headers GitHub sends for `event` with `payload`. */
export function signedDelivery(event: string, payload: GitHubJson, hook: WebhookHook, repo: RepoContext): RawRequest {
  const rawBody = Buffer.from(JSON.stringify(payload));
  return {
    rawBody,
    url: new URL(hook.url, 'http://hub.invalid').pathname,
    headers: {
      accept: '*/*',
      'content-type': 'application/json',
      'content-length': String(rawBody.length),
      'user-agent': 'GitHub-Hookshot/8f2c1a9',
      'x-github-delivery': randomUUID(),
      'x-github-event': event,
      'x-github-hook-id': String(hook.id),
      'x-github-hook-installation-target-id': String(repo.id),
      'x-github-hook-installation-target-type': 'repository',
      'x-hub-signature': signature('sha1', hook.secret, rawBody),
      'x-hub-signature-256': signature('sha256', hook.secret, rawBody),
    },
  };
}

/**
 * The payload for a change (docs: "issues" and "issue_comment" events): `action`, the issue,
 * the action's own object (`assignee`, `label`, `comment`), `repository` and `sender`. No
 * `installation` (that is for GitHub Apps) and no `organization` (the owner here is a user).
 */
export function changePayload(change: IssueChange, repo: RepoContext): GitHubJson {
  const payload: GitHubJson = { action: change.action, issue: issueJson(change.issue, repo) };
  if (change.event === 'issue_comment') payload['comment'] = commentJson(change.comment, change.issue, repo);
  if (change.action === 'assigned') payload['assignee'] = userJson(change.assignee, repo);
  if (change.action === 'labeled') payload['label'] = labelJson(change.label, repo);
  payload['repository'] = repositoryJson(repo);
  payload['sender'] = userJson(change.sender, repo);
  return payload;
}

/** What GitHub sends when a webhook is created (docs: "ping" event). */
export function pingPayload(hook: WebhookHook, repo: RepoContext): GitHubJson {
  const hookApi = `${repo.apiUrl}/repos/${repo.owner.login}/${repo.name}/hooks/${hook.id}`;
  return {
    zen: 'Keep it logically awesome.',
    hook_id: hook.id,
    hook: {
      type: 'Repository',
      id: hook.id,
      name: 'web',
      active: true,
      events: ['issues'],
      config: { content_type: 'json', insecure_ssl: '0', url: hook.url },
      updated_at: new Date().toISOString(),
      created_at: new Date().toISOString(),
      url: hookApi,
      test_url: `${hookApi}/test`,
      ping_url: `${hookApi}/pings`,
      deliveries_url: `${hookApi}/deliveries`,
    },
    repository: repositoryJson(repo),
    sender: userJson(repo.owner, repo),
  };
}

export interface WebhookResponse {
  status: number;
  body: string;
}

/** POSTs a delivery with exactly its bytes and headers (fetch would drop or rewrite some). */
export function sendWebhook(targetUrl: string, delivery: RawRequest): Promise<WebhookResponse> {
  const url = new URL(targetUrl);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(url, { method: 'POST', headers: { ...delivery.headers, 'content-length': String(delivery.rawBody.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('webhook delivery timed out (GitHub gives up after 10 s)')));
    outgoing.on('error', reject);
    outgoing.end(delivery.rawBody);
  });
}
