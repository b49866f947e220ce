import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../src/config.js';
import type { AnyIntegration } from '../../src/capabilities/integration.js';

export type BackendName = 'pglite' | 'postgres';

/** The database suites run on PGlite always, and on a PostgreSQL server when one is given. */
export const backends: BackendName[] = process.env['TEST_DATABASE_URL'] ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  backend: BackendName;
  /** Environment for a hub on this database (HUB_DATA_DIR or DATABASE_URL). */
  env: Record<string, string>;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh, empty-but-migrated PGlite directory, or a fresh database on the PostgreSQL server. */
export async function createTestDatabase(backend: BackendName): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-test-'));
  if (backend === 'pglite') {
    cpSync(inject('pgliteTemplate'), join(dataDir, 'pg'), { recursive: true });
    return { backend, env: { HUB_DATA_DIR: dataDir }, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const serverUrl = process.env['TEST_DATABASE_URL']!;
  const name = `hub_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    backend,
    env: { DATABASE_URL: url.toString(), HUB_DATA_DIR: dataDir },
    dataDir,
    async drop() {
      // Connections of a stopped hub may still be closing; forcing them mid-goodbye makes their
      // clients emit errors nobody listens to any more. Give them a moment first.
      for (let i = 0; i < 50 && (await connectionsTo(serverUrl, name)) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function connectionsTo(serverUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const result = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]);
    return result.rows[0]!.n;
  } finally {
    await client.end();
  }
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export function testConfig(
  database: TestDatabase,
  env: Record<string, string> = {},
  integrations: readonly AnyIntegration[] = [],
): LoadedConfig {
  // Tests run offline: sender authentication (DNS) is off unless a test turns it on with its own resolver.
  return loadConfig(integrations, { LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', MAIL_CHECK_SENDERS: 'false', ...database.env, ...env });
}
