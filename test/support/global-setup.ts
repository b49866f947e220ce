import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import pino from 'pino';
import { JobQueue } from '../../src/jobs/queue.js';
import { migrate } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/store.js';

/**
 * A new PGlite data directory costs ~4 s of initdb. Build one migrated template (our schema and
 * pg-boss's) per test run; each suite copies it.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'hub-template-'));
  const store = await openStore({ dataDir: dir, poolSize: 2 });
  await migrate(store);
  const queue = new JobQueue(store, pino({ level: 'silent' }), { concurrency: 0, maintenanceIntervalSeconds: 60 });
  await queue.start(null);
  await queue.stop(1000);
  await store.close();
  project.provide('pgliteTemplate', join(dir, 'pg'));
  if (!process.env['TEST_DATABASE_URL']) {
    console.log('postgres backend: skipped (set TEST_DATABASE_URL=postgres://… to run the database suites on a server too)');
  }
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}
