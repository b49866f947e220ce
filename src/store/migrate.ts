import { sql } from 'kysely';
import { latestVersion, migrations, type Migration } from './migrations/index.js';
import type { Store } from './store.js';

// Any constant works; it only has to be the same in every hub process sharing a database.
const MIGRATION_LOCK_KEY = 4_873_190_552;

/**
 * Applies pending migrations, each in its own transaction under an advisory lock, so several hub
 * processes starting at once against one PostgreSQL server apply each migration exactly once.
 */
export async function migrate(store: Store, list: Migration[] = migrations): Promise<number[]> {
  await sql`CREATE TABLE IF NOT EXISTS hub_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`.execute(store.db);
  const applied: number[] = [];
  for (const migration of [...list].sort((a, b) => a.version - b.version)) {
    const done = await store.transaction(async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(tx);
      const existing = await tx
        .selectFrom('hub_migrations')
        .select('version')
        .where('version', '=', migration.version)
        .executeTakeFirst();
      if (existing) return false;
      for (const statement of migration.statements) await sql.raw(statement).execute(tx);
      await tx.insertInto('hub_migrations').values({ version: migration.version, name: migration.name }).execute();
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}

export interface MigrationStatus {
  current: number;
  latest: number;
}

export async function migrationStatus(store: Store): Promise<MigrationStatus> {
  const table = await sql<{ exists: boolean }>`SELECT to_regclass('hub_migrations') IS NOT NULL AS exists`.execute(store.db);
  if (!table.rows[0]?.exists) return { current: 0, latest: latestVersion };
  const row = await sql<{ current: number | null }>`SELECT max(version) AS current FROM hub_migrations`.execute(store.db);
  return { current: row.rows[0]?.current ?? 0, latest: latestVersion };
}
