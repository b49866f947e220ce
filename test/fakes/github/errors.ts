/**
 * GitHub's error bodies (docs.github.com "Troubleshooting the REST API"): `{ message,
 * documentation_url, status }` (status as a string, since 2024), plus `errors` on a 422
 * "Validation Failed".
 */

export class GitHubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body['message']));
  }
}

const DOCS = 'https://docs.github.com/rest';

const error = (status: number, message: string, documentation = DOCS, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  new GitHubHttpError(status, { message, documentation_url: documentation, ...extra, status: String(status) }, headers);

export const errors = {
  badCredentials: () => error(401, 'Bad credentials'),
  requiresAuthentication: () => error(401, 'Requires authentication'),
  notFound: (documentation = DOCS) => error(404, 'Not Found', documentation),
  /** A fine-grained token without the permission: GitHub names the one it needed. */
  notAccessible: (documentation: string, permission = 'issues=write') =>
    error(403, 'Resource not accessible by personal access token', documentation, {}, { 'x-accepted-github-permissions': permission }),
  archived: (documentation: string) => error(403, 'Repository was archived so is read-only.', documentation),
  problemsParsingJson: (documentation: string) => error(400, 'Problems parsing JSON', documentation),
  /** The JSON-schema check GitHub runs before its own validations. */
  invalidRequest: (documentation: string, detail: string) => error(422, `Invalid request.\n\n${detail}`, documentation),
  validationFailed: (documentation: string, resource: string, field: string, message: string) =>
    error(422, 'Validation Failed', documentation, { errors: [{ resource, code: 'custom', field, message }] }),
  primaryRateLimit: (status: 403 | 429, userId: number, requestId: string) =>
    error(
      status,
      `API rate limit exceeded for user ID ${userId}. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
      'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits',
    ),
  secondaryRateLimit: (status: 403 | 429, requestId: string, retryAfterSeconds: number | null) =>
    error(
      status,
      `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
      'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      {},
      retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) },
    ),
  /** An injected failure (fake.failNext): GitHub's body for that status. */
  injected: (status: number) => {
    if (status === 401) return errors.badCredentials();
    if (status === 403) return errors.notAccessible(DOCS);
    if (status === 404) return errors.notFound();
    if (status === 422) return errors.validationFailed(DOCS, 'Issue', 'base', 'injected by the fake');
    if (status === 429) return errors.secondaryRateLimit(429, 'FAKE:INJECTED', 60);
    if (status >= 500) return error(status, status === 503 ? 'Service Unavailable' : 'Server Error');
    return error(status, `Injected failure (${status})`);
  },
};
