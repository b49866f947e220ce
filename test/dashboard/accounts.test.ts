import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeStaffUser } from '../../src/dashboard/staff-users.js';
import { backends } from '../support/backends.js';
import { createStaff, StaffClient } from '../support/dashboard.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The accounts page: admins see who has access and take it away. Plain HTTP forms, as a browser
 * without JavaScript sends them; roles and CSRF checked on the server; every change audited.
 */
for (const backend of backends) describe(`dashboard accounts (${backend})`, () => {
  let t: TestHub;
  let base: string;
  let admin: StaffClient;
  let triage: StaffClient;
  let viewer: StaffClient;
  const accounts: Record<string, { email: string; password: string }> = {};

  beforeAll(async () => {
    t = await startTestHub(backend, { env: { ACK_ENABLED: 'false' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    for (const role of ['admin', 'triage', 'viewer'] as const) accounts[role] = await createStaff(t.hub, role);
    [admin, triage, viewer] = [new StaffClient(base), new StaffClient(base), new StaffClient(base)];
    for (const [client, role] of [[admin, 'admin'], [triage, 'triage'], [viewer, 'viewer']] as const) {
      expect((await client.login(accounts[role]!.email, accounts[role]!.password)).status).toBe(303);
    }
  });
  afterAll(async () => t?.stop());

  const db = () => t.hub.store.db;
  const row = (email: string) => db().selectFrom('staff_users').select(['role', 'disabled_at']).where('email', '=', email).executeTakeFirstOrThrow();
  const auditCount = async () => Number((await db().selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const change = (client: StaffClient, form: Record<string, string>) => client.post('/dashboard/accounts', form, { from: client === admin ? '/dashboard/accounts' : '/dashboard/queue' });

  it('lists every account for admins, with actions for all but their own; others get 403 and no menu entry', async () => {
    const page = await admin.page('/dashboard/accounts');
    expect(page).toContain('href="/dashboard/accounts" aria-current="page"');
    for (const role of ['admin', 'triage', 'viewer']) expect(page).toContain(`data-account="${role}@hub.test"`);
    const own = page.slice(page.indexOf('data-account="admin@hub.test"'), page.indexOf('</tr>', page.indexOf('data-account="admin@hub.test"')));
    expect(own).toContain('your account');
    expect(own).not.toContain('<form');
    expect((page.match(/<form class="inline"/g) ?? []).length).toBe(4); // role + disable, for two others
    expect(page).not.toMatch(/scrypt|password_hash/);
    for (const client of [triage, viewer]) {
      expect((await client.get('/dashboard/accounts')).status).toBe(403);
      expect(await client.page('/dashboard/queue')).not.toContain('/dashboard/accounts');
    }
  });

  it('refuses non-admins, forms without the CSRF token, bad forms and one’s own account, changing nothing', async () => {
    const before = await auditCount();
    expect((await change(triage, { email: 'viewer@hub.test', change: 'disable' })).status).toBe(403);
    expect((await admin.post('/dashboard/accounts', { email: 'viewer@hub.test', change: 'disable' }, { csrf: false })).status).toBe(403);
    const bad = await change(admin, { email: 'viewer@hub.test', change: 'promote' });
    expect(bad.status).toBe(400);
    const badRole = await change(admin, { email: 'viewer@hub.test', change: 'role', role: 'root' });
    expect(badRole.status).toBe(400);
    const unknown = await change(admin, { email: 'nobody@hub.test', change: 'disable' });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('no staff account for nobody@hub.test');
    const own = await change(admin, { email: 'ADMIN@hub.test', change: 'role', role: 'viewer' });
    expect(own.status).toBe(409);
    expect(await own.text()).toContain('You cannot change your own account here');
    expect(await row('viewer@hub.test')).toEqual({ role: 'viewer', disabled_at: null });
    expect(await row('admin@hub.test')).toEqual({ role: 'admin', disabled_at: null });
    expect(await auditCount()).toBe(before);
  });

  it('disabling ends that person’s session at once; enabling and role changes apply on their next page', async () => {
    const disabled = await change(admin, { email: 'triage@hub.test', change: 'disable' });
    expect(disabled.status).toBe(303);
    expect(disabled.headers.get('location')).toBe('/dashboard/accounts?done=disabled');
    expect(await admin.page('/dashboard/accounts?done=disabled')).toContain('Account disabled: its sessions have ended');
    const kicked = await triage.get('/dashboard/queue');
    expect(kicked.status).toBe(303);
    expect(kicked.headers.get('location')).toMatch(/^\/dashboard\/login/);
    expect((await new StaffClient(base).login(accounts['triage']!.email, accounts['triage']!.password)).status).toBe(401);

    expect((await change(admin, { email: 'triage@hub.test', change: 'enable' })).status).toBe(303);
    expect((await triage.login(accounts['triage']!.email, accounts['triage']!.password)).status).toBe(303);

    expect(await viewer.page('/dashboard/queue')).not.toContain('/dashboard/audit');
    expect((await change(admin, { email: 'viewer@hub.test', change: 'role', role: 'admin' })).headers.get('location')).toBe('/dashboard/accounts?done=role');
    expect(await viewer.page('/dashboard/queue')).toContain('/dashboard/audit'); // same session, new role
    expect((await viewer.get('/dashboard/accounts')).status).toBe(200);

    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'staff_email', 'subject_id', 'detail', 'ip'])
      .where('action', 'in', ['staff.disabled', 'staff.enabled', 'staff.role_changed'])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.action, a.staff_email, a.subject_id])).toEqual([
      ['staff.disabled', 'admin@hub.test', 'triage@hub.test'],
      ['staff.enabled', 'admin@hub.test', 'triage@hub.test'],
      ['staff.role_changed', 'admin@hub.test', 'viewer@hub.test'],
    ]);
    expect(audit[2]!.detail).toEqual({ from: 'viewer', to: 'admin' });
    expect(audit.every((a) => a.ip !== null)).toBe(true);
  });

  it('keeps one enabled admin: the second-to-last admin can go, the last cannot', async () => {
    // viewer@ is an admin now, so admin@ may disable it; then admin@ is the last, and not even the
    // command line (which has no "own account" rule) may disable it.
    expect((await change(admin, { email: 'viewer@hub.test', change: 'disable' })).status).toBe(303);
    await expect(changeStaffUser(t.hub.store, { email: 'admin@hub.test', change: 'disable' }, { id: null, email: 'test' })).rejects.toMatchObject({ status: 409, code: 'last_admin' });
    expect(await row('admin@hub.test')).toEqual({ role: 'admin', disabled_at: null });
  });
});
