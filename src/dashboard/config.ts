import { z } from 'zod';
import { envBoolean } from '../config/env-boolean.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The staff dashboard under /dashboard (src/dashboard). */
export const dashboardSchema = z
  .object({
    enabled: envBoolean.default(true),
    /** A staff session ends this long after login (re-login needed). */
    sessionTtlHours: int(1, 24 * 30).default(12),
    /** …or after this long without a request. */
    idleTimeoutMinutes: int(5, 24 * 60).default(120),
    /** Failed logins for one account (or from one address, ×4) within the window before it locks. */
    loginMaxFailures: int(2, 100).default(5),
    loginLockMinutes: int(1, 24 * 60).default(15),
  })
  .prefault({});

export type DashboardConfig = z.infer<typeof dashboardSchema>;

export const dashboardEnv = [
  { env: 'DASHBOARD_ENABLED', path: ['dashboard', 'enabled'], description: 'Serve the staff dashboard under /dashboard' },
  { env: 'DASHBOARD_SESSION_TTL_HOURS', path: ['dashboard', 'sessionTtlHours'], description: 'A staff session ends this many hours after login' },
  { env: 'DASHBOARD_IDLE_TIMEOUT_MINUTES', path: ['dashboard', 'idleTimeoutMinutes'], description: 'A staff session ends after this many minutes without a request' },
  {
    env: 'DASHBOARD_LOGIN_MAX_FAILURES',
    path: ['dashboard', 'loginMaxFailures'],
    description: 'Failed logins for one account (four times as many from one address) before logins lock',
  },
  { env: 'DASHBOARD_LOGIN_LOCK_MINUTES', path: ['dashboard', 'loginLockMinutes'], description: 'How long a locked login stays locked (also the failure window)' },
];
