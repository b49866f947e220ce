/**
 * Stripe's error bodies (docs.stripe.com/api/errors): `{ error: { type, message, code?, param?,
 * doc_url? } }`. The SDK picks its error class from the HTTP status (401 → authentication,
 * 403 → permission, 429 → rate limit, 400/404 → invalid request, else API error).
 */

export class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: Record<string, string> },
  ) {
    super(body.error['message']);
  }
}

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
  rateLimited: () =>
    new StripeHttpError(429, {
      error: {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
      },
    }),
  unknownParameter: (param: string) =>
    new StripeHttpError(400, {
      error: { type: 'invalid_request_error', code: 'parameter_unknown', param, message: `Received unknown parameter: ${param}`, doc_url: 'https://stripe.com/docs/error-codes/parameter-unknown' },
    }),
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
  injected: (status: number, key: string) => {
    if (status === 401) return errors.invalidKey(key);
    if (status === 403) return errors.permission(key, 'rak_injected');
    if (status === 429) return errors.rateLimited();
    if (status < 500) return new StripeHttpError(status, { error: { type: 'invalid_request_error', message: `Injected failure (${status})` } });
    return new StripeHttpError(status, { error: { type: 'api_error', message: 'An unknown error occurred (injected by the fake).' } });
  },
};
