/**
 * How a vendor call failed, in the terms the sync engine acts on:
 * - `auth`: 401 after a token refresh — counts toward the integration's re-auth breaker.
 * - `forbidden`: 403 — the credentials work, but this user may not do this one thing (a role or
 *   permission to grant); never parks the integration.
 * - `rate_limited`: still 429 after waiting out Retry-After as long as a call may wait.
 * - `unavailable`: 5xx, timeout or connection error. For a write, `outcomeUnknown` is true: it may
 *   have landed, so the engine looks it up (`findWrite`) before trying again.
 * - `not_found`: 404 — the thing is not (or no longer) there.
 * - `rejected`: any other 4xx — the request itself is wrong; retrying will not help.
 */
export type VendorErrorKind = 'auth' | 'forbidden' | 'rate_limited' | 'unavailable' | 'not_found' | 'rejected';

export class VendorError extends Error {
  readonly kind: VendorErrorKind;
  readonly status: number | null;
  readonly outcomeUnknown: boolean;
  readonly retryAfterMs: number | null;

  constructor(
    kind: VendorErrorKind,
    message: string,
    options: { status?: number | null; outcomeUnknown?: boolean; retryAfterMs?: number | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VendorError';
    this.kind = kind;
    this.status = options.status ?? null;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

export const isVendorError = (error: unknown): error is VendorError => error instanceof VendorError;
