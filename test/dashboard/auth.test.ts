import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../src/dashboard/web.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { createStaff, csrfIn, StaffClient } from '../support/dashboard.js';

/**
 * Dashboard security (issue 10 "must show"): the login wall, session id rotated at login, cookie
 * flags, CSP, CSRF, roles enforced on the server, login throttling, logout and expiry.
 */
describe('dashboard authentication and sessions', () => {
  let t: TestHub;
  let base: string;
  let admin: { email: string; password: string };
  let viewer: { email: string; password: string };

  beforeAll(async () => {
    t = await startTestHub('pglite', { env: { DASHBOARD_LOGIN_MAX_FAILURES: '3', ACK_ENABLED: 'false' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    admin = await createStaff(t.hub, 'admin');
    viewer = await createStaff(t.hub, 'viewer');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('sends a logged-out visitor to the login page, and back afterwards', async () => {
    const client = new StaffClient(base);
    const response = await client.get('/dashboard/incidents?status=open');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/dashboard/login?next=${encodeURIComponent('/dashboard/incidents?status=open')}`);
    const csrf = csrfIn(await client.page('/dashboard/login'));
    const login = await client.post('/dashboard/login', { email: admin.email, password: admin.password, next: '/dashboard/incidents?status=open' }, { csrf });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/dashboard/incidents?status=open');
    expect((await client.get('/dashboard/incidents?status=open')).status).toBe(200);
  });

  it('never redirects off the dashboard after login (no open redirect)', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/dashboard//evil.example', 'javascript:alert(1)', '/dashboard\\@evil.example']) {
      const client = new StaffClient(base);
      const csrf = csrfIn(await client.page(`/dashboard/login?next=${encodeURIComponent(next)}`));
      const login = await client.post('/dashboard/login', { email: admin.email, password: admin.password, next }, { csrf });
      expect(login.status, next).toBe(303);
      expect(login.headers.get('location'), next).toBe('/dashboard/queue');
    }
  });

  it('changes the session id at login and sets HttpOnly, SameSite=Lax cookies', async () => {
    const client = new StaffClient(base);
    const page = await client.page('/dashboard/login');
    const before = client.cookie;
    expect(before).toMatch(/^hub_staff=/);
    expect(client.lastSetCookie).toMatch(/HttpOnly/i);
    expect(client.lastSetCookie).toMatch(/SameSite=Lax/i);
    const login = await client.post('/dashboard/login', { email: admin.email, password: admin.password }, { csrf: csrfIn(page) });
    expect(login.status).toBe(303);
    expect(client.cookie).toMatch(/^hub_staff=/);
    expect(client.cookie).not.toBe(before);
    expect(client.lastSetCookie).toMatch(/HttpOnly/i);
    expect(client.lastSetCookie).toMatch(/SameSite=Lax/i);
    expect(client.lastSetCookie).not.toMatch(/Secure/i); // plain HTTP here; see the TLS test below
    // The pre-login id is worthless now.
    const planted = new StaffClient(base);
    planted.cookie = before;
    expect((await planted.get('/dashboard/queue')).status).toBe(303);
  });

  it('behind TLS (X-Forwarded-Proto with TRUST_PROXY) the cookie is Secure and __Host- prefixed', async () => {
    const tls = await startTestHub('pglite', { env: { TRUST_PROXY: 'true', ACK_ENABLED: 'false' } });
    try {
      const url = `http://127.0.0.1:${await tls.hub.listen(0, '127.0.0.1')}/dashboard/login`;
      const response = await fetch(url, { headers: { 'x-forwarded-proto': 'https' } });
      const cookie = response.headers.getSetCookie()[0]!;
      expect(cookie).toMatch(/^__Host-hub_staff=/);
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/Path=\//);
      expect(cookie).toMatch(/HttpOnly/i);
    } finally {
      await tls.stop();
    }
  });

  it('sends a strict CSP (no unsafe-inline anywhere) and refuses framing on every page', async () => {
    const client = new StaffClient(base);
    await client.login(admin.email, admin.password);
    for (const path of ['/dashboard/login', '/dashboard/queue', '/dashboard/incidents']) {
      const response = await client.get(path);
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toBe(DASHBOARD_CSP);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('cache-control')).toBe('no-store');
      // Nothing inline for the CSP to have to allow.
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html).not.toMatch(/\sstyle=/i);
      expect(html).not.toMatch(/\son[a-z]+=/i);
    }
  });

  it('refuses a POST without (or with a wrong) CSRF token, and changes nothing', async () => {
    const client = new StaffClient(base);
    await client.login(admin.email, admin.password);
    const auditBefore = await t.hub.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const missing = await client.post('/dashboard/logout', {}, { csrf: false });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('did not come from the dashboard');
    const wrong = await client.post('/dashboard/logout', {}, { csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    // Still logged in: the forged logout did nothing.
    expect((await client.get('/dashboard/queue')).status).toBe(200);
    const auditAfter = await t.hub.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(auditAfter.n)).toBe(Number(auditBefore.n));
    // A login POST without the login form's token is refused too.
    const anonymous = new StaffClient(base);
    expect((await anonymous.post('/dashboard/login', { email: admin.email, password: admin.password }, { csrf: false })).status).toBe(403);
  });

  it('throttles logins after repeated failures, even with the right password', async () => {
    const victim = await createStaff(t.hub, 'triage', 'throttled@hub.test');
    const client = new StaffClient(base);
    for (let i = 0; i < 3; i++) {
      const wrong = await client.login(victim.email, 'not the password at all');
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('do not match');
    }
    const locked = await client.login(victim.email, victim.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(await locked.text()).toContain('Too many failed logins');
    // Another account from the same address is not locked by this one's failures.
    const other = new StaffClient(base);
    expect((await other.login(viewer.email, viewer.password)).status).toBe(303);
    const audit = await t.hub.store.db.selectFrom('audit_log').select(['action']).where('staff_email', '=', victim.email).execute();
    expect(audit.map((a) => a.action)).toEqual(['login.failed', 'login.failed', 'login.failed', 'login.throttled']);
  });

  it('answers an unknown account like a wrong password', async () => {
    const client = new StaffClient(base);
    const response = await client.login('nobody@hub.test', 'whatever-password');
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('That email and password do not match an account.');
  });

  it('logs out: the session is gone on the server, not just the cookie', async () => {
    const client = new StaffClient(base);
    await client.login(viewer.email, viewer.password);
    const cookie = client.cookie;
    const out = await client.post('/dashboard/logout', {});
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/dashboard/login');
    const replay = new StaffClient(base);
    replay.cookie = cookie;
    expect((await replay.get('/dashboard/queue')).status).toBe(303);
  });

  it('ends a session after its idle timeout', async () => {
    const client = new StaffClient(base);
    await client.login(viewer.email, viewer.password);
    await t.hub.store.db.updateTable('staff_sessions').set({ last_seen_at: new Date(Date.now() - 3 * 3_600_000) }).where('user_id', 'is not', null).execute();
    expect((await client.get('/dashboard/queue')).status).toBe(303);
  });
});
