/**
 * `npm run privacy:erase -- --email ADDRESS --confirm ADDRESS [--reason TEXT]`
 * `npm run privacy:erase -- --status REQUEST_ID`
 *
 * Erases one person from the hub and asks each connected helpdesk to delete them too
 * (src/privacy/erase.ts). The confirmation must repeat the handle exactly; nothing changes
 * otherwise. Works on a stopped hub's store (and runs the erasure here), or through a hub running
 * on this machine (whose job runs it); either way the request is durable and finishes after a crash.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { integrations } from '../../../integrations/index.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';
import { loadConfig } from '../../config.js';
import { runAccountCommand, withStoreOrHub } from '../../dashboard/cli/store-or-hub.js';
import { confirmationFor, type ErasureReport } from '../erase.js';
import { erasureInWords, countsInWords } from './report.js';
import { localPrivacy, PERSON_HELP, PERSON_OPTIONS, personFrom, UsageError } from './person.js';

const SYNOPSIS = [
  'npm run privacy:erase -- --email ADDRESS --confirm ADDRESS [--reason TEXT]',
  'npm run privacy:erase -- --chat-user APP:USER --confirm APP:USER [--reason TEXT]',
  'npm run privacy:erase -- --helpdesk ID --customer-id N --confirm N [--reason TEXT]',
  'npm run privacy:erase -- --status REQUEST_ID',
];

exitWithUsageIfAsked({
  synopsis: SYNOPSIS,
  description:
    'Erases everything the hub holds about one person (conversations, messages, attachments, raw mail, triage, escalations of their conversations, helpdesk mappings, devices; acknowledgements stay as anonymous counts), then asks each connected helpdesk to delete them through its API, and prints what was removed where and what is left to do by hand. Audited (who, when, why; not what). Running it again is harmless.',
  options: [
    ...PERSON_HELP,
    ['--confirm HANDLE', 'repeat the address (chat user, customer id) exactly; without it nothing is erased'],
    ['--reason TEXT', 'why, for the audit log (e.g. "request by email of 2026-12-07")'],
    ['--status REQUEST_ID', 'show an earlier erasure and what is still pending'],
  ],
  environment: [
    ['HUB_CONFIG', 'a JSON or YAML settings file'],
    ['HUB_DATA_DIR', 'the embedded store directory'],
    ['DATABASE_URL', 'a PostgreSQL server instead of the embedded store'],
    ['HUB_ADMIN_TOKEN, HUB_URL', 'a running hub’s operator API when it is not on this machine'],
  ],
});

const WAIT_FOR_HUB_MS = 60_000;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { ...PERSON_OPTIONS, confirm: { type: 'string' }, reason: { type: 'string' }, status: { type: 'string' } } });
  const { config } = loadConfig(integrations);
  if (values.status !== undefined) {
    console.log(erasureInWords(await report(config, values.status)));
    return 0;
  }
  const person = personFrom(values);
  if (values.confirm === undefined) {
    console.error(`erasure refused: add --confirm ${confirmationFor(person)} to erase this person (nothing was changed)`);
    return 1;
  }
  const reason = values.reason ?? `requested with npm run privacy:erase by ${userInfo().username}`;
  const started = await withStoreOrHub(
    config,
    async (store) => {
      const local = await localPrivacy(store, config);
      try {
        const { requestId, footprint } = await local.privacy.requestErasure({ query: person, confirm: values.confirm!, reason, actor: { id: null, email: `cli:${userInfo().username}` } });
        console.log(`erasing ${countsInWords(footprint.counts)} (request ${requestId})`);
        // The job queued with the request does the same when a hub next runs; both are idempotent.
        const done = await local.privacy.runErasure(requestId).catch(() => null);
        return { requestId, report: done ?? (await local.privacy.erasure(requestId)) };
      } finally {
        await local.close();
      }
    },
    {
      method: 'POST',
      path: '/admin/privacy/erase',
      body: { person, confirm: values.confirm, reason },
      answer: (json: { requestId: string; counts: Parameters<typeof countsInWords>[0] }) => {
        console.log(`erasing ${countsInWords(json.counts)} (request ${json.requestId}, worked by the running hub)`);
        return { requestId: json.requestId, report: null as ErasureReport | null };
      },
    },
  );
  let final = started.report;
  const deadline = Date.now() + WAIT_FOR_HUB_MS;
  while (!final || (final.state !== 'done' && !started.report && Date.now() < deadline)) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    final = await report(config, started.requestId);
  }
  console.log(erasureInWords(final));
  return 0;
}

function report(config: Parameters<typeof withStoreOrHub>[0], requestId: string): Promise<ErasureReport> {
  return withStoreOrHub(
    config,
    async (store) => {
      const local = await localPrivacy(store, config);
      try {
        return await local.privacy.erasure(requestId);
      } finally {
        await local.close();
      }
    },
    { method: 'GET', path: `/admin/privacy/erasures/${encodeURIComponent(requestId)}`, answer: (json: ErasureReport) => json },
  );
}

await runAccountCommand(async () => {
  try {
    return await main();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\nusage: ${SYNOPSIS.join('\n       ')}`);
    return 2;
  }
}, 'erasure');
