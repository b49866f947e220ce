import { integrations } from '../../integrations/index.js';
import { ConfigError, loadConfig } from '../config.js';
import { DataDirInUseError } from './datadir-lock.js';
import { migrate, migrationStatus } from './migrate.js';
import { openStore } from './store.js';
import { exitWithUsageIfAsked } from '../cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run migrate',
  description: 'Applies pending database migrations to the configured store and prints the schema version. The hub also does this at start; on the embedded store, stop the hub first (it holds the data directory).',
  environment: [['HUB_CONFIG', 'a JSON or YAML settings file'], ['HUB_DATA_DIR', 'the embedded store directory'], ['DATABASE_URL', 'a PostgreSQL server instead of the embedded store']],
});

/** `npm run migrate`: applies pending migrations to the configured store and reports the version. */
try {
  const { config } = loadConfig(integrations);
  const store = await openStore({ dataDir: config.store.dataDir, databaseUrl: config.store.databaseUrl, poolSize: 2 });
  try {
    const applied = await migrate(store);
    const status = await migrationStatus(store);
    console.log(
      applied.length > 0
        ? `applied migrations ${applied.join(', ')}; schema is at version ${status.current}`
        : `schema is up to date at version ${status.current}`,
    );
  } finally {
    await store.close();
  }
} catch (error) {
  if (error instanceof ConfigError || error instanceof DataDirInUseError) {
    console.error(error.message);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  throw error;
}
