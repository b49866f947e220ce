import { sql } from 'kysely';
import type { Store } from '../../store/store.js';
import type { DashboardConfig } from '../config.js';

/**
 * Failed logins are counted per account and per client address in a window of
 * `loginLockMinutes`; at `loginMaxFailures` for an account (four times that for an address, which
 * many staff may share behind one NAT) further attempts are refused until the lock runs out —
 * checked before the password is, so guessing costs the same whether or not it is right.
 */
export class LoginThrottle {
  constructor(
    private readonly store: Store,
    private readonly config: DashboardConfig,
  ) {}

  static keys(email: string, ip: string | undefined): string[] {
    return [`account:${email.trim().toLowerCase()}`, `address:${ip ?? 'unknown'}`];
  }

  private limitOf(key: string): number {
    return key.startsWith('address:') ? this.config.loginMaxFailures * 4 : this.config.loginMaxFailures;
  }

  /** Milliseconds until a login may be tried again (0: now). */
  async lockedFor(keys: string[]): Promise<number> {
    const rows = await this.store.db.selectFrom('login_throttle').select(['locked_until']).where('key', 'in', keys).execute();
    const now = Date.now();
    return Math.max(0, ...rows.map((r) => (r.locked_until ? new Date(r.locked_until).getTime() - now : 0)));
  }

  async failed(keys: string[]): Promise<void> {
    const windowMs = this.config.loginLockMinutes * 60_000;
    const now = new Date();
    const windowStart = new Date(now.getTime() - windowMs);
    const lockUntil = new Date(now.getTime() + windowMs);
    for (const key of keys) {
      // One statement: a burst of parallel guesses cannot slip between a read and a write.
      await sql`
        INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES (${key}, 1, ${now}, NULL)
        ON CONFLICT (key) DO UPDATE SET
          failures = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN 1 ELSE login_throttle.failures + 1 END,
          window_started_at = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN ${now} ELSE login_throttle.window_started_at END,
          locked_until = CASE
            WHEN login_throttle.window_started_at >= ${windowStart} AND login_throttle.failures + 1 >= ${this.limitOf(key)} THEN ${lockUntil}::timestamptz
            ELSE login_throttle.locked_until END`.execute(this.store.db);
    }
  }

  /** A successful login clears its account's count (not the address's: that one guards the others). */
  async succeeded(accountKey: string): Promise<void> {
    await this.store.db.deleteFrom('login_throttle').where('key', '=', accountKey).execute();
  }
}
