import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { runScript } from '../support/processes.js';

/**
 * `npm run doctor` on the Help Scout sidebar (issue 24): the secret's shape for the kind
 * configured, and with HUB_PUBLIC_URL the app's page probed signed (and unsigned) on a running hub.
 */
const APP_SECRET = 'doctor-app-secret-0123456789abcdef';
const doctor = (env: Record<string, string>) => runScript('src/ops/cli/doctor.ts', [], env);
const lineOf = (stdout: string, pattern: RegExp) => stdout.split('\n').find((l) => pattern.test(l)) ?? '';
const lineAfter = (stdout: string, line: string) => stdout.split('\n')[stdout.split('\n').indexOf(line) + 1] ?? '';

describe('npm run doctor: the Help Scout sidebar', { timeout: 180_000 }, () => {
  let t: TestHub;
  let base: string;
  let database: TestDatabase;

  beforeAll(async () => {
    t = await startTestHub('pglite', { integrations: [helpscout], env: { HELPSCOUT_APP_SECRET: APP_SECRET } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    database = await createTestDatabase('pglite');
  });
  afterAll(async () => {
    await t?.stop();
    await database?.drop();
  });

  it('probes the app URL signed: OK against the hub with the same secret, FAIL with the fix against one with another', async () => {
    const good = await doctor({ ...database.env, HUB_PUBLIC_URL: base, HELPSCOUT_APP_SECRET: APP_SECRET });
    expect(lineOf(good.stdout, /sidebar app secret/)).toMatch(/^OK\s+Help Scout\s+sidebar app secret\s+HELPSCOUT_APP_SECRET is set \(34 characters\)/);
    expect(lineOf(good.stdout, /sidebar app URL/)).toMatch(/^OK\s+Help Scout\s+sidebar app URL\s+.*answers a signed probe with the app page and refuses an unsigned one/);

    const other = await doctor({ ...database.env, HUB_PUBLIC_URL: base, HELPSCOUT_APP_SECRET: 'another-app-secret-0123456789abcdef' });
    const failed = lineOf(other.stdout, /sidebar app URL/);
    expect(failed).toMatch(/^FAIL\s+Help Scout\s+sidebar app URL\s+.*refused the signed probe: the hub there has another HELPSCOUT_APP_SECRET/);
    expect(lineAfter(other.stdout, failed)).toMatch(/fix: Check that HUB_PUBLIC_URL reaches this hub/);
    expect(other.code).not.toBe(0);
  });

  it('warns about a guessable legacy secret and about having only the legacy kind; without HUB_PUBLIC_URL the app is not probed', async () => {
    const legacy = await doctor({ ...database.env, HELPSCOUT_SIDEBAR_SECRET: 'aaaaaaaaaaaa' });
    const short = lineOf(legacy.stdout, /sidebar secret \(Dynamic App/);
    expect(short).toMatch(/^WARN\s+Help Scout\s+sidebar secret \(Dynamic App, legacy\)\s+HELPSCOUT_SIDEBAR_SECRET is 12 characters with 1 different ones/);
    expect(lineAfter(legacy.stdout, short)).toMatch(/fix: Generate one \(openssl rand -hex 20/);
    expect(lineOf(legacy.stdout, /sidebar kind/)).toMatch(/^WARN\s+Help Scout\s+sidebar kind\s+only the legacy Dynamic App is configured/);

    const unprobed = await doctor({ ...database.env, HELPSCOUT_APP_SECRET: APP_SECRET });
    expect(lineOf(unprobed.stdout, /sidebar app URL/)).toMatch(/^WARN\s+Help Scout\s+sidebar app URL\s+HUB_PUBLIC_URL is not set/);
  });
});
