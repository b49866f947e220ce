import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { helpdeskChatAddress } from '../../src/capabilities/helpdesk.js';
import { openStore } from '../../src/store/store.js';
import type { FakeHelpdesk } from '../fakes/helpdesk-fake.js';
import { startFakeHelpScout } from '../fakes/helpscout/server.js';
import { backends, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { waitFor } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';
import { whereMentioned } from '../support/person-scan.js';
import { killAll, startHubProcess } from '../support/processes.js';

const ADMIN = 'admin-token-0123456789abcdefghij';
const databases: TestDatabase[] = [];
const fakes: FakeHelpdesk[] = [];
afterEach(() => killAll());
afterAll(async () => {
  killAll();
  for (const db of databases) await db.drop();
  for (const fake of fakes) await fake.close();
});

/**
 * Issue 27: a hub SIGKILLed in the middle of an erasure — its own copy erased and committed, the
 * helpdesk's deletion in flight — finishes it after a restart: once (one "done" in the audit log),
 * with nothing of the person left in the hub or the helpdesk.
 */
describe.each(backends)('an erasure interrupted by SIGKILL on %s', (backend) => {
  it('resumes at the next start and finishes once', async () => {
    const db = await createTestDatabase(backend);
    databases.push(db);
    const fake = await startFakeHelpScout();
    fakes.push(fake);
    const env = { ...db.env, ...fake.env, HUB_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' };
    const admin = (port: number, method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (res) => ({ status: res.status, json: (await res.json()) as Record<string, any> }));

    const first = await startHubProcess(env);
    const messages = ['The export is broken', 'Still broken, please help', 'Any news?'].map((text, i) => chatMessage({ id: `crash-erase-${i}`, user: 'kim', thread: `t-${i % 2}`, text }));
    await first.call({ type: 'ingest', messages });
    const other = chatMessage({ id: 'crash-other', user: 'ola', text: 'How do I add a manager?' });
    await first.call({ type: 'ingest', messages: [other] });
    await waitFor(() => fake.conversations().length === 3, 60_000, 'three conversations in Help Scout');

    // Deletions at Help Scout now take 8 s each: the erasure is caught between its two halves.
    fake.setFaults({ slowRate: 1, slowMs: 8000 });
    const asked = await admin(first.port, 'POST', '/admin/privacy/erase', { person: { email: 'kim@example.com' }, confirm: 'kim@example.com', reason: 'crash test' });
    expect(asked.status).toBe(202);
    const requestId = asked.json['requestId'] as string;
    await waitFor(async () => (await admin(first.port, 'GET', `/admin/privacy/erasures/${requestId}`)).json['state'] === 'helpdesks', 30_000, 'the hub’s own copy erased');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(fake.conversations()).toHaveLength(3);

    fake.setFaults({ slowRate: 0 });
    const second = await startHubProcess(env);
    const report = await waitFor(
      async () => {
        const r = await admin(second.port, 'GET', `/admin/privacy/erasures/${requestId}`);
        return r.json['state'] === 'done' ? r.json : null;
      },
      60_000,
      'the erasure finished after restart',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nsecond hub's output:\n${second.output()}`);
    });
    expect(report['helpdesks'][0]).toMatchObject({ integration: 'helpscout', state: 'done' });
    await second.call({ type: 'stop' });
    await second.exited;

    expect(fake.conversations().map((c) => c.customerEmail)).not.toContain('kim@example.com');
    expect(fake.conversations()).toHaveLength(1);
    const store = await openStore({ dataDir: db.dataDir, databaseUrl: db.env['DATABASE_URL'], poolSize: 2 });
    try {
      const done = await store.db.selectFrom('audit_log').select('action').where('action', '=', 'privacy.erase.done').execute();
      expect(done).toHaveLength(1);
      const contacts = await store.db.selectFrom('contacts').select(['id', 'email']).execute();
      expect(contacts.map((c) => c.email)).toEqual(['ola@example.com']);
      expect(await whereMentioned(store.db, ['kim@example.com', 'User kim', 'app1:kim', 'The export is broken'])).toEqual([]);
      expect(fake.conversations().some((c) => c.customerEmail === helpdeskChatAddress(contacts[0]!.id))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
