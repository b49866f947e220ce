import { Octokit, type RestEndpointMethodTypes } from '@octokit/rest';
import type { Logger } from 'pino';
import { abortableSleep } from '../../src/vendors/rate-budget.js';
import { isVendorError, VendorError } from '../../src/vendors/error.js';
import { backoffMs } from '../../src/vendors/http.js';
import { vendorErrorFrom, type GitHubOperation } from './errors.js';

/**
 * Every call the hub makes to GitHub goes through here: Octokit (auth, routes, types) with our
 * timeout and the caller's AbortSignal on each request, GitHub's failures mapped to VendorError
 * kinds, one short Retry-After waited out in place, and one retry for reads.
 */

export type Issue = RestEndpointMethodTypes['issues']['get']['response']['data'];
export type Repository = RestEndpointMethodTypes['repos']['get']['response']['data'];

/** docs.github.com "API Versions": pin the version our code was written against. */
const API_VERSION = '2022-11-28';

export interface GitHubClientOptions {
  token: string;
  /** `https://api.github.com`, `https://HOST/api/v3`, or a fake's `http://127.0.0.1:port`. */
  apiBase: string;
  owner: string;
  repo: string;
  log: Logger;
  /** Per request (default 10 s); the caller's signal can end it sooner. */
  timeoutMs?: number;
  /** A rate limit whose wait is at most this long is waited out inside the call (default 2 s). */
  maxInlineWaitMs?: number;
  fetch?: typeof fetch;
  onRequest?(method: string, path: string, status: number | null): void;
  now?: () => number;
}

export interface IssuePage {
  issues: Issue[];
  /** GitHub's `Link: <…>; rel="next"`, or null on the last page. */
  next: string | null;
}

export class GitHubClient {
  readonly repoName: string;
  private readonly octokit: Octokit;
  private readonly now: () => number;
  private login: Promise<string> | null = null;

  constructor(private readonly options: GitHubClientOptions) {
    this.repoName = `${options.owner}/${options.repo}`;
    this.now = options.now ?? Date.now;
    const fetchImpl = options.fetch ?? fetch;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const timedFetch: typeof fetch = async (input, init) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = init?.method ?? 'GET';
      try {
        const response = await fetchImpl(input, { ...init, signal });
        options.onRequest?.(method, url.pathname, response.status);
        return response;
      } catch (error) {
        options.onRequest?.(method, url.pathname, null);
        throw error;
      }
    };
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: options.apiBase,
      userAgent: 'support-hub',
      request: { fetch: timedFetch },
      // Octokit warns on console by default; ours goes to the hub's log.
      log: {
        debug: () => {},
        info: () => {},
        warn: (message: string) => options.log.warn({ vendor: 'github' }, message),
        error: (message: string) => options.log.error({ vendor: 'github' }, message),
      },
    });
    this.octokit.hook.before('request', (request) => {
      request.headers['x-github-api-version'] = API_VERSION;
    });
  }

  /** The login the token acts as (for `creator=` lookups): asked once per process. */
  async authenticatedLogin(signal?: AbortSignal): Promise<string> {
    this.login ??= this.call({ method: 'GET', path: '/user', scope: 'user' }, signal, (request) => this.octokit.rest.users.getAuthenticated({ request })).then(
      (response) => response.data.login,
    );
    try {
      return await this.login;
    } catch (error) {
      this.login = null;
      throw error;
    }
  }

  async repository(signal?: AbortSignal): Promise<Repository> {
    const response = await this.call({ method: 'GET', path: `/repos/${this.repoName}`, scope: 'repository' }, signal, (request) =>
      this.octokit.rest.repos.get({ owner: this.options.owner, repo: this.options.repo, request }),
    );
    return response.data;
  }

  /** Never resent here: after an unknown outcome the caller looks the issue up by its marker. */
  async createIssue(issue: { title: string; body: string; labels: string[] }, signal?: AbortSignal): Promise<Issue> {
    const response = await this.call({ method: 'POST', path: `/repos/${this.repoName}/issues`, scope: 'repository' }, signal, (request) =>
      this.octokit.rest.issues.create({ owner: this.options.owner, repo: this.options.repo, ...issue, request }),
    );
    return response.data;
  }

  /**
   * Issues the given user created in the repository, newest first. Pages are followed through
   * GitHub's Link header (docs.github.com "Using pagination in the REST API"), with our signal on
   * each (Octokit's paginate helper drops per-request options after the first page).
   */
  async issuesCreatedBy(query: { creator: string; since: string; perPage: number } | { next: string }, signal?: AbortSignal): Promise<IssuePage> {
    const operation: GitHubOperation = { method: 'GET', path: `/repos/${this.repoName}/issues`, scope: 'repository' };
    const response = await this.call(operation, signal, (request) => {
      if ('next' in query) {
        return this.octokit.request<Issue[]>({ method: 'GET', url: query.next, request });
      }
      return this.octokit.rest.issues.listForRepo({
        owner: this.options.owner,
        repo: this.options.repo,
        creator: query.creator,
        state: 'all',
        sort: 'created',
        direction: 'desc',
        since: query.since,
        per_page: query.perPage,
        request,
      });
    });
    return { issues: response.data, next: this.sameOrigin(nextLink(response.headers.link)) };
  }

  async comment(issueNumber: number, body: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'POST', path: `/repos/${this.repoName}/issues/${issueNumber}/comments`, scope: 'issue' }, signal, (request) =>
      this.octokit.rest.issues.createComment({ owner: this.options.owner, repo: this.options.repo, issue_number: issueNumber, body, request }),
    );
  }

  /** Closing an issue that is already closed is a 200 from GitHub: safe to repeat. */
  async close(issueNumber: number, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'PATCH', path: `/repos/${this.repoName}/issues/${issueNumber}`, scope: 'issue' }, signal, (request) =>
      this.octokit.rest.issues.update({ owner: this.options.owner, repo: this.options.repo, issue_number: issueNumber, state: 'closed', state_reason: 'completed', request }),
    );
  }

  private async call<T>(operation: GitHubOperation, signal: AbortSignal | undefined, send: (request: { signal?: AbortSignal }) => Promise<T>): Promise<T> {
    const maxInlineWaitMs = this.options.maxInlineWaitMs ?? 2000;
    let waited = false;
    let retried = false;
    for (;;) {
      signal?.throwIfAborted();
      try {
        return await send(signal ? { signal } : {});
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const failure = this.scrub(vendorErrorFrom(error, operation, this.repoName, this.now()));
        if (failure.kind === 'rate_limited' && !waited && failure.retryAfterMs !== null && failure.retryAfterMs <= maxInlineWaitMs) {
          // A rate-limited request was not applied, so even a create may be sent again.
          waited = true;
          this.options.log.warn({ vendor: 'github', path: operation.path, waitMs: failure.retryAfterMs }, 'GitHub rate limit hit; waiting');
          await abortableSleep(failure.retryAfterMs + 50, signal);
          continue;
        }
        if (failure.kind === 'unavailable' && operation.method === 'GET' && !retried) {
          retried = true;
          await abortableSleep(200 + backoffMs(1), signal);
          continue;
        }
        if (failure.kind === 'not_found' && operation.scope === 'issue') throw await this.explainMissingIssue(failure, signal);
        throw failure;
      }
    }
  }

  /** A 404 on an issue is the issue gone only if the repository is still visible to the token. */
  private async explainMissingIssue(failure: VendorError, signal?: AbortSignal): Promise<VendorError> {
    try {
      await this.repository(signal);
      return failure;
    } catch (error) {
      if (isVendorError(error)) return error;
      throw error;
    }
  }

  /** GitHub never echoes the token, but an error must not carry it even if something did. */
  private scrub(error: VendorError): VendorError {
    if (!error.message.includes(this.options.token)) return error;
    return new VendorError(error.kind, error.message.replaceAll(this.options.token, '[redacted]'), {
      status: error.status,
      outcomeUnknown: error.outcomeUnknown,
      retryAfterMs: error.retryAfterMs,
    });
  }

  /** The token goes wherever Octokit sends a request: follow only links back to our API. */
  private sameOrigin(url: string | null): string | null {
    if (!url) return null;
    return url.startsWith(`${this.options.apiBase}/`) ? url : null;
  }
}

/** `<https://api.github.com/…?page=2>; rel="next", <…>; rel="last"` → the next URL. */
export function nextLink(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="([^"]+)"/.exec(part);
    if (match && match[2]!.split(/\s+/).includes('next')) return match[1]!;
  }
  return null;
}
