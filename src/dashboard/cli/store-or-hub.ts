/**
 * The account commands work on a stopped hub's store directly. On the embedded store a running hub
 * holds the data directory, so a second process cannot open it: then the command goes through
 * that hub's operator API — on the same machine over the hub's local admin socket with no setup
 * (src/ops/local-admin.ts), otherwise over HTTP with HUB_ADMIN_TOKEN (and HUB_URL if the hub is not
 * on 127.0.0.1:$PORT).
 */
import { hostname } from 'node:os';
import { ConfigError, type HubConfig } from '../../config.js';
import { HubError } from '../../errors.js';
import { callLocalAdmin, findLocalAdmin, LocalAdminError } from '../../ops/local-admin.js';
import { DataDirInUseError } from '../../store/datadir-lock.js';
import { migrate } from '../../store/migrate.js';
import { openStore, type Store } from '../../store/store.js';

export interface ViaHub<T> {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** The operator API's answer as what `local` returns. */
  answer: (json: never) => T;
}

export async function withStoreOrHub<T>(config: HubConfig, local: (store: Store) => Promise<T>, viaHub: ViaHub<T>): Promise<T> {
  try {
    const store = await openStore({ dataDir: config.store.dataDir, databaseUrl: config.store.databaseUrl, poolSize: 2 });
    try {
      await migrate(store);
      return await local(store);
    } finally {
      await store.close();
    }
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    // A lock from another host (a shared volume) names a hub whose socket is not reachable from here.
    if (error.owner.hostname === hostname()) {
      try {
        const target = findLocalAdmin(config.store.dataDir);
        if (target) {
          const { status, json } = await callLocalAdmin(target, viaHub.method, viaHub.path, viaHub.body);
          if (status < 200 || status >= 300) throw new HubError(status, 'admin_api', `the running hub refused: ${(json as { error?: { message?: string } }).error?.message ?? `HTTP ${status}`}`);
          return viaHub.answer(json as never);
        }
      } catch (localError) {
        if (!(localError instanceof LocalAdminError)) throw localError;
        if (!config.admin.token) throw new HubError(409, 'local_admin_unavailable', localError.message);
      }
    }
    if (!config.admin.token) {
      throw new HubError(
        409,
        'data_dir_in_use',
        `${error.message}\nthe running hub offers no local admin socket in ${config.store.dataDir} (an older version, or another host): restart it, or set HUB_ADMIN_TOKEN (the running hub's too) to go through it`,
      );
    }
    const hubUrl = process.env['HUB_URL'] ?? `http://127.0.0.1:${config.http.port}`;
    const response = await fetch(new URL(viaHub.path, hubUrl), {
      method: viaHub.method,
      headers: { authorization: `Bearer ${config.admin.token}`, ...(viaHub.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(viaHub.body === undefined ? {} : { body: JSON.stringify(viaHub.body) }),
    });
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!response.ok) throw new HubError(response.status, 'admin_api', `the running hub at ${hubUrl} refused: ${body.error?.message ?? response.statusText}`);
    return viaHub.answer(body as never);
  }
}

/**
 * Runs an account command and sets the exit code: 2 for a bad configuration or input (`what`
 * names the input in the message), 1 for a refusal (an account that exists, the last admin, a hub
 * that said no), each as one line.
 */
export async function runAccountCommand(main: () => Promise<number>, what: string): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof HubError) {
      console.error(error.message);
      process.exitCode = error instanceof ConfigError ? 2 : 1;
    } else if (error instanceof Error && 'issues' in error) {
      console.error(`invalid ${what}: ${(error as { issues: { path: PropertyKey[]; message: string }[] }).issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      process.exitCode = 2;
    } else {
      throw error;
    }
  }
}
