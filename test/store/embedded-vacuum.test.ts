import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { startEmbeddedVacuum } from '../../src/store/embedded-vacuum.js';
import { openStore, type Store } from '../../src/store/store.js';

// PGlite has no autovacuum: without the hub's own pass, dead row versions stay for good.
describe('embedded store vacuum', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ inMemory: true, dataDir: '/tmp/hub-vacuum-test' } as never);
    await sql`CREATE TABLE churn (id int PRIMARY KEY, state text NOT NULL)`.execute(store.db);
    await sql`CREATE INDEX churn_waiting ON churn (id) WHERE state = 'waiting'`.execute(store.db);
    await sql`INSERT INTO churn SELECT g, 'waiting' FROM generate_series(1, 2000) g`.execute(store.db);
    // A queue's life: every row taken, then done — each update leaves a dead version behind.
    await sql`UPDATE churn SET state = 'active'`.execute(store.db);
    await sql`UPDATE churn SET state = 'done'`.execute(store.db);
  });
  afterAll(() => store?.close());

  const churnStats = async () => {
    const rows = await sql<{ n_dead_tup: number; last_vacuum: Date | null; last_analyze: Date | null }>`
      SELECT n_dead_tup::int, last_vacuum, last_analyze FROM pg_stat_all_tables WHERE relname = 'churn'`.execute(store.db);
    return rows.rows[0]!;
  };
  // PostgreSQL publishes a session's table statistics at most once a second.
  const statsFlushed = () => new Promise((resolve) => setTimeout(resolve, 1200)).then(() => sql`SELECT 1`.execute(store.db));

  it('vacuums and analyses a table whose dead rows pass autovacuum’s default threshold, and leaves quiet ones alone', async () => {
    await statsFlushed();
    await statsFlushed();
    const before = await churnStats();
    expect(before.n_dead_tup).toBeGreaterThan(450); // 50 + 20% of 2,000 live rows
    expect(before.last_vacuum).toBeNull();
    const vacuum = startEmbeddedVacuum(store, pino({ level: 'silent' }), 3_600_000);
    const done = await vacuum.pass();
    expect(done).toContain('vacuum public.churn');
    const after = await churnStats();
    expect(after.last_vacuum).not.toBeNull();
    expect(after.last_analyze).not.toBeNull();
    // Nothing changed since: the next pass has nothing to do for it.
    await statsFlushed();
    expect(await vacuum.pass()).not.toContain('vacuum public.churn');
    await vacuum.stop();
  });
});
