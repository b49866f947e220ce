import { z } from 'zod';
import { VendorError } from '../../src/vendors/error.js';

/**
 * GitHub's failures in the engine's terms (src/vendors/error.ts). Octokit throws a
 * RequestError with `status` and, when GitHub answered, `response` (headers, parsed body); a
 * network failure or our timeout comes as status 500 without a response.
 */

export interface GitHubOperation {
  method: 'GET' | 'POST' | 'PATCH';
  /** For messages: the path with the issue number, never the query. */
  path: string;
  /**
   * What a 404 means. GitHub answers 404, not 403, for a private repository the token cannot see
   * (docs.github.com, "Troubleshooting the REST API": it hides that the repository exists), so
   * on the repository itself a 404 is a credentials/config problem (`auth`); on an issue it is
   * the issue (the client checks the repository before saying so).
   */
  scope: 'repository' | 'issue' | 'user';
}

interface OctokitFailure {
  status: number;
  message: string;
  response?: { headers: Record<string, string | number | undefined>; data: unknown };
  cause?: unknown;
}

function isOctokitFailure(error: unknown): error is OctokitFailure {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

function header(failure: OctokitFailure, name: string): string | null {
  const value = failure.response?.headers[name];
  return value === undefined ? null : String(value);
}

// docs.github.com "Troubleshooting the REST API": `{ message, documentation_url, errors?, status }`.
const errorBody = z.object({
  message: z.string(),
  errors: z.array(z.union([z.string(), z.object({ message: z.string().optional(), code: z.string().optional() })])).optional(),
});

/** GitHub's own explanation (`message`, and `errors[]` on a 422), without its doc links. */
function githubMessage(failure: OctokitFailure): string {
  const data = failure.response?.data;
  const parsed = errorBody.safeParse(data);
  if (parsed.success) {
    const details = (parsed.data.errors ?? []).map((e) => (typeof e === 'string' ? e : (e.message ?? e.code ?? ''))).filter(Boolean);
    return [parsed.data.message, ...details].join('; ').slice(0, 300);
  }
  return typeof data === 'string' && data.length > 0 ? data.slice(0, 300) : failure.message.slice(0, 300);
}

/**
 * docs.github.com "Rate limits for the REST API › Exceeding the rate limit": a primary limit is
 * 403/429 with `x-ratelimit-remaining: 0` (wait until `x-ratelimit-reset`, epoch seconds); a
 * secondary limit is 403/429 whose message says so, with `retry-after` seconds when GitHub gives
 * one — otherwise "wait for at least one minute".
 */
export function rateLimitWaitMs(failure: OctokitFailure, nowMs: number): number | null {
  if (failure.status !== 403 && failure.status !== 429) return null;
  const retryAfter = Number(header(failure, 'retry-after'));
  const remaining = header(failure, 'x-ratelimit-remaining');
  const reset = Number(header(failure, 'x-ratelimit-reset'));
  const secondary = /secondary rate limit/i.test(githubMessage(failure));
  if (header(failure, 'retry-after') !== null && Number.isFinite(retryAfter)) return Math.max(0, retryAfter * 1000);
  if (remaining === '0') return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - nowMs) : 60_000;
  if (secondary || failure.status === 429) return 60_000;
  return null;
}

export function vendorErrorFrom(error: unknown, operation: GitHubOperation, repo: string, nowMs: number): VendorError {
  const where = `github ${operation.method} ${operation.path}`;
  const write = operation.method !== 'GET';
  if (!isOctokitFailure(error)) {
    return new VendorError('unavailable', `${where}: ${error instanceof Error ? error.message : String(error)}`, { outcomeUnknown: write, cause: error });
  }
  if (!error.response) {
    const cause = error.cause instanceof Error ? error.cause : null;
    const why = cause?.name === 'TimeoutError' ? 'no answer before the timeout' : `no answer (${error.message})`;
    return new VendorError('unavailable', `${where}: ${why}`, { outcomeUnknown: write, cause: error });
  }
  const { status } = error;
  const said = githubMessage(error);
  const waitMs = rateLimitWaitMs(error, nowMs);
  if (waitMs !== null) {
    return new VendorError('rate_limited', `${where}: ${status} rate limited (${said}); retry in ${Math.ceil(waitMs / 1000)} s`, { status, retryAfterMs: waitMs });
  }
  if (status === 401) return new VendorError('auth', `${where}: 401 ${said}: GitHub refused GITHUB_TOKEN (revoked, expired or mistyped)`, { status });
  if (status === 403) {
    // Fine-grained tokens: GitHub names the permission the endpoint needs.
    const needs = header(error, 'x-accepted-github-permissions');
    return new VendorError('auth', `${where}: 403 ${said}: the token may not do this on ${repo}${needs ? ` (needs ${needs})` : ''}`, { status });
  }
  if (status === 404 && operation.scope === 'repository') {
    return new VendorError('auth', `${where}: 404: repository ${repo} not found or not visible to this token`, { status });
  }
  if (status === 404 || status === 410) return new VendorError('not_found', `${where}: ${status} ${said}`, { status });
  if (status >= 500) return new VendorError('unavailable', `${where}: ${status} ${said}`, { status, outcomeUnknown: write });
  return new VendorError('rejected', `${where}: ${status} ${said}`, { status });
}
