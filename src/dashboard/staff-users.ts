import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badRequest, conflict, notFound } from '../errors.js';
import type { StaffRole } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { hashPassword, passwordProblem } from './auth/passwords.js';
import { STAFF_ROLES } from './auth/roles.js';

export const staffUserInput = z.object({
  email: z.email().max(320),
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
