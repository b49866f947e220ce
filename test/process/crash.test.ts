import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openStore } from '../../src/store/store.js';
import { backends, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { waitFor } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';
import { freePort, killAll, startHubProcess, startMain } from '../support/processes.js';

const databases: TestDatabase[] = [];
async function database(backend: 'pglite' | 'postgres') {
  const db = await createTestDatabase(backend);
  databases.push(db);
  return db;
}
afterEach(() => killAll());
afterAll(async () => {
  killAll();
  for (const db of databases) await db.drop();
});

// Jobs held by a killed process come back after their expiry; check for that often.
const fastRecovery = { JOBS_MAINTENANCE_INTERVAL_SECONDS: '1' };

describe.each(backends)('crash safety on %s', (backend) => {
  it('a hub SIGKILLed after a job effect but before completion: after restart the job completes and its effect exists once', async () => {
    const db = await database(backend);
    const doomed = await startHubProcess({ ...db.env, ...fastRecovery, FIXTURE_CRASH_AFTER_PROBE_EFFECT: '1', FIXTURE_TAG: 'doomed' });
    await doomed.call({ type: 'enqueueProbes', probeIds: ['crash-1'] });
    const death = await doomed.exited;
    expect(death.signal).toBe('SIGKILL');

    const survivor = await startHubProcess({ ...db.env, ...fastRecovery, FIXTURE_TAG: 'survivor' });
    const status = await waitFor(
      async () => {
        const s = await survivor.call<{ effects: string[]; jobStates: string[] }>({ type: 'probeStatus', probeId: 'crash-1' });
        return s.jobStates.includes('completed') ? s : null;
      },
      60_000,
      'the interrupted job to complete after restart',
    );
    // The effect was made once, by the process that was killed; the retry saw it and did not redo it.
    expect(status.effects).toEqual(['doomed']);
    expect(status.jobStates).toEqual(['completed']);
    await survivor.call({ type: 'stop' });
  });
});

describe('embedded store process lifecycle', () => {
  // One test, so the hub that took over the stale lock is also the one a second hub runs into
  // (each hub start is node + tsx + PGlite: seconds of CI time).
  it('kill -9 of a running hub: the next start takes over the stale lock and nothing committed is lost; a second hub on that directory then exits at once, naming the pid that holds it', async () => {
    const db = await database('pglite');
    const first = await startHubProcess(db.env);
    const messages = Array.from({ length: 200 }, (_, i) => chatMessage({ id: `kill9-${i}`, user: `u${i % 20}` }));
    await first.call({ type: 'ingest', messages });
    first.child.kill('SIGKILL');
    await first.exited;

    const port = await freePort();
    const hub = startMain({ ...db.env, PORT: String(port) });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 30_000, '/readyz 200');

    const second = startMain({ ...db.env, PORT: String(await freePort()) });
    const started = Date.now();
    expect(await second.exited).not.toBe(0);
    // "At once": it does not wait for the first hub to go away (node and tsx start-up on a busy machine aside).
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(second.output()).toContain(`is in use by another hub process (pid ${hub.child.pid}`);
    // The running hub is unharmed.
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    const stoppedAt = Date.now();
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    // Not a speed check: a graceful stop must not hang (the drain has its own deadline), on a busy machine too.
    expect(Date.now() - stoppedAt).toBeLessThan(60_000);

    const store = await openStore({ dataDir: db.dataDir, poolSize: 2 });
    try {
      const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE source_message_id LIKE 'kill9-%'`.execute(store.db);
      expect(count.rows[0]!.n).toBe(200);
    } finally {
      await store.close();
    }
  });

  it('a restart keeps the data', async () => {
    const db = await database('pglite');
    const first = await startHubProcess(db.env);
    await first.call({ type: 'ingest', messages: [chatMessage({ id: 'keep-1', user: 'keeper' })] });
    await first.call({ type: 'stop' }).catch(() => {});
    await first.exited;
    const second = await startHubProcess(db.env);
    const ids = await second.call<string[]>({ type: 'ingest', messages: [chatMessage({ id: 'keep-1', user: 'keeper' })] });
    expect(ids).toHaveLength(1);
    await second.call({ type: 'stop' }).catch(() => {});
    const store = await openStore({ dataDir: db.dataDir, poolSize: 2 });
    try {
      const rows = await store.db.selectFrom('messages').select('id').where('source_message_id', '=', 'keep-1').execute();
      expect(rows.map((r) => r.id)).toEqual(ids);
    } finally {
      await store.close();
    }
  });
});

const serverUrl = process.env['TEST_DATABASE_URL'];
describe.skipIf(!serverUrl)('several hub processes on one PostgreSQL server (skipped without TEST_DATABASE_URL)', () => {
  it('two processes share 1,000 jobs, each doing at least 20%, each effect recorded exactly once', async () => {
    const db = await database('postgres');
    const a = await startHubProcess({ ...db.env, FIXTURE_TAG: 'a' });
    const b = await startHubProcess({ ...db.env, FIXTURE_TAG: 'b' });
    const probeIds = Array.from({ length: 1000 }, (_, i) => `shared-${i}`);
    await a.call({ type: 'enqueueProbes', probeIds: probeIds.slice(0, 500) });
    await b.call({ type: 'enqueueProbes', probeIds: probeIds.slice(500) });
    const store = await openStore({ dataDir: db.dataDir, databaseUrl: db.env['DATABASE_URL'], poolSize: 2 });
    try {
      await waitFor(async () => {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ops_probes WHERE probe_id LIKE 'shared-%'`.execute(store.db);
        return r.rows[0]!.n >= 1000;
      }, 120_000, '1,000 probe effects');
      await waitFor(async () => {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'ops.probe' AND state = 'completed' AND data->>'probeId' LIKE 'shared-%'`.execute(store.db);
        return r.rows[0]!.n === 1000;
      }, 60_000, '1,000 completed jobs');
      const perProbe = await sql<{ probe_id: string; n: number }>`
        SELECT probe_id, count(*)::int AS n FROM ops_probes WHERE probe_id LIKE 'shared-%' GROUP BY probe_id HAVING count(*) <> 1`.execute(store.db);
      expect(perProbe.rows).toEqual([]);
      const byProcess = await sql<{ handled_by: string; n: number }>`
        SELECT handled_by, count(*)::int AS n FROM ops_probes WHERE probe_id LIKE 'shared-%' GROUP BY handled_by`.execute(store.db);
      const shares = Object.fromEntries(byProcess.rows.map((r) => [r.handled_by, r.n]));
      expect(shares['a']! + shares['b']!).toBe(1000);
      expect(shares['a']).toBeGreaterThanOrEqual(200);
      expect(shares['b']).toBeGreaterThanOrEqual(200);
    } finally {
      await store.close();
    }
    await Promise.all([a.call({ type: 'stop' }).catch(() => {}), b.call({ type: 'stop' }).catch(() => {})]);
  });

  it('an event published in process A is received in process B', async () => {
    const db = await database('postgres');
    const a = await startHubProcess(db.env);
    const b = await startHubProcess(db.env);
    await a.call({ type: 'publish', event: { type: 'probe', probeId: 'hello-b', origin: 'a' } });
    await waitFor(() => b.events.find((e) => e.type === 'probe' && e.probeId === 'hello-b'), 10_000, 'the event in B');
    // And a committed ingest in B is announced in A.
    const [messageId] = await b.call<string[]>({ type: 'ingest', messages: [chatMessage({ id: 'cross-1', user: 'x' })] });
    await waitFor(() => a.events.find((e) => e.type === 'message.created' && e.messageId === messageId), 10_000, 'the ingest event in A');
    await Promise.all([a.call({ type: 'stop' }).catch(() => {}), b.call({ type: 'stop' }).catch(() => {})]);
  });
});
