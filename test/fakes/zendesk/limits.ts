/** A limit in requests per window (Zendesk: per minute for the account, 100/min for Update Ticket). */
export interface WindowLimit {
  limit: number;
  windowMs: number;
}

/**
 * Enforces a limit over a sliding window — stricter than Zendesk's per-minute counters, so a
 * client that passes here cannot be relying on where the vendor's minute boundaries fall.
 */
export class SlidingWindowLimiter {
  private accepted: number[] = [];

  constructor(public spec: WindowLimit | null) {}

  /** Takes one request, or says how long until one fits. */
  take(now: number): { ok: true; remaining: number; resetMs: number } | { ok: false; retryAfterMs: number } {
    if (!this.spec) return { ok: true, remaining: Number.POSITIVE_INFINITY, resetMs: 0 };
    const { limit, windowMs } = this.spec;
    this.accepted = this.accepted.filter((t) => t > now - windowMs);
    if (this.accepted.length >= limit) return { ok: false, retryAfterMs: this.accepted[0]! + windowMs - now };
    this.accepted.push(now);
    return { ok: true, remaining: limit - this.accepted.length, resetMs: this.accepted[0]! + windowMs - now };
  }

  reset(): void {
    this.accepted = [];
  }
}

/**
 * Counts every request that arrives (429s included) and remembers the most seen in any one
 * window, so a test can tell whether the client itself stayed under the limit.
 */
export class WindowMeter {
  private seen: number[] = [];
  count = 0;
  max = 0;

  constructor(public windowMs: number) {}

  record(now: number): void {
    this.count++;
    this.seen = this.seen.filter((t) => t > now - this.windowMs);
    this.seen.push(now);
    this.max = Math.max(this.max, this.seen.length);
  }

  reset(): void {
    this.seen = [];
    this.count = 0;
    this.max = 0;
  }
}

/** Seedable PRNG (mulberry32): fault injection is reproducible from `seed`. */
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
