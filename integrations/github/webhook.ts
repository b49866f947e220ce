import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { EscalationInboundEvent } from '../../src/capabilities/escalation.js';
import { type RawRequest, type VerifyResult, headerValue } from '../../src/capabilities/webhook.js';
import { HubError } from '../../src/errors.js';
import { HUB_LABEL, hasMarker } from './issue-body.js';

/**
 * GitHub repository webhooks (docs.github.com "Validating webhook deliveries", "Webhook events
 * and payloads › issues"): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`,
 * the event name in `X-GitHub-Event`, a GUID per delivery in `X-GitHub-Delivery` (kept across
 * redeliveries, so it is the dedup key). The scheme has no timestamp, hence no replay window.
 */

export function verifyGitHubWebhook(secret: string | undefined, request: RawRequest): VerifyResult {
  if (!secret) return { ok: false, reason: 'GITHUB_WEBHOOK_SECRET is not configured, so GitHub webhooks cannot be verified' };
  const given = headerValue(request, 'x-hub-signature-256');
  // The SHA-1 `X-Hub-Signature` is legacy; GitHub recommends the SHA-256 one, which it always sends.
  if (!given) return { ok: false, reason: 'missing X-Hub-Signature-256 header (is a secret set on the GitHub webhook?)' };
  const hex = /^sha256=([0-9a-f]{64})$/i.exec(given.trim())?.[1];
  if (!hex) return { ok: false, reason: 'malformed X-Hub-Signature-256 header' };
  const expected = createHmac('sha256', secret).update(request.rawBody).digest();
  const received = Buffer.from(hex, 'hex');
  // Both are 32 bytes here (timingSafeEqual requires equal lengths); compared in constant time.
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return { ok: false, reason: 'invalid X-Hub-Signature-256' };
  return { ok: true };
}

const invalid = (message: string) => new HubError(400, 'invalid_webhook', message);

const account = z.object({ login: z.string() });

// Only what the mapping reads; GitHub sends far more (and adds fields over time).
const issuesPayload = z.object({
  action: z.string(),
  issue: z.object({
    number: z.number().int().positive(),
    body: z.string().nullish(),
    labels: z.array(z.union([z.string(), z.object({ name: z.string() })])).nullish(),
  }),
  assignee: account.nullish(),
  repository: z.object({ full_name: z.string() }),
  sender: account,
});

export function parseGitHubWebhook(request: RawRequest, repo: { owner: string; name: string }): { deliveryId: string; events: EscalationInboundEvent[] } {
  const deliveryId = headerValue(request, 'x-github-delivery');
  if (!deliveryId) throw invalid('missing X-GitHub-Delivery header');
  const event = headerValue(request, 'x-github-event');
  if (!event) throw invalid('missing X-GitHub-Event header');
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw invalid('GitHub webhook body is not valid JSON (set the webhook’s content type to application/json)');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('GitHub webhook body is not a JSON object');
  // `ping` (sent when the webhook is created) and events we did not subscribe to: nothing to do.
  if (event !== 'issues') return { deliveryId, events: [] };
  const parsed = issuesPayload.safeParse(body);
  if (!parsed.success) throw invalid(`GitHub issues webhook is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const { action, issue, assignee, repository, sender } = parsed.data;
  // GitHub compares owner and repository names case-insensitively.
  if (repository.full_name.toLowerCase() !== `${repo.owner}/${repo.name}`.toLowerCase()) return { deliveryId, events: [] };
  const labels = (issue.labels ?? []).map((label) => (typeof label === 'string' ? label : label.name));
  if (!labels.includes(HUB_LABEL) && !hasMarker(issue.body)) return { deliveryId, events: [] };
  const externalId = String(issue.number);
  switch (action) {
    case 'assigned':
      return { deliveryId, events: [{ kind: 'escalation.acknowledged', externalId, by: assignee?.login ?? null }] };
    case 'closed':
      return { deliveryId, events: [{ kind: 'escalation.resolved', externalId, by: sender.login }] };
    case 'reopened':
      return { deliveryId, events: [{ kind: 'escalation.reopened', externalId, by: sender.login }] };
    default:
      return { deliveryId, events: [] };
  }
}
