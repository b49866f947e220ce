import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badRequest, conflict, notFound } from '../errors.js';
import type { StaffRole } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { hashPassword, passwordProblem } from './auth/passwords.js';
import { STAFF_ROLES } from './auth/roles.js';

const email = z.email().max(320);

export const staffUserInput = z.object({
  email,
  role: z.enum(STAFF_ROLES as [StaffRole, ...StaffRole[]]),
  name: z.string().trim().min(1).max(200).nullish(),
  password: z.string(),
  /** Set a new password (and role) for an account that exists, ending its sessions. */
  resetPassword: z.boolean().default(false),
});
export type StaffUserInput = z.input<typeof staffUserInput>;

/**
 * Creates a staff account, or with `resetPassword` sets a known account's password and role. Used
 * by `npm run user:create` and `POST /admin/staff`; both end in the audit log.
 */
export async function saveStaffUser(store: Store, raw: StaffUserInput, by: string): Promise<{ id: string; created: boolean }> {
  const input = staffUserInput.parse(raw);
  const problem = passwordProblem(input.password);
  if (problem) throw badRequest(problem, 'weak_password');
  const passwordHash = await hashPassword(input.password);
  return store.transaction(async (tx) => {
    const existing = await tx.selectFrom('staff_users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase())).executeTakeFirst();
    if (existing && !input.resetPassword) throw conflict(`a staff account for ${input.email} exists; pass --reset-password to set a new password`, 'staff_user_exists');
    if (!existing && input.resetPassword) throw notFound(`no staff account for ${input.email}`, 'no_such_staff_user');
    const id = existing?.id ?? randomUUID();
    if (existing) {
      await tx
        .updateTable('staff_users')
        .set({ password_hash: passwordHash, role: input.role, ...(input.name ? { name: input.name } : {}), updated_at: new Date(), disabled_at: null })
        .where('id', '=', id)
        .execute();
      await tx.deleteFrom('staff_sessions').where('user_id', '=', id).execute();
    } else {
      await tx.insertInto('staff_users').values({ id, email: input.email, name: input.name ?? null, role: input.role, password_hash: passwordHash }).execute();
    }
    await audit(tx, {
      actor: { id: null, email: by },
      action: existing ? 'staff.password_reset' : 'staff.created',
      subject: { kind: 'staff_user', id: input.email },
      detail: { role: input.role },
    });
    return { id, created: !existing };
  });
}

export interface StaffAccount {
  email: string;
  name: string | null;
  role: StaffRole;
  disabled: boolean;
  /** The latest request of any of its sessions; null when it has none open. */
  lastSeenAt: Date | null;
}

/** Every staff account, admins first; never the password hash. */
export async function listStaffUsers(store: Store): Promise<StaffAccount[]> {
  const rows = await store.db
    .selectFrom('staff_users as u')
    .leftJoin('staff_sessions as s', 's.user_id', 'u.id')
    .select((eb) => ['u.email', 'u.name', 'u.role', 'u.disabled_at', eb.fn.max('s.last_seen_at').as('last_seen_at')])
    .groupBy(['u.id', 'u.email', 'u.name', 'u.role', 'u.disabled_at'])
    .execute();
  const rank: Record<StaffRole, number> = { admin: 0, triage: 1, viewer: 2 };
  return rows
    .map((r) => ({
      email: r.email,
      name: r.name,
      role: r.role,
      disabled: r.disabled_at !== null,
      lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at) : null,
    }))
    .sort((a, b) => rank[a.role] - rank[b.role] || a.email.localeCompare(b.email));
}

export const staffChangeInput = z.discriminatedUnion('change', [
  z.object({ email, change: z.literal('disable') }),
  z.object({ email, change: z.literal('enable') }),
  z.object({ email, change: z.literal('role'), role: z.enum(STAFF_ROLES as [StaffRole, ...StaffRole[]]) }),
]);
export type StaffChangeInput = z.input<typeof staffChangeInput>;

/**
 * Disables, re-enables or changes the role of an account. Disabling ends its sessions at once (a
 * role change needs no such step: every request reads the role afresh). The last enabled admin can
 * be neither disabled nor demoted, so the dashboard always has someone who can manage it.
 */
export async function changeStaffUser(
  store: Store,
  raw: StaffChangeInput,
  by: { id: string | null; email: string; ip?: string | undefined },
): Promise<StaffAccount> {
  const input = staffChangeInput.parse(raw);
  await store.transaction(async (tx) => {
    // Lock the enabled admins first: two admins disabled at once must not both pass the check.
    const admins = await tx.selectFrom('staff_users').select('email').where('role', '=', 'admin').where('disabled_at', 'is', null).forUpdate().execute();
    const user = await tx
      .selectFrom('staff_users')
      .select(['id', 'role', 'disabled_at'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase()))
      .executeTakeFirst();
    if (!user) throw notFound(`no staff account for ${input.email}`, 'no_such_staff_user');
    const losesAdmin = user.role === 'admin' && user.disabled_at === null && (input.change === 'disable' || (input.change === 'role' && input.role !== 'admin'));
    if (losesAdmin && admins.length <= 1) {
      throw conflict(`${input.email} is the last enabled admin; make another admin first`, 'last_admin');
    }
    const now = new Date();
    if (input.change === 'disable') {
      await tx.updateTable('staff_users').set({ disabled_at: user.disabled_at ?? now, updated_at: now }).where('id', '=', user.id).execute();
      await tx.deleteFrom('staff_sessions').where('user_id', '=', user.id).execute();
    } else if (input.change === 'enable') {
      await tx.updateTable('staff_users').set({ disabled_at: null, updated_at: now }).where('id', '=', user.id).execute();
    } else {
      await tx.updateTable('staff_users').set({ role: input.role, updated_at: now }).where('id', '=', user.id).execute();
    }
    await audit(tx, {
      actor: { id: by.id, email: by.email },
      action: input.change === 'role' ? 'staff.role_changed' : `staff.${input.change}d`,
      subject: { kind: 'staff_user', id: input.email },
      detail: input.change === 'role' ? { from: user.role, to: input.role } : {},
      ip: by.ip,
    });
  });
  const account = (await listStaffUsers(store)).find((a) => a.email.toLowerCase() === input.email.toLowerCase());
  return account!;
}
