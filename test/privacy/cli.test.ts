/**
 * `npm run privacy:export` and `npm run privacy:erase` as an operator runs them: real processes, on
 * a stopped hub's store and through a running hub's operator API. Bad input — an unknown person, a
 * confirmation that does not repeat the address, no person at all — is refused with one clear line
 * and an exit code, and changes nothing.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';
import { runScript } from '../support/processes.js';
import { readZip } from '../support/zip.js';

const ADMIN_TOKEN = 'admin-token-for-privacy-cli-0123456789';
const exportCli = (args: string[], env: Record<string, string>) => runScript('src/privacy/cli/export.ts', args, env);
const eraseCli = (args: string[], env: Record<string, string>) => runScript('src/privacy/cli/erase.ts', args, env);

// A dozen CLI processes in a row (node + tsx start-up each): minutes on a busy machine.
describe('npm run privacy:export and privacy:erase', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let t: TestHub | null = null;
  const out = mkdtempSync(join(tmpdir(), 'hub-privacy-cli-'));
  afterAll(async () => {
    await t?.stop();
    await database?.drop();
  });

  async function rowCounts(): Promise<Record<string, number>> {
    const store = await openStore({ dataDir: database.dataDir, poolSize: 1 });
    try {
      const counts: Record<string, number> = {};
      for (const table of ['contacts', 'conversations', 'messages', 'privacy_requests', 'audit_log'] as const) {
        counts[table] = Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      }
      return counts;
    } finally {
      await store.close();
    }
  }

  it('on a stopped hub’s store: refuses bad input, exports one person, erases them', async () => {
    database = await createTestDatabase('pglite');
    const seeding = await startTestHub('pglite', { database, env: { ACK_ENABLED: 'false' } });
    await seeding.hub.ingest(chatMessage({ id: 'cli-1', user: 'kim', text: 'Please export everything you have about me.' }));
    await seeding.hub.ingest(chatMessage({ id: 'cli-2', user: 'ola', text: 'How do I add a manager?' }));
    await seeding.stop();
    const env = database.env;
    const before = await rowCounts();

    const refused: [() => Promise<{ code: number; stderr: string }>, number, RegExp][] = [
      [() => exportCli(['--email', 'nobody@example.com', '--out', join(out, 'nobody.zip')], env), 1, /nothing in the hub concerns nobody@example\.com/],
      [() => exportCli(['--out', join(out, 'x.zip')], env), 2, /name the person one way/],
      [() => exportCli(['--email', 'kim@example.com'], env), 2, /--out FILE\.zip is required/],
      [() => eraseCli(['--email', 'kim@example.com'], env), 1, /erasure refused: add --confirm kim@example\.com/],
      [() => eraseCli(['--email', 'not-an-address', '--confirm', 'not-an-address'], env), 2, /invalid person/],
    ];
    // One at a time: each opens the embedded store, which one process holds at once.
    for (const [run, code, message] of refused) {
      const answer = await run();
      expect(answer.code, answer.stderr).toBe(code);
      expect(answer.stderr).toMatch(message);
    }
    const mismatch = await eraseCli(['--email', 'kim@example.com', '--confirm', 'ola@example.com'], env);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/the confirmation must repeat kim@example\.com exactly/);
    const unknown = await eraseCli(['--email', 'nobody@example.com', '--confirm', 'nobody@example.com'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nothing in the hub concerns nobody@example\.com/);
    expect(existsSync(join(out, 'nobody.zip'))).toBe(false);
    expect(await rowCounts()).toEqual(before);

    const exported = await exportCli(['--email', 'kim@example.com', '--out', join(out, 'kim.zip')], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/wrote .*kim\.zip: 1 identity, 1 conversation, 1 message/);
    const files = await readZip(readFileSync(join(out, 'kim.zip')));
    expect([...files.values()].map((b) => b.toString()).join('\n')).toContain('Please export everything');
    expect([...files.values()].map((b) => b.toString()).join('\n')).not.toContain('add a manager');
    // An existing file is never replaced.
    const again = await exportCli(['--email', 'kim@example.com', '--out', join(out, 'kim.zip')], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/could not write .*kim\.zip/);

    const erased = await eraseCli(['--email', 'kim@example.com', '--confirm', 'kim@example.com', '--reason', 'ticket 4411'], env);
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toMatch(/hub: removed 1 identity, 1 conversation, 1 message/);
    expect(erased.stdout).toMatch(/erasure [0-9a-f-]{36} finished/);
    const after = await rowCounts();
    expect(after).toMatchObject({ contacts: before['contacts']! - 1, conversations: before['conversations']! - 1, privacy_requests: 1 });
  });

  it('through a running hub: the zip streams from it, and its job does the erasure', async () => {
    t = await startTestHub('pglite', { database, env: { HUB_ADMIN_TOKEN: ADMIN_TOKEN, ACK_ENABLED: 'false' } });
    const base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    const env = { ...database.env, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HUB_URL: base };

    const missing = await exportCli(['--email', 'kim@example.com', '--out', join(out, 'kim-again.zip')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/the running hub refused: nothing in the hub concerns kim@example\.com/);
    expect(existsSync(join(out, 'kim-again.zip'))).toBe(false);

    const exported = await exportCli(['--email', 'ola@example.com', '--out', join(out, 'ola.zip')], env);
    expect(exported.code, exported.stderr).toBe(0);
    const files = await readZip(readFileSync(join(out, 'ola.zip')));
    expect([...files.keys()]).toEqual(expect.arrayContaining(['README.txt', 'person.json']));

    const erased = await eraseCli(['--email', 'ola@example.com', '--confirm', 'ola@example.com'], env);
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toMatch(/worked by the running hub/);
    expect(erased.stdout).toMatch(/erasure [0-9a-f-]{36} finished/);
    expect(await t.hub.store.db.selectFrom('contacts').select('id').execute()).toEqual([]);
  });
});
