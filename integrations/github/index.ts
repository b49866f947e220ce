import type { Logger } from 'pino';
import { z } from 'zod';
import { defineIntegration } from '../../src/capabilities/integration.js';
import { secret } from '../../src/config/secrets.js';
import { GitHubClient } from './client.js';
import { GitHubEscalation } from './escalation.js';
import { HUB_LABEL } from './issue-body.js';

/**
 * GitHub as an escalation target: one issue per escalation in one repository, comments for
 * acknowledgements and resolutions, and (with the repository's webhook) assignments, closes and
 * reopens reported back to the hub. A token with Issues read/write on that repository is enough
 * (README.md in this folder).
 */

// docs.github.com: user and organisation names are alphanumerics and single hyphens (≤ 39);
// repository names are alphanumerics, `-`, `_` and `.` (≤ 100), and never `.` or `..`.
const repoPattern = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;

// GitHub refuses label names over 50 characters (Validation Failed on create).
const labelName = z.string().trim().min(1).max(50, 'GitHub label names are at most 50 characters');

/** "support-hub, escalation" from the environment, or a list in the config file. */
const labelList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((label) => label.trim()).filter(Boolean) : value),
  z.array(labelName),
);

export const githubConfigSchema = z.object({
  token: secret(z.string().trim().min(1).regex(/^\S+$/, 'a GitHub token has no spaces (paste only the token, without "Bearer"/"token")').optional()),
  repo: z.string().trim().regex(repoPattern, 'must be owner/name of the repository escalation issues go to, e.g. acme/support-escalations').optional(),
  webhookSecret: secret(z.string().min(1).optional()),
  apiBase: z
    .url({ protocol: /^https?$/ })
    // GitHub Enterprise Server serves the API under /api/v3, so a path is allowed here.
    .transform((url) => url.replace(/\/+$/, ''))
    .default('https://api.github.com'),
  labels: labelList.default([HUB_LABEL]),
});

export type GitHubConfig = z.infer<typeof githubConfigSchema>;

export interface GitHubEscalationOptions {
  log: Logger;
  onVendorRequest?(method: string, path: string, status: number | null): void;
  timeoutMs?: number;
  /** Longest Retry-After a call waits out itself before answering `rate_limited` (default 2 s). */
  maxInlineWaitMs?: number;
  /** Tests: the fetch every request goes through (a recording one, for the conformance suite). */
  fetch?: typeof fetch;
}

/** The capability from a parsed config section (the registry calls this; tests too). */
export function createGitHubEscalation(config: GitHubConfig, options: GitHubEscalationOptions): GitHubEscalation {
  if (!config.token || !config.repo) throw new Error('GitHub escalation needs token (GITHUB_TOKEN) and repo (GITHUB_REPO)');
  const [owner, name] = config.repo.split('/') as [string, string];
  const client = new GitHubClient({
    token: config.token,
    apiBase: config.apiBase,
    owner,
    repo: name,
    log: options.log,
    ...(options.onVendorRequest ? { onRequest: options.onVendorRequest } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxInlineWaitMs !== undefined ? { maxInlineWaitMs: options.maxInlineWaitMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return new GitHubEscalation(client, { owner, name, labels: config.labels, webhookSecret: config.webhookSecret });
}

export const github = defineIntegration({
  id: 'github',
  name: 'GitHub',
  configSchema: githubConfigSchema,
  env: [
    {
      env: 'GITHUB_TOKEN',
      key: 'token',
      description: 'GitHub token that opens escalation issues: a fine-grained token with Issues read/write on GITHUB_REPO (or a classic token with `repo`)',
    },
    { env: 'GITHUB_REPO', key: 'repo', description: 'Repository escalation issues are opened in, as owner/name; with GITHUB_TOKEN enables GitHub escalations' },
    {
      env: 'GITHUB_WEBHOOK_SECRET',
      key: 'webhookSecret',
      description: 'Secret of the repository webhook calling `POST /webhooks/github` (Issues events); without it GitHub webhooks are rejected and assignments/closes on GitHub are not reported back',
    },
    { env: 'GITHUB_API_BASE', key: 'apiBase', description: 'GitHub REST API base URL (default https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3; tests point it at a fake)' },
    {
      env: 'GITHUB_LABELS',
      key: 'labels',
      description: 'Comma-separated labels put on every escalation issue, besides `urgency-<level>` and `category-<category>`; `support-hub` is always added (webhooks act only on issues carrying it or the hub’s marker)',
    },
  ],
  capabilities: {
    escalation: {
      requires: ['token', 'repo'],
      create(config, context) {
        if (!config.webhookSecret) context.log.warn('GITHUB_WEBHOOK_SECRET is not set: GitHub webhooks will be rejected (assigning or closing an issue on GitHub is not reported back)');
        return createGitHubEscalation(config, {
          log: context.log.child({ integration: 'github' }),
          ...(context.onVendorRequest ? { onVendorRequest: (method: string, path: string, status: number | null) => context.onVendorRequest!('github', method, path, status) } : {}),
        });
      },
    },
  },
});
