/**
 * GitHub's REST rate limits as the fake applies them (docs.github.com "Rate limits for the REST
 * API"): a primary budget per user (5,000 requests an hour for a personal token) reported in
 * `x-ratelimit-*` headers on every answer, and the secondary limit on content creation
 * ("no more than 80 content-generating requests per minute"), which GitHub never reports ahead.
 */

export interface PrimaryLimitSpec {
  limit: number;
  windowMs: number;
}

export interface PrimaryWindow {
  limit: number;
  used: number;
  /** Epoch seconds at which the window starts over. */
  reset: number;
}

/** A fixed window per user that starts at the user's first request, as GitHub's does. */
export class PrimaryLimit {
  private readonly windows = new Map<string, { startedAt: number; used: number }>();

  constructor(
    public spec: PrimaryLimitSpec,
    private readonly now: () => number,
  ) {}

  private window(user: string): { startedAt: number; used: number } {
    const at = this.now();
    let window = this.windows.get(user);
    if (!window || at >= window.startedAt + this.spec.windowMs) {
      window = { startedAt: at, used: 0 };
      this.windows.set(user, window);
    }
    return window;
  }

  /** Counts a request; false when the window is spent (the request is refused, not counted). */
  take(user: string): boolean {
    const window = this.window(user);
    if (window.used >= this.spec.limit) return false;
    window.used++;
    return true;
  }

  /** Spends what is left in the user's window (tests: "the token's budget is exhausted"). */
  exhaust(user: string): void {
    this.window(user).used = this.spec.limit;
  }

  status(user: string): PrimaryWindow {
    const window = this.window(user);
    return { limit: this.spec.limit, used: window.used, reset: Math.ceil((window.startedAt + this.spec.windowMs) / 1000) };
  }

  headers(user: string): Record<string, string> {
    const { limit, used, reset } = this.status(user);
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - used)),
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-used': String(used),
      'x-ratelimit-resource': 'core',
    };
  }
}

export interface SecondaryLimitSpec {
  /** Content-creating requests (new issues, new comments) allowed per window. */
  limit: number;
  windowMs: number;
  /** GitHub sends `retry-after` with most secondary-limit answers, not all (docs: "if … present"). */
  retryAfter: boolean;
}

/** A sliding window over each user's content-creating requests. */
export class SecondaryLimit {
  private readonly created = new Map<string, number[]>();

  constructor(
    public spec: SecondaryLimitSpec | null,
    private readonly now: () => number,
  ) {}

  /** null: allowed (and counted); otherwise the seconds until the oldest creation leaves the window. */
  take(user: string): { retryAfterSeconds: number } | null {
    if (!this.spec) return null;
    const at = this.now();
    const recent = (this.created.get(user) ?? []).filter((t) => t > at - this.spec!.windowMs);
    this.created.set(user, recent);
    if (recent.length >= this.spec.limit) {
      return { retryAfterSeconds: Math.max(1, Math.ceil((recent[0]! + this.spec.windowMs - at) / 1000)) };
    }
    recent.push(at);
    return null;
  }
}
