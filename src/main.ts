import { integrations } from '../integrations/index.js';
import { ConfigError, loadConfig } from './config.js';
import { startHub } from './hub.js';
import { createLogger } from './log.js';
import { DataDirInUseError } from './store/datadir-lock.js';

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
  const log = createLogger(loaded.config.log.level);
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
    hub.stop().then(
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
