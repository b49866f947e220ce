import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveStaffUser } from '../../src/dashboard/staff-users.js';
import { migrate } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/store.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.js';
import { startFakeHelpScout, type FakeHelpScout } from '../fakes/helpscout/index.js';
import { startFakeStripe, type FakeStripe } from '../fakes/stripe/index.js';
import { startFakeZendesk, type FakeZendesk } from '../fakes/zendesk/index.js';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { DOVECOT, startDovecot } from '../support/dovecot.js';
import { freePort, runScript } from '../support/processes.js';
import { smtpSink } from '../support/smtp-sink.js';


/** `npm run doctor` as an operator runs it: a real process, the configuration in its environment. */
const doctor = (env: Record<string, string>) => runScript('src/ops/cli/doctor.ts', [], env);

const failLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('FAIL'));
const warnLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('WARN'));
/** The line under `line`: where a FAIL or WARN prints its fix. */
const lineAfter = (stdout: string, line: string) => stdout.split('\n')[stdout.split('\n').indexOf(line) + 1] ?? '';

/**
 * Issue 11 "must show": with one wrong token exactly that line is FAIL with a hint and the exit
 * code is non-zero; with everything right every line is OK and the exit code 0. Also: Zendesk
 * triggers that would mail customers a second copy fail their own line.
 */
// Each case runs doctor as a process against fakes: minutes, not seconds, on a busy machine.
describe('npm run doctor', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let hs: FakeHelpScout;
  let zd: FakeZendesk;
  let st: FakeStripe;
  let gh: FakeGitHub;
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    [hs, zd, st, gh, sink] = await Promise.all([startFakeHelpScout(), startFakeZendesk(), startFakeStripe(), startFakeGitHub(), smtpSink()]);
    database = await createTestDatabase('pglite');
    const store = await openStore({ dataDir: database.dataDir, poolSize: 2 });
    await migrate(store);
    await saveStaffUser(store, { email: 'lead@example.com', role: 'admin', password: 'a-long-enough-password' }, 'test');
    await store.close();
    env = {
      ...database.env,
      ...hs.env,
      ...zd.env,
      ...st.env,
      ...gh.env,
      SYNC_HELPDESK: 'helpscout',
      HUB_PUBLIC_URL: 'https://support.example.com',
      MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      MAIL_FROM: 'Acme Support <support@acme.example>',
      CHAT_APP_ID: 'acme-app',
      CHAT_IDENTITY_SECRET: 'chat-identity-secret-0123456789',
    };
  });
  afterAll(async () => {
    await database?.drop();
    await Promise.all([hs?.close(), zd?.close(), st?.close(), gh?.close(), sink?.close()]);
  });

  it('everything right: every line OK, exit 0', async () => {
    const result = await doctor(env);
    expect(result.stderr).toBe('');
    expect(failLines(result.stdout)).toEqual([]);
    expect(warnLines(result.stdout)).toEqual([]);
    for (const expected of [/OK\s+hub\s+chat\s+chat app acme-app/, /OK\s+hub\s+email\s+.*sends mail through 127\.0\.0\.1/, /OK\s+hub\s+helpdesk\s+.*Help Scout/, /OK\s+database\s+reachable/, /OK\s+database\s+migrations\s+schema at version/, /OK\s+dashboard\s+admin account/, /OK\s+Help Scout\s+helpdesk connection/, /OK\s+Zendesk\s+helpdesk connection/, /OK\s+Zendesk\s+customer notifications/, /OK\s+Stripe\s+accountData connection/, /OK\s+GitHub\s+escalation connection/, /OK\s+Help Scout\s+webhook secret/, /OK\s+email\s+outbound SMTP/, /OK\s+hub\s+public URL/]) {
      expect(result.stdout).toMatch(expected);
    }
    expect(result.stdout).toMatch(/all \d+ checks OK/);
    expect(result.code).toBe(0);
  });

  it('one wrong token: exactly that line FAILs, with a hint, and the exit code is non-zero', async () => {
    const result = await doctor({ ...env, GITHUB_TOKEN: 'ghp_this_token_is_wrong_000000000000' });
    const failed = failLines(result.stdout);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^FAIL\s+GitHub\s+escalation connection/);
    const next = result.stdout.split('\n')[result.stdout.split('\n').indexOf(failed[0]!) + 1]!;
    expect(next).toMatch(/^\s+fix: .*GITHUB_TOKEN/);
    expect(result.stdout).not.toContain('ghp_this_token_is_wrong'); // never echoes a secret
    expect(result.code).toBe(1);
  });

  it('a Zendesk trigger that would mail customers a second copy fails its own line', async () => {
    zd.setTriggersExcludeHubTag(false);
    try {
      const result = await doctor(env);
      const failed = failLines(result.stdout);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/^FAIL\s+Zendesk\s+customer notifications\s+.*hub_delivered/);
      expect(result.stdout).toMatch(/fix: .*Tags contains none of hub_delivered/);
      expect(result.code).toBe(1);
    } finally {
      zd.setTriggersExcludeHubTag(true);
    }
  });

  it('a missing webhook secret and an unreachable SMTP relay are named with their fixes', async () => {
    const { HELPSCOUT_WEBHOOK_SECRET: _dropped, ...rest } = env;
    const result = await doctor({ ...rest, MAIL_SMTP_URL: 'smtp://mailer:hunter2-smtp-password@127.0.0.1:1' });
    const failed = failLines(result.stdout);
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/^FAIL\s+Help Scout\s+webhook secret\s+HELPSCOUT_WEBHOOK_SECRET is not set/);
    expect(failed[1]).toMatch(/^FAIL\s+email\s+outbound SMTP/);
    expect(result.stdout).not.toContain('hunter2-smtp-password');
    expect(result.code).toBe(1);
  });

  it('nothing configured: says exactly what is not configured and how to configure it', async () => {
    const fresh = await createTestDatabase('pglite');
    try {
      const result = await doctor(fresh.env);
      expect(result.stdout).not.toContain('runs on its own');
      for (const [part, detail, fix] of [
        ['chat', /no chat app is configured/, /CHAT_APP_ID.*CHAT_IDENTITY_SECRET/],
        ['email', /no mail is received or sent/, /MAIL_INBOUND_ADDRESS.*MAIL_SMTP_URL/],
        ['helpdesk', /no helpdesk is connected/, /HELPSCOUT_.*ZENDESK_/],
      ] as const) {
        const line = warnLines(result.stdout).find((l) => new RegExp(`^WARN\\s+hub\\s+${part}\\s`).test(l));
        expect(line, part).toMatch(detail);
        expect(lineAfter(result.stdout, line!), part).toMatch(fix);
      }
      // Nobody can log in yet: that is the one thing that fails, with the command that fixes it.
      const failed = failLines(result.stdout);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/^FAIL\s+dashboard\s+admin account/);
      expect(lineAfter(result.stdout, failed[0]!)).toMatch(/fix: npm run user:create/);
      expect(result.code).toBe(1);
    } finally {
      await fresh.drop();
    }
  });

  it('an optional setting left out (STRIPE_WEBHOOK_SECRET) is a WARN with its fix and the run still exits 0', async () => {
    const { STRIPE_WEBHOOK_SECRET: _dropped, ...rest } = env;
    const result = await doctor(rest);
    expect(failLines(result.stdout)).toEqual([]);
    const warned = warnLines(result.stdout);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^WARN\s+Stripe\s+webhook secret\s+STRIPE_WEBHOOK_SECRET is not set/);
    expect(lineAfter(result.stdout, warned[0]!)).toMatch(/^\s+fix: .*STRIPE_WEBHOOK_SECRET/);
    expect(result.stdout).toMatch(/checks OK, 1 warning/);
    expect(result.code).toBe(0);
  });

  it('Stripe unreachable over the network: the FAIL names the host and the error code, and says what to check', async () => {
    const closedPort = await freePort(); // free a moment ago: nothing listens there
    const result = await doctor({ ...env, STRIPE_API_BASE: `http://127.0.0.1:${closedPort}` });
    const failed = failLines(result.stdout);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^FAIL\s+Stripe\s+accountData connection\s+Stripe could not be reached.*ECONNREFUSED/);
    const fix = lineAfter(result.stdout, failed[0]!);
    expect(fix).toMatch(/^\s+fix: .*ECONNREFUSED/);
    expect(fix).toContain(`127.0.0.1:${closedPort}`);
    expect(fix).toMatch(/STRIPE_API_BASE.*DNS.*firewall or outbound proxy/);
    expect(result.code).toBe(1);
  });

  it('an invalid configuration exits 2 naming the setting', async () => {
    const result = await doctor({ ...env, PORT: 'not-a-port' });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^FAIL\s+config\s+valid\s+.*http\.port/m);
  });
});

describe.skipIf(!existsSync(DOVECOT))('npm run doctor: IMAP against a real dovecot (skipped: /usr/sbin/dovecot is not installed)', () => {
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let database: TestDatabase;
  let sink: Awaited<ReturnType<typeof smtpSink>>;

  beforeAll(async () => {
    [dovecot, database, sink] = await Promise.all([startDovecot(), createTestDatabase('pglite'), smtpSink()]);
    const client = await dovecot.client('support');
    await client.mailboxCreate('Support').catch(() => undefined);
    await client.logout();
  });
  afterAll(async () => {
    await dovecot?.stop();
    await database?.drop();
    await sink?.close();
  });

  const env = (url: string) => ({
    ...database.env,
    MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    MAIL_FROM: 'Acme Support <support@acme.example>',
    MAIL_INBOUND_ADDRESS: 'support@acme.example',
    MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef', MAIL_IMAP_URL: url, DASHBOARD_ENABLED: 'false', HUB_PUBLIC_URL: 'https://support.example.com' });

  it('a working IMAP folder is OK; a wrong password fails that line with its fix, never printing the password', async () => {
    const good = await doctor(env(dovecot.url('support', 'Support')));
    expect(good.stdout).toMatch(/^OK\s+email\s+IMAP\s+support@127\.0\.0\.1: folder Support has 0 message\(s\)/m);
    expect(failLines(good.stdout)).toEqual([]);
    expect(good.code).toBe(0);

    const wrong = await doctor(env(`imap://support:not-the-imap-password@127.0.0.1:${dovecot.port}/Support`));
    const failed = failLines(wrong.stdout);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^FAIL\s+email\s+IMAP/);
    expect(wrong.stdout).toMatch(/fix: Check the user and password in MAIL_IMAP_URL/);
    expect(wrong.stdout).not.toContain('not-the-imap-password');
    expect(wrong.code).toBe(1);
  });
});
