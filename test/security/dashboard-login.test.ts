import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';
import { createStaff, csrfIn, StaffClient } from '../support/dashboard.js';

/**
 * Security review findings on the dashboard login (issue 21), each reproduced as the attack was
 * made: item 3 (the throttle bypassed by parallel guesses), item 12 (anyone could lock a known
 * admin out), item 10 (a malformed cookie broke every page with a 500).
 */
describe('security: dashboard login', () => {
  const LIMIT = 5;
  let t: TestHub;
  let base: string;

  beforeAll(async () => {
    t = await startTestHub('pglite', { env: { DASHBOARD_LOGIN_MAX_FAILURES: String(LIMIT), ACK_ENABLED: 'false' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const checked = async (email: string) =>
    (await t.hub.store.db.selectFrom('audit_log').select('action').where('staff_email', '=', email).where('action', '=', 'login.failed').execute()).length;

  it('item 3: 24 parallel guesses against a limit of 5 get at most 5 passwords checked; the rest are 429', async () => {
    const victim = await createStaff(t.hub, 'admin', 'parallel-target@hub.test');
    // Each guess from its own session, all at once, as the review's attack did.
    const clients = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const client = new StaffClient(base);
        return { client, csrf: csrfIn(await client.page('/dashboard/login')) };
      }),
    );
    const statuses = await Promise.all(clients.map(({ client, csrf }, i) => client.post('/dashboard/login', { email: victim.email, password: `guess number ${i} wrong` }, { csrf }).then((r) => r.status)));
    expect(await checked(victim.email)).toBeLessThanOrEqual(LIMIT);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(LIMIT);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(24 - LIMIT);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });

  it('item 12: failing logins for a known admin from elsewhere cannot lock the admin out of their own device; new devices are throttled', async () => {
    const admin = await createStaff(t.hub, 'admin', 'lockout-target@hub.test');
    const own = new StaffClient(base);
    expect((await own.login(admin.email, admin.password)).status).toBe(303);
    expect(own.device).toMatch(/hub_device=/);
    await own.post('/dashboard/logout', {}, {});
    // The attacker knows the address and guesses far past every limit.
    const attacker = new StaffClient(base);
    for (let i = 0; i < LIMIT * 4; i++) await attacker.login(admin.email, `attacker guess ${i}`);
    expect((await attacker.login(admin.email, admin.password)).status).toBe(429);
    // The admin, on the device they logged in from before: in.
    expect((await own.login(admin.email, admin.password)).status).toBe(303);
    // Their own device has its own budget: mistyping there is throttled like anywhere else.
    const typo = new StaffClient(base);
    typo.device = own.device;
    for (let i = 0; i < LIMIT; i++) expect((await typo.login(admin.email, 'mistyped password')).status).toBe(401);
    expect((await typo.login(admin.email, admin.password)).status).toBe(429);
  });

  it('item 10: a session cookie that is not valid percent-encoding is no cookie (login page, not a 500)', async () => {
    for (const cookie of ['hub_staff=%E0%A4%A', 'hub_staff=%', 'hub_staff=%%%; hub_device=%zz']) {
      const page = await fetch(`${base}/dashboard/queue`, { redirect: 'manual', headers: { cookie } });
      expect(page.status, cookie).toBe(303);
      const login = await fetch(`${base}/dashboard/login`, { headers: { cookie } });
      expect(login.status, cookie).toBe(200);
    }
  });
});
