import { sql } from 'kysely';
import type { Store } from '../../store/store.js';
import type { DashboardConfig } from '../config.js';

/** A counter a login attempt is charged to, with how many failures it allows per window. */
export interface ThrottleKey {
  key: string;
  limit: number;
}

/**
 * Failed logins, counted in a window of `loginLockMinutes`. Every attempt is charged **before**
 * its password is checked, in one transaction over all its counters (a row lock each): a burst
 * of parallel guesses gets at most the limit checked, never one per request. A success gives its
 * charge back.
 *
 * Which counters (OWASP Authentication cheat sheet, "account lockout" and device cookies): an
 * attacker who knows an admin's address must not be able to lock the admin out.
 * - From a device the account logged in from before (its device cookie): only that device's own
 *   counter. Failures elsewhere never lock it.
 * - From anywhere else: the account from this address (`loginMaxFailures`), the address across
 *   accounts (4×, many staff may share one NAT), and the account from everywhere (20×, so a
 *   distributed guess is slowed too). Those locks stop new devices only.
 */
export class LoginThrottle {
  constructor(
    private readonly store: Store,
    private readonly config: DashboardConfig,
  ) {}

  keys(email: string, ip: string | undefined, knownDevice: string | null): ThrottleKey[] {
    const account = email.trim().toLowerCase();
    const max = this.config.loginMaxFailures;
    if (knownDevice) return [{ key: `device:${knownDevice}`, limit: max }];
    return [
      { key: `pair:${account}|${ip ?? 'unknown'}`, limit: max },
      { key: `address:${ip ?? 'unknown'}`, limit: max * 4 },
      { key: `account:${account}`, limit: max * 20 },
    ];
  }

  /**
   * Charges an attempt to every counter, or to none: 0 when the password may be checked, else the
   * milliseconds until one may be (and nothing is charged). A counter's window starts at its first
   * charge and lasts `loginLockMinutes`; within it at most `limit` attempts are let through.
   */
  async begin(keys: ThrottleKey[]): Promise<number> {
    const windowMs = this.config.loginLockMinutes * 60_000;
    const now = new Date();
    const windowStart = new Date(now.getTime() - windowMs);
    try {
      await this.store.transaction(async (tx) => {
        // Sorted, so two attempts lock the same rows in the same order (no deadlock).
        for (const { key, limit } of [...keys].sort((a, b) => (a.key < b.key ? -1 : 1))) {
          const charged = await sql<{ failures: number; window_started_at: Date }>`
            INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES (${key}, 1, ${now}, NULL)
            ON CONFLICT (key) DO UPDATE SET
              failures = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN 1 ELSE login_throttle.failures + 1 END,
              window_started_at = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN ${now} ELSE login_throttle.window_started_at END
            RETURNING failures, window_started_at`.execute(tx);
          const { failures, window_started_at } = charged.rows[0]!;
          if (failures > limit) throw new ThrottledError(new Date(window_started_at).getTime() + windowMs - now.getTime());
        }
      });
      return 0;
    } catch (error) {
      // The transaction rolled back: a refused attempt is charged nowhere.
      if (error instanceof ThrottledError) return Math.max(1000, error.ms);
      throw error;
    }
  }

  /** The password was right: the attempt gives its charge back (its own counters are cleared). */
  async succeeded(keys: ThrottleKey[]): Promise<void> {
    for (const { key } of keys) {
      if (key.startsWith('pair:') || key.startsWith('device:')) {
        await this.store.db.deleteFrom('login_throttle').where('key', '=', key).execute();
      } else {
        await sql`UPDATE login_throttle SET failures = GREATEST(0, failures - 1) WHERE key = ${key}`.execute(this.store.db);
      }
    }
  }
}

class ThrottledError extends Error {
  constructor(readonly ms: number) {
    super('login attempts exhausted for now');
  }
}
