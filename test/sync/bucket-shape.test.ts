import { describe, expect, it } from 'vitest';
import { bucketShape, type RateLimitSpec } from '../../src/vendors/rate-budget.js';

/**
 * A client drawing from a bucket of this shape as fast as it lets it, one `cost`-unit request at a
 * time, where each request reaches the vendor `delayOf(takenAt)` seconds after its token was
 * taken. Returns the most units the vendor counts in any sliding window.
 */
function worstWindow(spec: RateLimitSpec, cost: number, seconds: number, delayOf: (takenAt: number) => number): number {
  const shape = bucketShape(spec, cost);
  const step = 0.001;
  let tokens = shape.capacity;
  const arrivals: number[] = [];
  for (let t = 0; t < seconds; t += step) {
    tokens = Math.min(shape.capacity, tokens + shape.ratePerSecond * step);
    while (tokens >= cost) {
      tokens -= cost;
      arrivals.push(t + delayOf(t));
    }
  }
  arrivals.sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let i = 0; i < arrivals.length; i++) {
    while (arrivals[first]! <= arrivals[i]! - spec.windowSeconds) first++;
    most = Math.max(most, (i - first + 1) * cost);
  }
  return most;
}

/**
 * The unfriendly case: the burst the full bucket allows, and everything taken in the next `skew`
 * seconds, reaches the vendor `skew` late; everything after arrives at once — so a window of
 * arrivals holds a window-and-a-skew of takes. (With 0.1 s allowed, as before, 0.45 s of this
 * counted 42 in 40/6 s and 402 in 400/60 s.)
 */
const lateAtFirst = (skew: number) => (takenAt: number) => (takenAt < skew ? skew : 0);

describe('bucket shape: never over the vendor limit in any window, though requests reach it late', () => {
  it('a per-minute limit (Help Scout 400/60, writes cost 2) holds with 0.45 s between taking a token and the vendor counting it', () => {
    const spec = { limit: 400, windowSeconds: 60 };
    expect(worstWindow(spec, 2, 300, lateAtFirst(0.45))).toBeLessThanOrEqual(400);
    // …while keeping 92% of the limit as sustained rate.
    expect(bucketShape(spec, 2).ratePerSecond).toBeCloseTo((0.92 * 400) / 60, 6);
  });

  it('the compressed test limit (40 per 6 s) holds with 0.45 s of skew — a loaded CI host with two hub processes showed 41', () => {
    const spec = { limit: 40, windowSeconds: 6 };
    expect(worstWindow(spec, 2, 60, lateAtFirst(0.45))).toBeLessThanOrEqual(40);
  });

  it('a per-second limit (Stripe) allows a tenth of its window, not half a second it could not afford', () => {
    const spec = { limit: 100, windowSeconds: 1 };
    const shape = bucketShape(spec, 1, 0.76);
    expect(shape.capacity + shape.ratePerSecond * 1.1).toBeLessThanOrEqual(100 + 1e-9);
    expect(shape.ratePerSecond).toBeCloseTo(76, 6);
    expect(worstWindow(spec, 1, 10, lateAtFirst(0.09))).toBeLessThanOrEqual(100);
  });
});
