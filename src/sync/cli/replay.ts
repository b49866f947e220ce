/**
 * `npm run sync:replay [-- --url http://localhost:3000] [--list]`: puts every failed helpdesk-sync
 * job back in the queue, requeues conversations with work left, and runs a reconciliation round,
 * through the running hub's admin API (HUB_ADMIN_TOKEN). Over HTTP because on the embedded store
 * the running hub holds the data directory. `--list` only shows the failed jobs and their errors.
 */
import { exitWithUsageIfAsked } from '../../cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run sync:replay [-- --url URL] [--list]',
  description: 'Puts every failed helpdesk-sync job back in the queue, requeues conversations with work left and runs a reconciliation round, through the running hub’s operator API.',
  options: [
    ['--url URL', 'the hub (default HUB_URL, else http://127.0.0.1:$PORT)'],
    ['--list', 'only list the failed jobs and their errors'],
  ],
  environment: [
    ['HUB_ADMIN_TOKEN', 'the hub’s operator API token (required)'],
    ['HUB_URL', 'the hub’s base URL'],
    ['PORT', 'the hub’s port on 127.0.0.1 when HUB_URL is unset (default 3000)'],
  ],
});
const args = process.argv.slice(2);
const urlIndex = args.indexOf('--url');
const base = (urlIndex >= 0 ? args[urlIndex + 1] : undefined) ?? process.env['HUB_URL'] ?? `http://127.0.0.1:${process.env['PORT'] ?? '3000'}`;
const token = process.env['HUB_ADMIN_TOKEN'];

async function main(): Promise<number> {
  if (!token) {
    console.error('sync:replay: set HUB_ADMIN_TOKEN to the hub’s admin token');
    return 2;
  }
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const failed: { id: string; queue: string; error: string | null; retryCount: number; data: unknown }[] = [];
  for (const queue of ['sync.push', 'sync.pull', 'sync.problem']) {
    const response = await fetch(`${base}/admin/jobs/failed?queue=${queue}`, { headers });
    if (!response.ok) {
      console.error(`sync:replay: ${base} answered ${response.status}: ${await response.text()}`);
      return 1;
    }
    failed.push(...((await response.json()) as { jobs: typeof failed }).jobs);
  }
  for (const job of failed) console.log(`failed ${job.queue} ${job.id} ${JSON.stringify(job.data)} after ${job.retryCount} retries: ${job.error ?? ''}`);
  if (args.includes('--list')) {
    console.log(`${failed.length} failed sync job(s)`);
    return 0;
  }
  const response = await fetch(`${base}/admin/sync/replay`, { method: 'POST', headers, body: '{}' });
  if (!response.ok) {
    console.error(`sync:replay: ${base} answered ${response.status}: ${await response.text()}`);
    return 1;
  }
  const result = (await response.json()) as { retried: number; requeued: number };
  console.log(`sync replay retried=${result.retried} requeued_conversations=${result.requeued} reconciled=yes`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`sync:replay: ${error.message} (is the hub running at ${base}?)`);
    process.exit(1);
  },
);
