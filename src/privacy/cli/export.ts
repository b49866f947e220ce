/**
 * `npm run privacy:export -- --email ADDRESS --out FILE.zip`
 *
 * Writes everything the hub holds about one person into a zip (src/privacy/export.ts): a JSON
 * document per conversation, their attachments and raw mails, and a README in plain language.
 * Works on a stopped hub's store, or through a hub running on this machine (the zip streams from
 * it). The file appears whole or not at all: it is written beside the target, then renamed.
 */
import { createWriteStream, linkSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { hostname, userInfo } from 'node:os';
import { dirname, basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { integrations } from '../../../integrations/index.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';
import { loadConfig, type HubConfig } from '../../config.js';
import { runAccountCommand } from '../../dashboard/cli/store-or-hub.js';
import { HubError } from '../../errors.js';
import { findLocalAdmin } from '../../ops/local-admin.js';
import { DataDirInUseError } from '../../store/datadir-lock.js';
import { migrate } from '../../store/migrate.js';
import { openStore } from '../../store/store.js';
import type { PersonQuery } from '../footprint.js';
import { countsInWords } from './report.js';
import { localPrivacy, PERSON_HELP, PERSON_OPTIONS, personFrom, UsageError } from './person.js';

const SYNOPSIS = [
  'npm run privacy:export -- --email ADDRESS --out FILE.zip',
  'npm run privacy:export -- --chat-user APP:USER --out FILE.zip',
  'npm run privacy:export -- --helpdesk ID --customer-id N --out FILE.zip',
];

exitWithUsageIfAsked({
  synopsis: SYNOPSIS,
  description:
    'Writes everything the hub holds about one person into a zip: a JSON document per conversation (messages, times, channels, what the hub decided and why), their attachments and raw emails, and a README in plain language for the person. Streamed: memory does not grow with the number of messages.',
  options: [...PERSON_HELP, ['--out FILE.zip', 'where to write the zip (not overwritten if it exists)']],
  environment: [
    ['HUB_CONFIG', 'a JSON or YAML settings file'],
    ['HUB_DATA_DIR', 'the embedded store directory'],
    ['DATABASE_URL', 'a PostgreSQL server instead of the embedded store'],
    ['HUB_ADMIN_TOKEN, HUB_URL', 'a running hub’s operator API when it is not on this machine'],
  ],
});

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { ...PERSON_OPTIONS, out: { type: 'string' } } });
  const person = personFrom(values);
  if (!values.out) throw new UsageError('--out FILE.zip is required');
  const out = values.out;
  const { config } = loadConfig(integrations);
  const draft = join(dirname(out), `.${basename(out)}.${process.pid}.part`);
  try {
    const summary = await writeExport(config, person, draft);
    // A link, not a rename: it fails rather than replace a file someone already has.
    try {
      linkSync(draft, out);
    } catch (error) {
      throw new HubError(409, 'exists', `could not write ${out}: ${(error as Error).message}`);
    }
    console.log(`wrote ${out}: ${summary}`);
    return 0;
  } finally {
    rmSync(draft, { force: true });
  }
}

/** The zip into `file`, from the store if this process can open it, else from the running hub. */
/**
 * The zip streamed by the hub that holds the store: over its local admin socket on this machine,
 * else over HTTP with HUB_ADMIN_TOKEN (HUB_URL, default 127.0.0.1:$PORT) — as the account commands.
 */
async function fromRunningHub(config: HubConfig, inUse: DataDirInUseError, person: PersonQuery): Promise<IncomingMessage | { statusCode: number; body: Readable }> {
  const body = JSON.stringify({ person });
  const target = inUse.owner.hostname === hostname() ? findLocalAdmin(config.store.dataDir) : null;
  if (target) {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        { socketPath: target.socketPath, method: 'POST', path: '/admin/privacy/export', headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
    return response;
  }
  if (!config.admin.token) throw new HubError(409, 'data_dir_in_use', `${inUse.message}\nthe running hub offers no local admin socket in ${config.store.dataDir}: run this on the hub's machine as its user, or set HUB_ADMIN_TOKEN (the running hub's too)`);
  const hubUrl = process.env['HUB_URL'] ?? `http://127.0.0.1:${config.http.port}`;
  const response = await fetch(new URL('/admin/privacy/export', hubUrl), { method: 'POST', headers: { authorization: `Bearer ${config.admin.token}`, 'content-type': 'application/json' }, body });
  return { statusCode: response.status, body: response.body ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream) : Readable.from([]) };
}

async function writeExport(config: HubConfig, person: PersonQuery, file: string): Promise<string> {
  try {
    const store = await openStore({ dataDir: config.store.dataDir, databaseUrl: config.store.databaseUrl, poolSize: 2 });
    try {
      await migrate(store);
      const local = await localPrivacy(store, config);
      try {
        const footprint = await local.privacy.find(person);
        await local.privacy.export(footprint, person, createWriteStream(file, { flags: 'wx' }), { id: null, email: `cli:${userInfo().username}` });
        return countsInWords(footprint.counts);
      } finally {
        await local.close();
      }
    } finally {
      await store.close();
    }
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    const response = await fromRunningHub(config, error, person);
    const stream = 'body' in response ? response.body : response;
    if (response.statusCode !== 200) {
      const text = Buffer.concat(await stream.toArray()).toString('utf8');
      const message = (() => {
        try {
          return (JSON.parse(text) as { error?: { message?: string } }).error?.message;
        } catch {
          return undefined;
        }
      })();
      throw new HubError(response.statusCode ?? 500, 'admin_api', `the running hub refused: ${message ?? `HTTP ${response.statusCode}`}`);
    }
    await pipeline(stream, createWriteStream(file, { flags: 'wx' }));
    return 'through the running hub';
  }
}

await runAccountCommand(async () => {
  try {
    return await main();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\nusage: ${SYNOPSIS.join('\n       ')}`);
    return 2;
  }
}, 'export');
