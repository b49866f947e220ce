import type {
  EscalationCapability,
  EscalationChange,
  EscalationReceipt,
  EscalationRequest,
  EscalationTraits,
} from '../../src/capabilities/escalation.js';
import type { ConnectionCheck } from '../../src/capabilities/helpdesk.js';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import { isVendorError, VendorError } from '../../src/vendors/error.js';
import type { GitHubClient, Issue } from './client.js';
import { changeComment, escalationIssue, hasMarker } from './issue-body.js';
import { parseGitHubWebhook, verifyGitHubWebhook } from './webhook.js';

/**
 * One GitHub issue per escalation. A retried `open` first looks for the issue an earlier attempt
 * may have created (by the marker on its body's first line), so GitHub never holds two.
 */

/** How far back a retried `open` looks: retries come within minutes; a day leaves a wide margin. */
const LOOKBACK_MS = 24 * 60 * 60 * 1000;
/** 3 × 100 issues created by the token's user in a day: far more than any hub escalates. */
const LOOKUP_PAGES = 3;
const PAGE_SIZE = 100;

export interface GitHubEscalationSettings {
  owner: string;
  name: string;
  labels: readonly string[];
  webhookSecret: string | undefined;
}

export class GitHubEscalation implements EscalationCapability {
  readonly traits: EscalationTraits = { duplicates: 'never' };

  constructor(
    private readonly client: GitHubClient,
    private readonly settings: GitHubEscalationSettings,
    private readonly now: () => number = Date.now,
  ) {}

  async open(request: EscalationRequest, signal?: AbortSignal): Promise<EscalationReceipt> {
    if (request.retry) {
      const earlier = await this.findOpened(request.escalationId, signal);
      if (earlier) return receipt(earlier);
    }
    return receipt(await this.client.createIssue(escalationIssue(request, this.settings.labels), signal));
  }

  async update(target: EscalationReceipt, change: EscalationChange, signal?: AbortSignal): Promise<void> {
    const issueNumber = Number(target.externalId);
    if (!Number.isSafeInteger(issueNumber) || issueNumber <= 0) {
      throw new VendorError('rejected', `github: "${target.externalId}" is not an issue number`);
    }
    // GitHub has no idempotency key for comments: an update resent after a lost answer may
    // comment twice. Closing is a plain state change, so repeating it is harmless.
    await this.client.comment(issueNumber, changeComment(change), signal);
    if (change.kind === 'resolved') await this.client.close(issueNumber, signal);
  }

  verifyWebhook(request: RawRequest) {
    return verifyGitHubWebhook(this.settings.webhookSecret, request);
  }

  parseWebhook(request: RawRequest) {
    return parseGitHubWebhook(request, this.settings);
  }

  async checkConnection(signal?: AbortSignal): Promise<ConnectionCheck> {
    const repo = `${this.settings.owner}/${this.settings.name}`;
    const webhooks = this.settings.webhookSecret ? 'webhooks verified with GITHUB_WEBHOOK_SECRET' : 'webhooks rejected: GITHUB_WEBHOOK_SECRET is not set';
    try {
      const repository = await this.client.repository(signal);
      // `permissions` is what the token's user may do in the repository; triage may open,
      // comment on and close issues (labels are then dropped, the marker still identifies them).
      if (!repository.permissions?.push && !repository.permissions?.triage) {
        return {
          ok: false,
          detail: `token lacks Issues: write on ${repo}`,
          hint: `Give the token write access to issues on ${repo}: a fine-grained token needs Repository access to ${repo} with Issues "Read and write"; a classic token needs the repo scope, and its user needs at least the triage role.`,
        };
      }
      if (repository.archived) return { ok: false, detail: `${repo} is archived (read-only)`, hint: 'Unarchive the repository or point GITHUB_REPO at another one.' };
      return { ok: true, detail: `${repository.full_name} reachable; the token may open issues; ${webhooks}` };
    } catch (error) {
      if (!isVendorError(error)) throw error;
      return { ok: false, detail: connectionDetail(error, repo), hint: connectionHint(error, repo) };
    }
  }

  /**
   * The issue an earlier attempt created, if it landed. The list endpoint, not search: search is
   * eventually consistent and can miss an issue created seconds ago. `since` filters on
   * `updated_at`, so the newest-created-first walk stops itself at the first older issue.
   */
  private async findOpened(escalationId: string, signal?: AbortSignal): Promise<Issue | null> {
    const creator = await this.client.authenticatedLogin(signal);
    const cutoff = this.now() - LOOKBACK_MS;
    let page = await this.client.issuesCreatedBy({ creator, since: new Date(cutoff).toISOString(), perPage: PAGE_SIZE }, signal);
    for (let pages = 1; ; pages++) {
      const found = page.issues.find((issue) => !issue.pull_request && hasMarker(issue.body, escalationId));
      if (found) return found;
      const older = page.issues.some((issue) => Date.parse(issue.created_at) < cutoff);
      if (older || !page.next || pages >= LOOKUP_PAGES) return null;
      page = await this.client.issuesCreatedBy({ next: page.next }, signal);
    }
  }
}

function receipt(issue: Issue): EscalationReceipt {
  return { externalId: String(issue.number), url: issue.html_url };
}

function connectionDetail(error: VendorError, repo: string): string {
  if (error.status === 404) return `repository ${repo} not found or not visible to this token`;
  if (error.status === 401) return 'GitHub refused the token (401 Bad credentials)';
  return error.message;
}

function connectionHint(error: VendorError, repo: string): string {
  if (error.status === 401) return 'The token was revoked, expired or mistyped: create a new one and set GITHUB_TOKEN.';
  if (error.status === 404) {
    return `Check GITHUB_REPO=${repo}; a fine-grained token must list ${repo} under Repository access (GitHub answers 404 for private repositories a token cannot see).`;
  }
  if (error.kind === 'auth') return `The token may not read ${repo}: an organisation may require SSO authorisation of the token, or refuse classic tokens.`;
  if (error.kind === 'rate_limited') return 'The token’s GitHub rate limit is spent; it resets within the hour (other tools using the same token share it).';
  return 'GitHub did not answer; check GITHUB_API_BASE and the network (githubstatus.com).';
}
