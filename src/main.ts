import { integrations } from '../integrations/index.js';
import { ConfigError, loadConfig } from './config.js';
import { startHub } from './hub.js';
import { hubLogger } from './log.js';
import { openLocalAdmin } from './ops/local-admin.js';
import { logNextSteps } from './ops/next-steps.js';
import { DataDirInUseError } from './store/datadir-lock.js';
import { exitWithUsageIfAsked } from './cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm start',
  description: 'Starts the hub: reads the configuration (environment and the HUB_CONFIG file), opens the store, applies migrations and serves HTTP (and SMTP when mail is configured) until SIGINT or SIGTERM. Every setting: README › Configuration, or npm run config:table.',
  environment: [['HUB_CONFIG', 'a JSON or YAML settings file'], ['HUB_DATA_DIR', 'the embedded store directory'], ['DATABASE_URL', 'a PostgreSQL server instead of the embedded store'], ['PORT, HOST', 'where HTTP listens (default 3000 on 0.0.0.0)'], ['LOG_LEVEL', 'pino log level (default info)']],
});

/** Process entry: config → hub → HTTP; a signal stops it gracefully within the shutdown budget. */
async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(integrations);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = hubLogger(loaded.config);
  let hub;
  try {
    hub = await startHub(loaded, { integrations, log });
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      process.stderr.write(`support-hub: ${error.message}\n`);
      process.exit(1);
    }
    log.fatal({ err: error }, 'hub failed to start');
    process.exit(1);
  }
  const port = await hub.listen();
  log.info(
    { port, host: loaded.config.http.host, backend: hub.store.backend, integrations: hub.registry.status(), config: loaded.redacted() },
    `support hub listening on http://${loaded.config.http.host}:${port}`,
  );
  // Only the embedded store is locked to this process; with PostgreSQL the account commands open it themselves.
  const localAdmin = loaded.config.store.databaseUrl ? null : await openLocalAdmin(hub, loaded.config.store.dataDir, log);
  await logNextSteps(hub, `http://${loaded.config.http.host === '0.0.0.0' ? '127.0.0.1' : loaded.config.http.host}:${port}`).catch((error: unknown) => log.warn({ err: error }, 'next steps not worked out'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // The budget is a promise to whoever sent the signal: exit when it is spent, whatever hangs.
    setTimeout(() => {
      log.error('graceful shutdown exceeded its budget; exiting');
      process.exit(1);
    }, loaded.config.shutdown.timeoutMs).unref();
    Promise.resolve(localAdmin?.close())
      .then(() => hub.stop())
      .then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
