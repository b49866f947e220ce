import pino from 'pino';
import { loadConfig } from '../../../src/config.js';
import { createGitHubEscalation, github, githubConfigSchema, type GitHubEscalationOptions } from '../../../integrations/github/index.js';
import type { GitHubEscalation } from '../../../integrations/github/escalation.js';
import type { EscalationFake } from '../../contract/escalation.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../../fakes/github/index.js';

/** The fake GitHub as the escalation contract kit drives it (test/contract/escalation.ts). */
export async function startGitHubEscalationFake(options: FakeGitHubOptions = {}): Promise<EscalationFake & { github: FakeGitHub }> {
  const fake = await startFakeGitHub(options);
  const only = (escalationId: string) => fake.issueByMarker(escalationId);
  return {
    github: fake,
    config: { token: fake.token, repo: fake.repo, webhookSecret: fake.webhookSecret, apiBase: fake.url },
    secrets: [fake.token, fake.webhookSecret],
    opened: (escalationId) => fake.issuesByMarker(escalationId).length,
    status(escalationId) {
      const issue = only(escalationId);
      if (!issue) return 'missing';
      if (issue['state'] === 'closed') return 'resolved';
      const assigned = Array.isArray(issue['assignees']) && issue['assignees'].length > 0;
      const acknowledgedInComment = fake.comments(Number(issue['number'])).some((comment) => String(comment['body']).startsWith('Acknowledged'));
      return assigned || acknowledgedInComment ? 'acknowledged' : 'open';
    },
    failNext: (status) => fake.failNext(status),
    dropNextResponse: () => fake.dropNextResponse(),
    revokeCredentials: () => fake.revokeToken(),
    restoreCredentials: () => fake.restoreToken(),
    webhook: {
      acknowledged: (externalId, by) => fake.assign(Number(externalId), by),
      resolved: (externalId, by) => fake.closeIssue(Number(externalId), by),
    },
    close: () => fake.close(),
  };
}

export interface GitHubHarness {
  fake: FakeGitHub;
  target: GitHubEscalation;
  /** What the capability reported through onVendorRequest. */
  calls: { method: string; path: string; status: number | null }[];
  /** Another capability on the same fake, from other environment values. */
  capability(env?: Record<string, string>, options?: Partial<GitHubEscalationOptions>): GitHubEscalation;
  close(): Promise<void>;
}

/** The fake GitHub and the capability configured from its environment, as the hub builds it. */
export async function startGitHubHarness(options: FakeGitHubOptions = {}, capabilityOptions: Partial<GitHubEscalationOptions> = {}): Promise<GitHubHarness> {
  const fake = await startFakeGitHub(options);
  const calls: GitHubHarness['calls'] = [];
  const capability = (env: Record<string, string> = {}, overrides: Partial<GitHubEscalationOptions> = {}) => {
    const section = loadConfig([github], { ...fake.env, ...env }).config.integrations['github'];
    return createGitHubEscalation(githubConfigSchema.parse(section), {
      log: pino({ level: 'silent' }),
      onVendorRequest: (method, path, status) => calls.push({ method, path, status }),
      ...capabilityOptions,
      ...overrides,
    });
  };
  return { fake, target: capability(), calls, capability, close: () => fake.close() };
}
