/**
 * How long an escalation waits before trying a target again when the vendor said when
 * (`VendorError.retryAfterMs`: Slack's and GitHub's Retry-After, PagerDuty's spacing).
 *
 * The vendor's wait is a floor, never shortened. Past the third attempt the waits also grow, as
 * PagerDuty advises for its Events API ("retrying 3 times with each request being 30 seconds
 * apart", developer-docs events-API-v2/05-Rate-Limits.md; "preferably with a backoff of a few
 * minutes", 01-Overview.md "Rate Limits"), which is sound for any vendor that keeps refusing.
 */

/** Growth past the third attempt: 1, 2, 4, 8 … minutes, at most 15. */
const GROWTH_BASE_MS = 30_000;
const GROWTH_CAP_MS = 15 * 60_000;

/**
 * Attempts per target before it is recorded as failed for staff (about three and a half hours
 * of growing waits): a vendor refusing that long needs a person, not another retry.
 */
export const MAX_TARGET_ATTEMPTS = 25;

/** `escalation.notify` put back this many times for one change before it is left to the job's own retries. */
export const MAX_NOTIFY_DEFERRALS = 12;

/** The wait before attempt `attempts + 1`, or null when the vendor gave none (the job's own backoff applies). */
export function deferralMs(retryAfterMs: number | null, attempts: number): number | null {
  if (retryAfterMs === null) return null;
  const growth = attempts <= 3 ? 0 : Math.min(GROWTH_CAP_MS, GROWTH_BASE_MS * 2 ** (attempts - 3));
  return Math.max(Math.ceil(retryAfterMs), growth);
}
