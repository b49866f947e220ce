/**
 * `npm run users`: who has dashboard access, and taking it away. Real processes, as an operator
 * runs them, on a stopped hub's store and through a running hub's operator API.
 */
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { changeStaffUser } from '../../src/dashboard/staff-users.js';
import { backends, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { createStaff, StaffClient } from '../support/dashboard.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { runScript } from '../support/processes.js';

const ADMIN_TOKEN = 'admin-token-for-users-cli-0123456789';
const users = (args: string[], env: Record<string, string>) => runScript('src/dashboard/cli/users.ts', args, env);
const userCreate = (args: string[], env: Record<string, string>, stdin: string) => runScript('src/dashboard/cli/user-create.ts', [...args, '--password-stdin'], env, stdin);

// Over a dozen CLI processes in a row (node + tsx start-up each): minutes on a busy machine.
describe('npm run users', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let t: TestHub | null = null;
  afterAll(async () => {
    await t?.stop();
    await database?.drop();
  });

  it('lists accounts, refuses to leave no admin, and changes roles on a stopped hub’s store', async () => {
    database = await createTestDatabase('pglite');
    const env = database.env;
    expect((await users(['list'], env)).stdout).toContain('no staff accounts yet');
    expect((await userCreate(['--email', 'lee@example.com', '--role', 'admin', '--name', 'Lee'], env, 'lee-has-a-long-password\n')).code).toBe(0);
    expect((await userCreate(['--email', 'sam@example.com', '--role', 'triage'], env, 'sam-has-a-long-password\n')).code).toBe(0);

    const listed = await users(['list'], env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^email\s+name\s+role\s+status\s+last seen \(UTC\)$/);
    expect(lines[1]).toMatch(/^lee@example\.com\s+Lee\s+admin\s+enabled\s+-$/);
    expect(lines[2]).toMatch(/^sam@example\.com\s+triage\s+enabled\s+-$/);
    expect(listed.stdout).not.toMatch(/scrypt/);

    // The only admin can be neither disabled nor demoted: someone must be able to manage access.
    for (const args of [['disable', 'lee@example.com'], ['role', 'LEE@example.com', 'viewer']]) {
      const refused = await users(args, env);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr).toMatch(/lee@example\.com is the last enabled admin; make another admin first/i);
    }
    const promoted = await users(['role', 'sam@example.com', 'admin'], env);
    expect(promoted.stdout.trim()).toBe('sam@example.com: admin, enabled');
    const demoted = await users(['role', 'lee@example.com', 'viewer'], env);
    expect(demoted.stdout.trim()).toBe('lee@example.com: viewer, enabled');

    const bad: [string[], number, RegExp][] = [
      [['frob'], 2, /usage: npm run users -- list/],
      [['disable'], 2, /usage/],
      [['role', 'sam@example.com', 'root'], 2, /invalid change: role/],
      [['disable', 'not-an-address'], 2, /invalid change: email/],
      [['disable', 'nobody@example.com'], 1, /no staff account for nobody@example\.com/],
    ];
    // Refused before the store is opened (no lock taken), so they can run side by side.
    const answers = await Promise.all(bad.slice(0, 4).map(([args]) => users(args, env)));
    answers.push(await users(bad[4]![0], env));
    bad.forEach(([args, code, message], i) => {
      expect(answers[i]!.code, args.join(' ')).toBe(code);
      expect(answers[i]!.stderr, args.join(' ')).toMatch(message);
    });
  });

  it('disabling an account through the running hub ends its sessions at once; enabling lets it log in again', async () => {
    t = await startTestHub('pglite', { database, env: { HUB_ADMIN_TOKEN: ADMIN_TOKEN, ACK_ENABLED: 'false' } });
    const base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    const env = { ...database.env, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HUB_URL: base };
    const lee = new StaffClient(base);
    expect((await lee.login('lee@example.com', 'lee-has-a-long-password')).status).toBe(303);
    expect(await lee.page('/dashboard/queue')).toContain('Lee · viewer');

    const listed = await users(['list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/lee@example\.com\s+Lee\s+viewer\s+enabled\s+\d{4}-\d\d-\d\d \d\d:\d\d/);

    const disabled = await users(['disable', 'lee@example.com'], env);
    expect(disabled.stderr).toBe('');
    expect(disabled.stdout.trim()).toBe('lee@example.com: viewer, disabled (its sessions ended)');
    const after = await lee.get('/dashboard/queue');
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/dashboard\/login/);
    expect((await new StaffClient(base).login('lee@example.com', 'lee-has-a-long-password')).status).not.toBe(303);
    expect((await users(['list'], env)).stdout).toMatch(/lee@example\.com\s+Lee\s+viewer\s+disabled/);

    expect((await users(['enable', 'lee@example.com'], env)).stdout.trim()).toBe('lee@example.com: viewer, enabled');
    expect((await new StaffClient(base).login('lee@example.com', 'lee-has-a-long-password')).status).toBe(303);

    // A refusal from the hub reaches the operator as it is.
    const last = await users(['disable', 'sam@example.com'], env);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/refused: sam@example\.com is the last enabled admin/);

    const audit = await t.hub.store.db
      .selectFrom('audit_log')
      .select(['action', 'staff_email', 'subject_id', 'detail'])
      .where('action', 'like', 'staff.%')
      .where('action', '!=', 'staff.created')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.action, a.staff_email, a.subject_id])).toEqual([
      ['staff.role_changed', 'cli:users', 'sam@example.com'],
      ['staff.role_changed', 'cli:users', 'lee@example.com'],
      ['staff.disabled', 'admin-api', 'lee@example.com'],
      ['staff.enabled', 'admin-api', 'lee@example.com'],
    ]);
    expect(audit[1]!.detail).toEqual({ from: 'admin', to: 'viewer' });
  });
});

describe.each(backends)('staff account changes on %s', (backend) => {
  let t: TestHub;
  afterAll(async () => t?.stop());

  it('two admins disabling each other at once leave exactly one admin', async () => {
    t = await startTestHub(backend, { env: { ACK_ENABLED: 'false' } });
    const a = await createStaff(t.hub, 'admin', 'a@hub.test');
    const b = await createStaff(t.hub, 'admin', 'b@hub.test');
    // Two idle connections in the pool, so the two changes really overlap on a server.
    await Promise.all([1, 2].map(() => sql`SELECT pg_sleep(0.05)`.execute(t.hub.store.db)));
    const outcomes = await Promise.allSettled([
      changeStaffUser(t.hub.store, { email: a.email, change: 'disable' }, { id: null, email: 'b@hub.test' }),
      changeStaffUser(t.hub.store, { email: b.email, change: 'disable' }, { id: null, email: 'a@hub.test' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ status: 409, code: 'last_admin' });
    const enabled = await t.hub.store.db.selectFrom('staff_users').select('email').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
    expect(enabled).toHaveLength(1);
  });
});
