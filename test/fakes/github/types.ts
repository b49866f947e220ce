import type { RawRequest } from '../../../src/capabilities/webhook.js';
import type { PrimaryLimitSpec, SecondaryLimitSpec } from './limits.js';
import type { GitHubJson } from './model.js';
import type { Permission, StateReason } from './state.js';
import type { WebhookResponse } from './webhooks.js';

/** The fake's options and control surface (server.ts builds it; README.md describes it). */

export interface FakeTokenSeed {
  /** Default: a fresh `ghp_…` classic-looking token. */
  token?: string;
  login: string;
  /** The token's access to the repository's issues (see README: token and role folded into one). */
  permission?: Permission;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  private?: boolean;
  /** An archived repository is read-only: every write is 403 "Repository was archived so is read-only." */
  archived?: boolean;
  /** The hub's token (default: login `support-hub-bot`, permission `write`). */
  token?: FakeTokenSeed;
  webhookSecret?: string;
  /** Where the repository webhook points (the deliveries' `url`); default `http://hub.invalid/webhooks/github`. */
  webhookUrl?: string;
  /** Requests per user per window (default 5,000 an hour, a personal token's). */
  primaryLimit?: PrimaryLimitSpec;
  /** GitHub answers an exceeded limit with 403 or 429; default 403. */
  limitStatus?: 403 | 429;
  /** New issues + comments per user per window; null = off. Default 80 a minute, with retry-after. */
  secondaryLimit?: SecondaryLimitSpec | null;
  htmlBase?: string;
  now?: () => number;
}

export interface FakeGitHubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Null when no answer was sent (dropNextResponse). */
  status: number | null;
  /** The token's user, when the token was valid. */
  login: string | null;
  at: number;
}

export interface FakeGitHub {
  /** `GITHUB_API_BASE`: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly token: string;
  /** `owner/name`. */
  readonly repo: string;
  readonly webhookSecret: string;
  /** GITHUB_TOKEN, GITHUB_REPO, GITHUB_WEBHOOK_SECRET, GITHUB_API_BASE. */
  readonly env: Record<string, string>;
  readonly requests: FakeGitHubRequest[];
  /** Every webhook delivery GitHub would have made, oldest first (API writes and the helpers below). */
  readonly deliveries: RawRequest[];
  latencyMs: number;
  /** The next `count` requests answer `status` with GitHub's body for it, changing nothing. */
  failNext(status: number, count?: number): void;
  /** The next request is applied, then its connection is cut before any answer. */
  dropNextResponse(): void;
  /** Another token for the repository (e.g. a read-only one); returns it. */
  addToken(seed: FakeTokenSeed): string;
  revokeToken(token?: string): void;
  restoreToken(token?: string): void;
  /** Spends the rest of a user's primary budget (default: the hub's token's user). */
  exhaustRateLimit(login?: string): void;

  issues(): GitHubJson[];
  issue(issueNumber: number): GitHubJson | undefined;
  /** Issues whose body carries the hub's marker for this escalation. */
  issuesByMarker(escalationId: string): GitHubJson[];
  issueByMarker(escalationId: string): GitHubJson | undefined;
  comments(issueNumber: number): GitHubJson[];
  /** Someone assigns `login` (default: themself); returns the `issues.assigned` delivery. */
  assign(issueNumber: number, login: string, by?: string): RawRequest;
  /** `login` closes the issue; returns the `issues.closed` delivery. (`close()` stops the fake.) */
  closeIssue(issueNumber: number, login: string, reason?: Exclude<StateReason, null | 'reopened'>): RawRequest;
  reopenIssue(issueNumber: number, login: string): RawRequest;
  ping(): RawRequest;
  /** A delivery of any payload, signed with the webhook's secret (or another). */
  delivery(event: string, payload: GitHubJson, secret?: string): RawRequest;
  sendWebhook(targetUrl: string, delivery: RawRequest): Promise<WebhookResponse>;
  close(): Promise<void>;
}
