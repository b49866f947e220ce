/**
 * Stripe's error bodies (docs.stripe.com/api/errors): `{ error: { type, message, code?, param?,
 * doc_url? } }`. The SDK picks its error class from the HTTP status (401 → authentication,
 * 403 → permission, 429 → rate limit, 400/404 → invalid request, else API error).
 */

export class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: Record<string, string> },
    /** Response headers Stripe adds to this error (a 429's `Stripe-Rate-Limited-Reason`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error['message']);
  }
}

/** docs.stripe.com/rate-limits: the limiter that refused a request, in `Stripe-Rate-Limited-Reason`. */
export type RateLimitedReason = 'global-rate' | 'endpoint-rate' | 'global-concurrency' | 'endpoint-concurrency' | 'resource-specific';

/** Stripe masks the key it did not accept, leaving the prefix and the last four characters. */
export function maskKey(key: string): string {
  const prefix = /^[a-z]+_(test|live)_/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  return rest.length <= 4 ? `${prefix}****` : `${prefix}${'*'.repeat(rest.length - 4)}${rest.slice(-4)}`;
}

export const errors = {
  noKey: () =>
    new StripeHttpError(401, {
      error: {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      },
    }),
  invalidKey: (key: string) => new StripeHttpError(401, { error: { type: 'invalid_request_error', message: `Invalid API Key provided: ${maskKey(key)}` } }),
  /** Wording approximated (the real one names the account and the missing `rak_…` permission). */
  permission: (key: string, permission: string) =>
    new StripeHttpError(403, {
      error: {
        type: 'invalid_request_error',
        message: `The provided key '${maskKey(key)}' does not have the required permissions for this endpoint on account 'acct_fake'. Having the '${permission}' permission would allow this request to continue.`,
      },
    }),
  /**
   * 429 with the documented `Stripe-Rate-Limited-Reason` header. Stripe documents no
   * `Retry-After`; `retryAfterSeconds` adds one for tests of a client that must honour it.
   */
  rateLimited: (reason: RateLimitedReason | null = 'global-rate', retryAfterSeconds?: number) =>
    new StripeHttpError(
      429,
      {
        error: {
          type: 'invalid_request_error',
          code: 'rate_limit',
          message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
          doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
        },
      },
      { ...(reason ? { 'stripe-rate-limited-reason': reason } : {}), ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}) },
    ),
  unknownParameter: (param: string) =>
    new StripeHttpError(400, {
      error: { type: 'invalid_request_error', code: 'parameter_unknown', param, message: `Received unknown parameter: ${param}`, doc_url: 'https://stripe.com/docs/error-codes/parameter-unknown' },
    }),
  missingParameter: (param: string) =>
    new StripeHttpError(400, { error: { type: 'invalid_request_error', code: 'parameter_missing', param, message: `Missing required param: ${param}.`, doc_url: 'https://stripe.com/docs/error-codes/parameter-missing' } }),
  invalidParameter: (param: string, message: string) =>
    new StripeHttpError(400, { error: { type: 'invalid_request_error', code: 'parameter_invalid_integer', param, message } }),
  notExpandable: (path: string) => new StripeHttpError(400, { error: { type: 'invalid_request_error', message: `This property cannot be expanded (${path}).` } }),
  tooDeep: (path: string) =>
    new StripeHttpError(400, { error: { type: 'invalid_request_error', message: `You cannot expand more than 4 levels of a property. Property: ${path}` } }),
  unrecognizedUrl: (method: string, path: string) =>
    new StripeHttpError(404, {
      error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.` },
    }),
  /** An injected failure (fake.failNext): what a status means to the SDK. */
  injected: (status: number, key: string, options: { rateLimitedReason?: RateLimitedReason | null; retryAfterSeconds?: number } = {}) => {
    if (status === 401) return errors.invalidKey(key);
    if (status === 403) return errors.permission(key, 'rak_injected');
    if (status === 429) return errors.rateLimited(options.rateLimitedReason === undefined ? 'global-rate' : options.rateLimitedReason, options.retryAfterSeconds);
    if (status < 500) return new StripeHttpError(status, { error: { type: 'invalid_request_error', message: `Injected failure (${status})` } });
    return new StripeHttpError(status, { error: { type: 'api_error', message: 'An unknown error occurred (injected by the fake).' } });
  },
};
