import { isVendorError, type VendorError } from '../vendors/error.js';

/** Thrown to hand a sync job's work back for a later try without failing (burning) the job. */
export class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * Vendor trouble that passes — still rate limited after waiting, or unavailable — is handed on to
 * a fresh job a few seconds later rather than failed: pg-boss's doubling backoff would push a busy
 * conversation's next try minutes away, and outages must not burn a conversation's retries.
 */
export function rateLimitedToRetry(error: unknown): unknown {
  if (isVendorError(error) && (error as VendorError).kind === 'rate_limited') return new RetryLater((error as VendorError).retryAfterMs ?? 5000, error.message);
  if (isVendorError(error) && (error as VendorError).kind === 'unavailable') return new RetryLater(1000 + Math.random() * 3000, error.message);
  return error;
}
