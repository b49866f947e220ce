import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Store } from '../../store/store.js';
import { readCookie } from './cookies.js';

/** Same rules as the session cookie: HttpOnly, SameSite=Lax, `__Host-` and Secure behind TLS. */
const COOKIE = { plain: 'hub_device', secure: '__Host-hub_device' } as const;
/** How long a device stays known without a login from it. */
const DEVICE_DAYS = 180;

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Devices staff logged in from before (OWASP: device cookies). A login from one is throttled on
 * its own counter (throttle.ts), so failures from anywhere else cannot lock its owner out.
 */
export class StaffDevices {
  constructor(private readonly store: Store) {}

  /** The device's id (its cookie's hash) when it belongs to the account with this email; else null. */
  async known(req: Request, email: string): Promise<string | null> {
    const token = readCookie(req, req.secure ? COOKIE.secure : COOKIE.plain);
    if (!token || token.length > 100 || !email) return null;
    const tokenHash = hashOf(token);
    const row = await this.store.db
      .selectFrom('staff_devices as d')
      .innerJoin('staff_users as u', 'u.id', 'd.user_id')
      .select('d.token_hash')
      .where('d.token_hash', '=', tokenHash)
      .where((eb) => eb(eb.fn('lower', ['u.email']), '=', email.trim().toLowerCase()))
      .where('d.last_used_at', '>', new Date(Date.now() - DEVICE_DAYS * 86_400_000))
      .executeTakeFirst();
    return row ? row.token_hash : null;
  }

  /** After a successful login: the device is (still) known for this account. */
  async remember(req: Request, res: Response, userId: string, knownDevice: string | null): Promise<void> {
    if (knownDevice) {
      await this.store.db.updateTable('staff_devices').set({ last_used_at: new Date() }).where('token_hash', '=', knownDevice).execute();
      return;
    }
    const token = randomBytes(32).toString('base64url');
    await this.store.db.insertInto('staff_devices').values({ token_hash: hashOf(token), user_id: userId }).execute();
    res.cookie(req.secure ? COOKIE.secure : COOKIE.plain, token, { httpOnly: true, secure: req.secure, sameSite: 'lax', path: '/', maxAge: DEVICE_DAYS * 86_400_000 });
  }
}
