/**
 * `npm run bench:sync` — helpdesk sync speed and budget, against the fake helpdesk over real HTTP,
 * with the real hub (`src/main.ts`) in its own process on the embedded store.
 *
 * 1. Throughput (unlimited fake): BENCH_CONVERSATIONS chat customers each send a burst of
 *    BENCH_BURST lines as fast as the hub acknowledges them. Reports messages per second until
 *    all are visible at the vendor, vendor calls per message (lines arriving while a push is in
 *    flight are combined, so < 1.0 is possible), and the p99 of ingest-acknowledged → visible at
 *    the vendor. Baseline in the same run: the same bursts into a hub that syncs nowhere.
 * 2. Budget (fake at Help Scout's real shape, 400 units per 60 s, writes 2): a backlog of
 *    BENCH_BUDGET_N new conversations drains; reports the share of the allowed rate used, 429s
 *    (must be 0) and the most units the vendor counted in any one window.
 *
 * 3. One busy ticket (Zendesk, whatever BENCH_VENDOR): one chat customer sends BENCH_TICKET_LINES
 *    lines BENCH_TICKET_SPACING_MS apart into one conversation, against Zendesk's limit of 30
 *    updates per 10 minutes per user per ticket (enforced by the fake). Reports the updates that
 *    ticket got (most in any 10 minutes), 429s (must be 0) and when the last line was visible.
 *
 * Last line: `bench sync msgs_per_s=… vendor_calls_per_msg=… visible_p99_ms=… budget_use=… ticket_updates=…`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startFakeHelpdesk, type FakeVendor } from '../fakes/index.js';
import { startFakeZendesk, type FakeZendesk } from '../fakes/zendesk/server.js';
import type { FakeHelpdesk } from '../fakes/helpdesk-fake.js';
import { chatEnv, Sdk } from '../channels/chat/support.js';
import { freePort, killAll, startMain } from '../support/processes.js';
import { exitWithUsageIfAsked } from '../../src/cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run bench:sync',
  description: 'Helpdesk sync speed and budget against a fake helpdesk, with the real hub in its own process: throughput and visibility latency (baseline: a hub that syncs nowhere), rate-budget use on a backlog, and one busy ticket against Zendesk’s per-ticket limit. Last line: bench sync msgs_per_s=… …',
  environment: [
    ['BENCH_VENDOR', 'helpscout (default) or zendesk'],
    ['BENCH_CONVERSATIONS', 'chat customers in the throughput run (default 100)'],
    ['BENCH_BURST', 'lines each sends (default 10)'],
    ['BENCH_BUDGET_N', 'conversations in the budget backlog (default 60)'],
    ['BENCH_BUDGET_LIMIT', 'the fake’s rate limit, units/seconds (default 400/60)'],
    ['BENCH_TICKET_LINES', 'lines into the one busy ticket (default 50)'],
    ['BENCH_TICKET_SPACING_MS', 'between those lines (default 2000)'],
    ['BENCH_PHASES', 'which runs, comma-separated: throughput,budget,ticket (default all three)'],
    ['BENCH_HUB_PROFILE', 'write a CPU profile of the hub process of each run into this directory'],
  ],
});

const VENDOR = (process.env['BENCH_VENDOR'] ?? 'helpscout') as FakeVendor;
const TICKET_LINES = Number(process.env['BENCH_TICKET_LINES'] ?? 50);
const TICKET_SPACING_MS = Number(process.env['BENCH_TICKET_SPACING_MS'] ?? 2000);
const CONVERSATIONS = Number(process.env['BENCH_CONVERSATIONS'] ?? 100);
const BURST = Number(process.env['BENCH_BURST'] ?? 10);
const BUDGET_N = Number(process.env['BENCH_BUDGET_N'] ?? 60);
const BUDGET_LIMIT = process.env['BENCH_BUDGET_LIMIT'] ?? '400/60';
const PHASES = new Set((process.env['BENCH_PHASES'] ?? 'throughput,budget,ticket').split(',').map((p) => p.trim()));
const PROFILE_DIR = process.env['BENCH_HUB_PROFILE'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);

async function startHub(fake: FakeHelpdesk, extra: Record<string, string> = {}, vendor: FakeVendor = VENDOR) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-sync-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const hub = startMain({
    ...fake.env,
    ...chatEnv,
    HUB_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    CHAT_SESSION_MESSAGES_PER_MINUTE: '10000',
    CHAT_APP_REQUESTS_PER_SECOND: '100000',
    SYNC_HELPDESK: vendor,
    ...extra,
  }, PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []);
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`hub not ready:\n${hub.output()}`);
    await sleep(100);
  }
  fake.setWebhookTarget(`${base}/webhooks/${vendor}`);
  return {
    base,
    async stop() {
      hub.child.kill('SIGTERM');
      await hub.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls the vendor until every text is visible; returns when each was first seen. */
async function watchVendor(fake: FakeHelpdesk, texts: Set<string>, timeoutMs: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  while (seen.size < texts.size && Date.now() < deadline) {
    const now = performance.now();
    for (const conversation of fake.conversations()) {
      for (const thread of conversation.threads) {
        if (thread.kind !== 'customer') continue;
        for (const line of thread.text.split('\n')) {
          const text = line.trim();
          if (texts.has(text) && !seen.has(text)) seen.set(text, now);
        }
      }
    }
    await sleep(20);
  }
  return seen;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
};

async function throughput() {
  const fake = await startFakeHelpdesk(VENDOR, { rateLimit: null });
  // An unlimited vendor: the hub's own budget is set out of the way to measure the sync path itself.
  const hub = await startHub(fake, { HELPSCOUT_RATE_LIMIT: '1000000/60', ZENDESK_RATE_LIMIT: '1000000/60', ZENDESK_UPDATE_TICKET_RATE_LIMIT: '1000000/60' });
  const customers = await Promise.all(
    Array.from({ length: CONVERSATIONS }, async (_, i) => {
      const sdk = new Sdk(hub.base);
      await sdk.identify(`bench-${randomUUID()}`, { email: `bench${i}@example.com` });
      return { sdk, lines: Array.from({ length: BURST }, (_, k) => `bench c${i} line ${k} ${randomUUID().slice(0, 8)}`) };
    }),
  );
  fake.resetStats();
  const acked = new Map<string, number>();
  const all = new Set(customers.flatMap((c) => c.lines));
  const watching = watchVendor(fake, all, 300_000);
  const started = performance.now();
  await Promise.all(
    customers.map(async ({ sdk, lines }) => {
      let conversationId = '';
      for (const [k, text] of lines.entries()) {
        const response =
          k === 0 ? await sdk.startConversation(text, `b${k}`) : await sdk.call('POST', `/v1/conversations/${conversationId}/messages`, { text, client_id: `b${k}` });
        if (response.status !== 201) throw new Error(`send failed: ${response.status}`);
        if (k === 0) conversationId = response.body['conversation']['id'];
        acked.set(text, performance.now());
      }
    }),
  );
  const seen = await watching;
  const finished = Math.max(...seen.values());
  // Let trailing work (triage notes) finish before counting calls: they are part of the cost.
  await sleep(3000);
  const stats = fake.stats();
  const latencies = [...seen.entries()].map(([text, at]) => at - acked.get(text)!);
  const messages = all.size;
  const result = {
    msgsPerS: messages / ((finished - started) / 1000),
    callsPerMsg: stats.requests / messages,
    visibleP99: percentile(latencies, 0.99),
    visibleP50: percentile(latencies, 0.5),
    lost: messages - seen.size,
    byStatus: stats.byStatus,
  };
  await hub.stop();
  await fake.close();
  return result;
}

/**
 * Baseline in the same run: the same chat bursts into a hub that syncs nowhere — how fast the hub
 * takes the messages in, which bounds what reaching the vendor can do.
 */
async function ingestBaseline(): Promise<number> {
  const fake = await startFakeHelpdesk(VENDOR, { rateLimit: null });
  const hub = await startHub(fake, { SYNC_HELPDESK: 'none' });
  const customers = await Promise.all(
    Array.from({ length: CONVERSATIONS }, async (_, i) => {
      const sdk = new Sdk(hub.base);
      await sdk.identify(`base-${randomUUID()}`, { email: `base${i}@example.com` });
      return sdk;
    }),
  );
  const started = performance.now();
  await Promise.all(
    customers.map(async (sdk) => {
      let conversationId = '';
      for (let k = 0; k < BURST; k++) {
        const response = k === 0 ? await sdk.startConversation(`base ${k}`, `b${k}`) : await sdk.call('POST', `/v1/conversations/${conversationId}/messages`, { text: `base ${k}`, client_id: `b${k}` });
        if (k === 0) conversationId = response.body['conversation']['id'];
      }
    }),
  );
  const rate = (CONVERSATIONS * BURST) / ((performance.now() - started) / 1000);
  await hub.stop();
  await fake.close();
  return rate;
}

async function budget() {
  const [limit, seconds] = BUDGET_LIMIT.split('/').map(Number) as [number, number];
  const fake = await startFakeHelpdesk(VENDOR, { rateLimit: { limit, windowMs: seconds * 1000 } });
  const key = VENDOR === 'helpscout' ? 'HELPSCOUT_RATE_LIMIT' : 'ZENDESK_RATE_LIMIT';
  // Webhooks off and a rare poll: this measures how well pushes use the budget.
  const hub = await startHub(fake, { [key]: BUDGET_LIMIT, SYNC_RECONCILE_SECONDS: '3600' });
  fake.setWebhookTarget(null);
  const customers = await Promise.all(
    Array.from({ length: BUDGET_N }, async (_, i) => {
      const sdk = new Sdk(hub.base);
      await sdk.identify(`budget-${randomUUID()}`, { email: `budget${i}@example.com` });
      return { sdk, text: `budget c${i} ${randomUUID().slice(0, 8)}` };
    }),
  );
  fake.resetStats();
  const started = performance.now();
  await Promise.all(customers.map(({ sdk, text }) => sdk.startConversation(text, 'only')));
  const seen = await watchVendor(fake, new Set(customers.map((c) => c.text)), 30 * 60_000);
  // Drained = the last write landed (creates and the triage notes/tags that follow them): no unit
  // spent for a whole window. The drain time ends at the last unit spent.
  let last = fake.stats().rateUnits;
  let lastChange = performance.now();
  while (performance.now() - lastChange < seconds * 1000) {
    await sleep(200);
    const now = fake.stats().rateUnits;
    if (now !== last) {
      last = now;
      lastChange = performance.now();
    }
  }
  const stats = fake.stats();
  const elapsedS = (lastChange - started) / 1000;
  const allowed = (limit * elapsedS) / seconds;
  // Zendesk's Update Ticket has its own documented budget (100/min), which the hub keeps too: a
  // backlog of notes and triage calls can be bound by it rather than by the account's limit.
  const updateTicketUse = VENDOR === 'zendesk' ? (fake as FakeZendesk).updateTicketStats().requests / ((100 * elapsedS) / 60) : null;
  await hub.stop();
  await fake.close();
  return {
    use: stats.rateUnits / allowed,
    updateTicketUse,
    rejected429: stats.byStatus[429] ?? 0,
    maxInWindow: stats.maxUnitsInWindow,
    limit,
    visible: seen.size,
    units: stats.rateUnits,
    elapsedS,
  };
}

/** Lines of one busy chat into one Zendesk ticket, under Zendesk's per-ticket update limit (the fake enforces it). */
async function busyTicket() {
  const fake = await startFakeZendesk({ updateTicketLimit: null });
  // The hub's per-ticket budget is its default (30/600); the account's is out of the way.
  const hub = await startHub(fake, { ZENDESK_RATE_LIMIT: '1000000/60', ZENDESK_UPDATE_TICKET_RATE_LIMIT: '1000000/60' }, 'zendesk');
  const sdk = new Sdk(hub.base);
  await sdk.identify(`ticket-${randomUUID()}`, { email: 'busy@example.com' });
  const lines = Array.from({ length: TICKET_LINES }, (_, k) => `busy line ${k} ${randomUUID().slice(0, 8)}`);
  const watching = watchVendor(fake, new Set(lines), TICKET_LINES * TICKET_SPACING_MS + 15 * 60_000);
  const started = performance.now();
  let conversationId = '';
  for (const [k, text] of lines.entries()) {
    const response = k === 0 ? await sdk.startConversation(text, `t${k}`) : await sdk.call('POST', `/v1/conversations/${conversationId}/messages`, { text, client_id: `t${k}` });
    if (response.status !== 201) throw new Error(`send failed: ${response.status}`);
    if (k === 0) conversationId = response.body['conversation']['id'];
    await sleep(TICKET_SPACING_MS);
  }
  const seen = await watching;
  const lastVisibleS = (Math.max(...seen.values()) - started) / 1000;
  await sleep(3000);
  const result = { updates: fake.maxUpdatesPerTicket(), rejected429: fake.stats().byStatus[429] ?? 0, visible: seen.size, lastVisibleS };
  await hub.stop();
  await fake.close();
  return result;
}

const t = PHASES.has('throughput') ? await throughputWithBaseline() : null;
const b = PHASES.has('budget') ? await budget() : null;
if (b) {
  log(
    `budget vendor=${VENDOR} limit=${BUDGET_LIMIT} backlog=${BUDGET_N} drained_in_s=${b.elapsedS.toFixed(1)} units=${b.units} budget_use=${b.use.toFixed(3)}${b.updateTicketUse === null ? '' : ` update_ticket_use=${b.updateTicketUse.toFixed(3)} (of 100/60)`} max_units_in_window=${b.maxInWindow}/${b.limit} http_429=${b.rejected429} visible=${b.visible}/${BUDGET_N}`,
  );
}
const k = PHASES.has('ticket') ? await busyTicket() : null;
if (k) {
  log(
    `busy ticket vendor=zendesk lines=${TICKET_LINES} spacing_ms=${TICKET_SPACING_MS} updates_in_10_min=${k.updates}/30 http_429=${k.rejected429} visible=${k.visible}/${TICKET_LINES} last_visible_s=${k.lastVisibleS.toFixed(1)} (sending took ${((TICKET_LINES * TICKET_SPACING_MS) / 1000).toFixed(0)} s)`,
  );
}
const figures = [
  ...(t ? [`msgs_per_s=${t.msgsPerS.toFixed(0)}`, `vendor_calls_per_msg=${t.callsPerMsg.toFixed(2)}`, `visible_p99_ms=${t.visibleP99.toFixed(0)}`, `baseline_msgs_per_s=${t.baseline.toFixed(0)}`] : []),
  ...(b ? [`budget_use=${b.use.toFixed(3)}`] : []),
  ...(k ? [`ticket_updates=${k.updates}`, `ticket_429=${k.rejected429}`] : []),
];
console.log(`bench sync ${figures.join(' ')}`);
killAll();
// The targets: a backlog drains at ≥ 90% of the allowed rate, with no 429 and never over the
// limit; a busy ticket stays within 30 updates per 10 minutes, with no 429, and every line arrives.
const budgetMet = !b || (b.rejected429 === 0 && b.maxInWindow <= b.limit && b.use >= 0.9);
const ticketMet = !k || (k.rejected429 === 0 && k.updates <= 30 && k.visible === TICKET_LINES);
process.exit((t?.lost ?? 0) === 0 && budgetMet && ticketMet ? 0 : 1);

/** The throughput run and, first, its baseline in the same run (a hub syncing nowhere). */
async function throughputWithBaseline() {
  const baseline = await ingestBaseline();
  const result = await throughput();
  log(
    `throughput vendor=${VENDOR} messages=${CONVERSATIONS * BURST} msgs_per_s=${result.msgsPerS.toFixed(0)} vendor_calls_per_msg=${result.callsPerMsg.toFixed(2)} visible_p50_ms=${result.visibleP50.toFixed(0)} visible_p99_ms=${result.visibleP99.toFixed(0)} lost=${result.lost} baseline_ingest_only_msgs_per_s=${baseline.toFixed(0)} ratio=${(result.msgsPerS / baseline).toFixed(2)} statuses=${JSON.stringify(result.byStatus)}`,
  );
  return { ...result, baseline };
}
