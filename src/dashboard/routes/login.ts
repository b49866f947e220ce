import { Router } from 'express';
import { z } from 'zod';
import type { Store } from '../../store/store.js';
import { audit } from '../audit.js';
import { burnPasswordCheck, verifyPassword } from '../auth/passwords.js';
import { clearSessionCookie, setSessionCookie, type StaffSessions } from '../auth/sessions.js';
import { StaffDevices } from '../auth/devices.js';
import { LoginThrottle } from '../auth/throttle.js';
import type { DashboardConfig } from '../config.js';
import { renderPage, requireCsrf, safeNext } from '../web.js';

const loginForm = z.object({
  email: z.string().trim().max(320).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(2000).optional(),
});

/**
 * Login and logout. The login form has its own anonymous session (for its CSRF token); a
 * successful login replaces it with a new one, so the session id changes. Wrong email and wrong
 * password get the same answer in the same time; failures are throttled per account and address.
 */
export function loginRouter(deps: { store: Store; sessions: StaffSessions; config: DashboardConfig }): Router {
  const router = Router();
  const throttle = new LoginThrottle(deps.store, deps.config);
  const devices = new StaffDevices(deps.store);

  router.get('/dashboard/login', async (req, res) => {
    if (res.locals.session?.user) return res.redirect(303, safeNext(req.query['next']));
    if (!res.locals.session) {
      const { token, session } = await deps.sessions.start(null);
      setSessionCookie(req, res, token, null);
      res.locals.session = session;
    }
    renderPage(res, 'login', { title: 'Log in', problem: null, email: '', next: safeNext(req.query['next']) });
  });

  router.post('/dashboard/login', requireCsrf, async (req, res) => {
    const form = loginForm.parse(req.body ?? {});
    const next = safeNext(form.next);
    const device = await devices.known(req, form.email);
    const keys = throttle.keys(form.email, req.ip, device);
    const again = (status: number, problem: string) => renderPage(res, 'login', { title: 'Log in', problem, email: form.email, next }, status);
    // Charged before the password is checked: parallel guesses get no more checks than the limit.
    const lockedMs = await throttle.begin(keys);
    if (lockedMs > 0) {
      await audit(deps.store.db, { actor: { id: null, email: form.email || null }, action: 'login.throttled', ip: req.ip });
      const minutes = Math.ceil(lockedMs / 60_000);
      res.set('Retry-After', String(Math.ceil(lockedMs / 1000)));
      return again(429, `Too many failed logins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
    }
    const user = form.email
      ? await deps.store.db
          .selectFrom('staff_users')
          .select(['id', 'email', 'name', 'role', 'password_hash', 'disabled_at'])
          .where((eb) => eb(eb.fn('lower', ['email']), '=', form.email.toLowerCase()))
          .executeTakeFirst()
      : undefined;
    const ok = user && !user.disabled_at ? await verifyPassword(form.password, user.password_hash) : (await burnPasswordCheck(form.password), false);
    if (!ok || !user) {
      await audit(deps.store.db, { actor: { id: null, email: form.email || null }, action: 'login.failed', ip: req.ip });
      return again(401, 'That email and password do not match an account.');
    }
    await throttle.succeeded(keys);
    await devices.remember(req, res, user.id, device);
    const staff = { id: user.id, email: user.email, name: user.name, role: user.role };
    const { token } = await deps.sessions.start(staff, res.locals.session);
    setSessionCookie(req, res, token, deps.config.sessionTtlHours * 3_600_000);
    await audit(deps.store.db, { actor: staff, action: 'login', ip: req.ip });
    res.redirect(303, next);
  });

  router.post('/dashboard/logout', requireCsrf, async (req, res) => {
    const session = res.locals.session;
    if (session) {
      await deps.sessions.end(session);
      if (session.user) await audit(deps.store.db, { actor: session.user, action: 'logout', ip: req.ip });
    }
    clearSessionCookie(req, res);
    res.redirect(303, '/dashboard/login');
  });
  return router;
}
