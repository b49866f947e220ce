/**
 * The fake's dice and its rate limiter. Both are deterministic given their inputs, so a failing
 * chaos run can be replayed with the same seed.
 */

/** mulberry32: tiny, seedable, good enough to decide which request fails. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export type RateDecision =
  | { ok: true; limit: number; remaining: number }
  | { ok: false; limit: number; remaining: number; retryAfterSeconds: number };

/**
 * Help Scout counts units per account in a per-minute window (writes count 2,
 * developer.helpscout.com/mailbox-api/overview/rate-limiting). Its window edges are not
 * documented; we model fixed windows aligned to the fake's start, which is what
 * "X-RateLimit-Retry-After: seconds until the rate limit is refreshed" describes. A fixed window
 * lets a careless client push up to 2× the limit through any sliding window (end of one window +
 * start of the next), so `maxUnitsInWindow` (measured over a sliding window) shows whether the
 * hub paced itself rather than only whether it was stopped.
 */
export class RateLimiter {
  private limitSpec: RateLimit | null = null;
  private windowStart = 0;
  private windowUnits = 0;
  /** Accepted requests in the last window (for the sliding maximum). */
  private recent: { at: number; units: number }[] = [];
  private recentUnits = 0;
  units = 0;
  maxUnitsInWindow = 0;

  constructor(
    private readonly origin: number,
    limit: RateLimit | null,
  ) {
    this.set(limit);
  }

  set(limit: RateLimit | null): void {
    this.limitSpec = limit;
    this.windowStart = 0;
    this.windowUnits = 0;
  }

  get spec(): RateLimit | null {
    return this.limitSpec;
  }

  /** Counts a request of `units` at `now`, or refuses it when its window is spent. */
  take(units: number, now: number): RateDecision {
    const spec = this.limitSpec;
    if (!spec) {
      this.accept(units, now, 60_000);
      // Unlimited still answers with the headers, as the vendor always does.
      return { ok: true, limit: 1_000_000, remaining: 1_000_000 };
    }
    const start = this.origin + Math.floor((now - this.origin) / spec.windowMs) * spec.windowMs;
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.windowUnits = 0;
    }
    if (this.windowUnits + units > spec.limit) {
      const resetMs = start + spec.windowMs - now;
      return { ok: false, limit: spec.limit, remaining: Math.max(0, spec.limit - this.windowUnits), retryAfterSeconds: Math.max(1, Math.ceil(resetMs / 1000)) };
    }
    this.windowUnits += units;
    this.accept(units, now, spec.windowMs);
    return { ok: true, limit: spec.limit, remaining: spec.limit - this.windowUnits };
  }

  resetStats(): void {
    this.units = 0;
    this.maxUnitsInWindow = 0;
    this.recent = [];
    this.recentUnits = 0;
  }

  private accept(units: number, now: number, windowMs: number): void {
    this.units += units;
    this.recent.push({ at: now, units });
    this.recentUnits += units;
    while (this.recent.length > 0 && this.recent[0]!.at <= now - windowMs) this.recentUnits -= this.recent.shift()!.units;
    this.maxUnitsInWindow = Math.max(this.maxUnitsInWindow, this.recentUnits);
  }
}
