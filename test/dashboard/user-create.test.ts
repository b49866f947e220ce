import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { StaffClient } from '../support/dashboard.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { runScript } from '../support/processes.js';

const ADMIN_TOKEN = 'admin-token-for-user-create-0123456789';

/** `npm run user:create` as a real process (what an operator types). */
const userCreate = (args: string[], env: Record<string, string>, stdin?: string) => runScript('src/dashboard/cli/user-create.ts', args, env, stdin);

describe('npm run user:create', () => {
  let database: TestDatabase;
  let t: TestHub | null = null;
  afterAll(async () => {
    await t?.stop();
    await database?.drop();
  });

  it('creates an account on a stopped hub’s store with a generated password that logs in', async () => {
    database = await createTestDatabase('pglite');
    const made = await userCreate(['--email', 'lee@example.com', '--role', 'admin', '--name', 'Lee'], database.env);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('created admin account lee@example.com');
    const password = /password \(shown once\): (\S+)/.exec(made.stdout)?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(20);

    t = await startTestHub('pglite', { database, env: { HUB_ADMIN_TOKEN: ADMIN_TOKEN, ACK_ENABLED: 'false' } });
    const base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    const client = new StaffClient(base);
    expect((await client.login('lee@example.com', password!)).status).toBe(303);
    expect(await client.page('/dashboard/queue')).toContain('Lee · admin');

    // While that hub holds the embedded store, the account is made through its operator API.
    const port = new URL(base).port;
    const viaHub = await userCreate(['--email', 'sam@example.com', '--role', 'triage', '--password-stdin'], { ...database.env, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HUB_URL: base, PORT: port }, 'sam-has-a-long-password\n');
    expect(viaHub.stderr).toBe('');
    expect(viaHub.code).toBe(0);
    expect(viaHub.stdout).toContain('created triage account sam@example.com');
    expect(viaHub.stdout).not.toContain('shown once');
    expect((await new StaffClient(base).login('sam@example.com', 'sam-has-a-long-password')).status).toBe(303);
    const audit = await t.hub.store.db.selectFrom('audit_log').select(['action', 'staff_email', 'subject_id']).where('action', '=', 'staff.created').orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'staff.created', staff_email: 'cli:user:create', subject_id: 'lee@example.com' },
      { action: 'staff.created', staff_email: 'admin-api', subject_id: 'sam@example.com' },
    ]);
  });

  it('refuses bad input with a clear message and creates nothing', async () => {
    const env = { ...database.env, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HUB_URL: `http://127.0.0.1:${t!.hub.server()!.address() && (t!.hub.server()!.address() as { port: number }).port}` };
    const cases: [string[], string | undefined, RegExp][] = [
      [['--email', 'x@example.com'], undefined, /usage: npm run user:create/],
      [['--email', 'x@example.com', '--role', 'root'], undefined, /role/],
      [['--email', 'not-an-address', '--role', 'viewer'], undefined, /email/],
      [['--email', 'x@example.com', '--role', 'viewer', '--password-stdin'], 'short', /at least 12 characters/],
      [['--email', 'lee@example.com', '--role', 'viewer'], undefined, /exists; pass --reset-password/],
    ];
    for (const [args, stdin, message] of cases) {
      const result = await userCreate(args, env, stdin);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    const users = await t!.hub.store.db.selectFrom('staff_users').select('email').orderBy('email').execute();
    expect(users.map((u) => u.email)).toEqual(['lee@example.com', 'sam@example.com']);
  });
});
