import { tooManyRequests } from '../../errors.js';

/**
 * Token buckets in this process's memory: `capacity` tokens, refilled at `perSecond`. With several
 * hub processes each enforces its own share (a load balancer spreads a client's requests), which
 * is the usual trade for keeping the hot path free of database writes.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token or throws a 429 with the seconds until one is available. */
  take(key: string, what: string): void {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      throw tooManyRequests(`too many ${what}; slow down`, (1 - bucket.tokens) / this.perSecond);
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) this.sweep(now);
  }

  /** Forget full buckets so memory stays bounded by the active clients. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.capacity) this.buckets.delete(key);
    }
  }
}
