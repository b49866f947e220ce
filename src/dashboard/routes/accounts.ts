import { Router } from 'express';
import { conflict, parseInput } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { STAFF_ROLES } from '../auth/roles.js';
import { changeStaffUser, listStaffUsers, staffChangeInput } from '../staff-users.js';
import { renderPage, requirePermission, staffOf } from '../web.js';

export interface AccountRoutesDeps {
  store: Store;
  teamTimeZone: string;
}

const NOTICES: Record<string, string> = {
  disabled: 'Account disabled: its sessions have ended and it can no longer log in.',
  enabled: 'Account enabled: it can log in again.',
  role: 'Role changed: it applies from that person’s next page.',
};

/**
 * Admins see who has dashboard access and change it: disable (ending the sessions at once),
 * enable, change the role. The rules live in staff-users.ts (the last enabled admin stays); the
 * page only adds that nobody changes their own account here, so no one locks themselves out by a
 * slip of the mouse. Accounts are created with `npm run user:create`, which prints the password.
 */
export function accountRoutes(deps: AccountRoutesDeps): Router {
  const router = Router();
  router.use('/dashboard/accounts', requirePermission('manage'));

  router.get('/dashboard/accounts', async (req, res) => {
    const accounts = await listStaffUsers(deps.store);
    const done = typeof req.query['done'] === 'string' ? (NOTICES[req.query['done']] ?? null) : null;
    renderPage(res, 'accounts', { title: 'Accounts', section: 'accounts', zone: deps.teamTimeZone, accounts, roles: STAFF_ROLES, self: staffOf(res).email, notice: done });
  });

  router.post('/dashboard/accounts', async (req, res) => {
    // The CSRF field is checked upstream; the schema drops it with any other unknown field.
    const change = parseInput(staffChangeInput, req.body ?? {}, 'form', 'invalid_account_change');
    const me = staffOf(res);
    if (change.email.toLowerCase() === me.email.toLowerCase()) {
      throw conflict('You cannot change your own account here. Ask another admin, or use npm run users.', 'own_account');
    }
    await changeStaffUser(deps.store, change, { id: me.id, email: me.email, ip: req.ip });
    res.redirect(303, `/dashboard/accounts?done=${change.change === 'role' ? 'role' : `${change.change}d`}`);
  });
  return router;
}
