import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { StaffRole } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { DashboardConfig } from '../config.js';
import { readCookie } from './cookies.js';

export interface StaffUser {
  id: string;
  email: string;
  name: string | null;
  role: StaffRole;
}

export interface StaffSession {
  idHash: string;
  /** Null for the anonymous session that carries the login form's CSRF token. */
  user: StaffUser | null;
  csrfToken: string;
}

/** A session that has not been used for a minute gets its last-seen time written (not every request). */
const TOUCH_EVERY_MS = 60_000;
/** The login form's session: long enough to type a password, no longer. */
const ANONYMOUS_TTL_MS = 60 * 60_000;

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Staff sessions in the database (so every hub process knows them): the cookie holds a random
 * 256-bit id, the table only its hash. A login always starts a new session (the old id is
 * deleted), so an id planted before login is worthless after it (session fixation).
 */
export class StaffSessions {
  constructor(
    private readonly store: Store,
    private readonly config: DashboardConfig,
  ) {}

  async load(token: string | undefined): Promise<StaffSession | null> {
    if (!token || token.length > 100) return null;
    const idHash = hashOf(token);
    const row = await this.store.db
      .selectFrom('staff_sessions as s')
      .leftJoin('staff_users as u', 'u.id', 's.user_id')
      .select(['s.id_hash', 's.user_id', 's.csrf_token', 's.last_seen_at', 's.expires_at', 'u.email', 'u.name', 'u.role', 'u.disabled_at'])
      .where('s.id_hash', '=', idHash)
      .executeTakeFirst();
    if (!row) return null;
    const now = Date.now();
    const idleLimit = this.config.idleTimeoutMinutes * 60_000;
    const lapsed = new Date(row.expires_at).getTime() <= now || (row.user_id !== null && now - new Date(row.last_seen_at).getTime() > idleLimit);
    if (lapsed || row.disabled_at || (row.user_id !== null && !row.email)) {
      await this.store.db.deleteFrom('staff_sessions').where('id_hash', '=', idHash).execute();
      return null;
    }
    if (now - new Date(row.last_seen_at).getTime() > TOUCH_EVERY_MS) {
      await this.store.db.updateTable('staff_sessions').set({ last_seen_at: new Date(now) }).where('id_hash', '=', idHash).execute();
    }
    const user = row.user_id && row.email && row.role ? { id: row.user_id, email: row.email, name: row.name ?? null, role: row.role } : null;
    return { idHash, user, csrfToken: row.csrf_token };
  }

  /** A new session (anonymous, or for `user` at login); returns the cookie value. */
  async start(user: StaffUser | null, replacing?: StaffSession | null): Promise<{ token: string; session: StaffSession }> {
    const token = randomBytes(32).toString('base64url');
    const session: StaffSession = { idHash: hashOf(token), user, csrfToken: randomBytes(32).toString('base64url') };
    const now = Date.now();
    await this.store.transaction(async (tx) => {
      if (replacing) await tx.deleteFrom('staff_sessions').where('id_hash', '=', replacing.idHash).execute();
      await tx
        .insertInto('staff_sessions')
        .values({
          id_hash: session.idHash,
          user_id: user?.id ?? null,
          csrf_token: session.csrfToken,
          created_at: new Date(now),
          last_seen_at: new Date(now),
          expires_at: new Date(now + (user ? this.config.sessionTtlHours * 3_600_000 : ANONYMOUS_TTL_MS)),
        })
        .execute();
    });
    return { token, session };
  }

  async end(session: StaffSession): Promise<void> {
    await this.store.db.deleteFrom('staff_sessions').where('id_hash', '=', session.idHash).execute();
  }

  /** Every session of a user (disabled account, changed password). */
  async endAllOf(userId: string): Promise<void> {
    await this.store.db.deleteFrom('staff_sessions').where('user_id', '=', userId).execute();
  }

  async sweep(): Promise<number> {
    const result = await this.store.db.deleteFrom('staff_sessions').where('expires_at', '<=', new Date()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/**
 * The session cookie: HttpOnly, SameSite=Lax, and behind TLS Secure with the `__Host-` prefix
 * (which browsers accept only from a secure origin, for path /, without a Domain — so no
 * sibling subdomain can set or shadow it). `req.secure` honours X-Forwarded-Proto when
 * TRUST_PROXY is on.
 */
export const COOKIE = { plain: 'hub_staff', secure: '__Host-hub_staff' } as const;

export function sessionCookieOf(req: Request): string | undefined {
  return readCookie(req, req.secure ? COOKIE.secure : COOKIE.plain);
}

export function setSessionCookie(req: Request, res: Response, token: string, maxAgeMs: number | null): void {
  res.cookie(req.secure ? COOKIE.secure : COOKIE.plain, token, {
    httpOnly: true,
    secure: req.secure,
    sameSite: 'lax',
    path: '/',
    ...(maxAgeMs === null ? {} : { maxAge: maxAgeMs }),
  });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(req.secure ? COOKIE.secure : COOKIE.plain, { httpOnly: true, secure: req.secure, sameSite: 'lax', path: '/' });
}
