/**
 * `npm run privacy:retention -- [--dry-run]`
 *
 * Runs the retention policy now (the hub's daily job runs the same thing): per kind of data, what
 * is past its keeping period is removed in committed batches, and one audit row records the
 * counts. `--dry-run` only counts. Against a PostgreSQL server it runs beside live hubs (each batch
 * locks only its own rows). The embedded store is held by a running hub, so there the command
 * refuses and points at the hub's daily job instead.
 */
import { integrations } from '../../../integrations/index.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';
import { ConfigError, loadConfig } from '../../config.js';
import { DataDirInUseError } from '../../store/datadir-lock.js';
import { migrate } from '../../store/migrate.js';
import { openStore } from '../../store/store.js';
import { retentionReport } from '../retention/report.js';
import { runRetention } from '../retention/run.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run privacy:retention -- [--dry-run]',
  description:
    'Removes what is past its keeping period (raw MIME, attachment bytes, message bodies of closed conversations, audit rows; see RETENTION_* settings) and prints the counts per kind with their cutoff dates and the runtime. The hub runs the same daily. Works on a PostgreSQL server while hubs run; on the embedded store only while no hub holds it.',
  options: [['--dry-run', 'count what would be removed, change nothing']],
  environment: [
    ['HUB_CONFIG', 'a JSON or YAML settings file'],
    ['HUB_DATA_DIR', 'the embedded store directory'],
    ['DATABASE_URL', 'a PostgreSQL server instead of the embedded store'],
    ['RETENTION_*', 'the keeping periods (README, Configuration)'],
  ],
});

const USAGE = 'usage: npm run privacy:retention -- [--dry-run]';

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--dry-run');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}\n${USAGE}`);
    return 2;
  }
  const dryRun = argv.includes('--dry-run');
  const { config } = loadConfig(integrations);
  const where = config.store.databaseUrl ? 'the PostgreSQL server' : `the embedded store (${config.store.dataDir})`;
  const store = await openStore({ dataDir: config.store.dataDir, databaseUrl: config.store.databaseUrl, poolSize: 2 });
  try {
    await migrate(store);
    const run = await runRetention(store, config.retention, { dryRun, actor: 'cli:privacy:retention' });
    console.log(retentionReport(run, where));
    return 0;
  } finally {
    await store.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = 2;
  } else if (error instanceof DataDirInUseError) {
    // Only one process may open the embedded store, and a retention run can outlast an operator
    // API request: the hub that holds the store runs retention itself, daily.
    console.error(
      `${error.message.split(';')[0]}.\nA running hub applies the retention settings itself: its daily job (privacy.retention, due at ${String(loadConfig(integrations).config.retention.runHourUtc).padStart(2, '0')}:00 UTC) records each run's counts in the audit log. To run now or see a dry run, stop the hub first.`,
    );
    process.exitCode = 1;
  } else {
    throw error;
  }
}
