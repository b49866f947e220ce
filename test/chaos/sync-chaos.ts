/**
 * `npm run test:chaos` — helpdesk sync through outages, rate limits, lost answers, lost and
 * duplicated webhooks and SIGKILLs (issue: helpdesk sync, "must show").
 *
 * The real hub (`src/main.ts`, as `npm start` runs it) talks to a fake helpdesk that answers 20%
 * of calls 5xx, 10% slowly (2 s), loses 5% of write answers after committing them, drops 10% and
 * duplicates 5% of its webhooks, lags its search by a second and throws 429 bursts. Customers send
 * CHAOS_N messages over CHAOS_N/10 chat conversations; an agent answers each conversation twice
 * at the vendor; the hub is SIGKILLed CHAOS_KILLS times at random moments and restarted on the
 * same data. At the end every message must be at the vendor once and in order, and every agent
 * reply at the customer once and in order. Prints:
 *   chaos messages sent=N lost=0 duplicated=0 out_of_order=0
 *   chaos replies sent=N lost=0 duplicated=0 out_of_order=0
 * and exits 1 unless both are clean.
 *
 * Every conversation opens with an outage report, so all of them join one hub incident (200
 * conversations in the full run), and the sync engine must show each one in it the vendor's way,
 * with one private note, through the same faults and kills — Help Scout: the tag
 * `incident-<number>`; Zendesk: an incident ticket linked to the incident's one problem ticket:
 *   chaos incident conversations=N untagged=0 mistagged=0 notes_missing=0 notes_duplicated=0 records=1
 *
 * Settings: CHAOS_N (2000), CHAOS_KILLS (3), CHAOS_VENDOR (helpscout | zendesk), CHAOS_SEED,
 * CHAOS_READING (unfriendly | friendly: how the fake reads what the vendor's material leaves open),
 * CHAOS_DATABASE_URL (run the hub on a PostgreSQL server instead of PGlite), CHAOS_DEADLINE_S.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startFakeHelpdesk, type FakeReading, type FakeVendor } from '../fakes/index.js';
import type { FakeHelpdesk } from '../fakes/helpdesk-fake.js';
import { chatEnv, Sdk } from '../channels/chat/support.js';
import { freePort, killAll, startMain } from '../support/processes.js';
import { exitWithUsageIfAsked } from '../../src/cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run test:chaos',
  description: 'Helpdesk sync through outages, rate limits, lost answers, lost and duplicated webhooks and SIGKILLs: the real hub against a fake helpdesk that misbehaves. Prints "chaos messages …" and "chaos replies …" lines; exits 1 unless nothing was lost, duplicated or reordered.',
  environment: [
    ['CHAOS_N', 'customer messages to send (default 2000)'],
    ['CHAOS_KILLS', 'SIGKILLs of the hub at random moments (default 3)'],
    ['CHAOS_VENDOR', 'helpscout (default) or zendesk'],
    ['CHAOS_READING', 'unfriendly (default) or friendly: how the fake reads what the vendor’s material leaves open'],
    ['CHAOS_SEED', 'seed for kill moments and send order (default: from the clock)'],
    ['CHAOS_DEADLINE_S', 'give up after this many seconds (default 600)'],
    ['CHAOS_DATABASE_URL', 'run the hub on this PostgreSQL server instead of the embedded store'],
    ['CHAOS_LOG_LEVEL', 'the hub’s log level (default error)'],
    ['CHAOS_HUB_LOG', 'append the hub’s output to this file'],
    ['CHAOS_KEEP', 'keep the hub’s data directory at the end'],
  ],
});

const N = Number(process.env['CHAOS_N'] ?? 2000);
const KILLS = Number(process.env['CHAOS_KILLS'] ?? 3);
const VENDOR = (process.env['CHAOS_VENDOR'] ?? 'helpscout') as FakeVendor;
const READING = (process.env['CHAOS_READING'] ?? 'unfriendly') as FakeReading;
const SEED = Number(process.env['CHAOS_SEED'] ?? Date.now() % 100_000);
const DEADLINE_MS = Number(process.env['CHAOS_DEADLINE_S'] ?? 600) * 1000;
const CONVERSATIONS = Math.max(5, Math.round(N / 10));
const REPLIES_PER_CONVERSATION = 2;
const SENDERS = 12;
const INCIDENT_NOTE = 'Support Hub: this conversation is part of incident #';

let rngState = SEED || 1;
const random = () => {
  // xorshift32: reproducible kill moments and send order for a given CHAOS_SEED.
  rngState ^= rngState << 13;
  rngState ^= rngState >>> 17;
  rngState ^= rngState << 5;
  return ((rngState >>> 0) % 1_000_000) / 1_000_000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[chaos +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
const t0 = Date.now();

interface Customer {
  index: number;
  sdk: Sdk;
  conversationId: string | null;
  texts: string[];
  replies: string[];
  repliesSent: number;
}

async function main(): Promise<number> {
  const fake = await startFakeHelpdesk(VENDOR, { seed: SEED, reading: READING });
  fakeRef = fake;
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-chaos-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const lagKey = VENDOR === 'helpscout' ? 'HELPSCOUT_SEARCH_LAG_SECONDS' : 'ZENDESK_SEARCH_LAG_SECONDS';
  const env: Record<string, string> = {
    ...fake.env,
    ...chatEnv,
    HUB_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env['CHAOS_LOG_LEVEL'] ?? 'error',
    CHAT_SESSION_MESSAGES_PER_MINUTE: '10000',
    CHAT_APP_REQUESTS_PER_SECOND: '100000',
    SYNC_HELPDESK: VENDOR,
    SYNC_RECONCILE_SECONDS: '3',
    JOBS_MAINTENANCE_INTERVAL_SECONDS: '2',
    [lagKey]: '3',
    // The fake has no standing limit in this test (only bursts of 429s), so the hub's budget is
    // set generously; the budget itself is measured by test/sync/rate-limit.test.ts and bench:sync.
    HELPSCOUT_RATE_LIMIT: '3000/60',
    ZENDESK_RATE_LIMIT: '3000/60',
    ZENDESK_UPDATE_TICKET_RATE_LIMIT: '3000/60',
    ...(process.env['CHAOS_DATABASE_URL'] ? { DATABASE_URL: process.env['CHAOS_DATABASE_URL'] } : {}),
  };
  fake.setWebhookTarget(`${base}/webhooks/${VENDOR}`);
  fake.setFaults({ errorRate: 0.2, slowRate: 0.1, slowMs: 2000, lostResponseRate: 0.05, webhookDropRate: 0.1, webhookDuplicateRate: 0.05, searchLagMs: 1000 });

  const hubLog = process.env['CHAOS_HUB_LOG'];
  const launch = () => {
    const started = startMain(env);
    if (hubLog) {
      started.child.stdout!.on('data', (chunk: Buffer) => appendFileSync(hubLog, chunk));
      started.child.stderr!.on('data', (chunk: Buffer) => appendFileSync(hubLog, chunk));
    }
    return started;
  };
  let hub = launch();
  await waitReady(base, hub);
  log(`hub up (vendor ${VENDOR}, ${READING} readings, ${N} messages over ${CONVERSATIONS} conversations, ${KILLS} kills, seed ${SEED})`);

  let hubDown = false;
  const customers: Customer[] = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    const texts = Array.from({ length: Math.floor(N / CONVERSATIONS) + (i < N % CONVERSATIONS ? 1 : 0) }, (_, k) =>
      k === 0 ? `Your site is down, nobody can log in! urgent (chaos c${i} ${randomUUID().slice(0, 8)})` : `chaos c${i} m${k} ${randomUUID().slice(0, 8)}`,
    );
    customers.push({ index: i, sdk: new Sdk(base), conversationId: null, texts, replies: [], repliesSent: 0 });
  }
  for (const customer of customers) await retry(() => customer.sdk.identify(`chaos-${SEED}-${customer.index}`, { email: `chaos${customer.index}@example.com` }), () => hubDown);

  // Every message in its conversation's order, conversations interleaved.
  const plan: { customer: Customer; k: number }[] = [];
  const cursors = customers.map(() => 0);
  while (plan.length < N) {
    const c = Math.floor(random() * customers.length);
    if (cursors[c]! < customers[c]!.texts.length) plan.push({ customer: customers[c]!, k: cursors[c]!++ });
  }
  const next = new Map(customers.map((c) => [c, 0]));
  let sent = 0;
  const killAt = Array.from({ length: KILLS }, () => Math.floor(N * (0.1 + 0.8 * random()))).sort((a, b) => a - b);

  // 429 bursts: now and then the vendor's limit drops to almost nothing for a moment.
  const bursts = setInterval(() => {
    fake.setRateLimit({ limit: 4, windowMs: 1000 });
    setTimeout(() => fake.setRateLimit(null), 1500).unref();
  }, 7000);

  // The agent: answers each conversation twice, after a third and after two thirds of its messages reached the vendor.
  let agentRunning = true;
  const agent = (async () => {
    while (agentRunning) {
      for (const customer of customers) {
        if (!customer.conversationId || customer.repliesSent >= REPLIES_PER_CONVERSATION) continue;
        const remote = fake.conversations().find((c) => c.hubConversationId === customer.conversationId);
        if (!remote) continue;
        const seen = remote.threads.filter((t) => t.kind === 'customer').map((t) => t.text).join('\n');
        const arrived = customer.texts.filter((text) => seen.includes(text)).length;
        const threshold = Math.ceil(((customer.repliesSent + 1) * customer.texts.length) / (REPLIES_PER_CONVERSATION + 1));
        if (arrived < threshold) continue;
        const text = `agent reply ${customer.repliesSent + 1} to c${customer.index} ${randomUUID().slice(0, 8)}`;
        await fake.agentReply(remote.id, text);
        customer.replies.push(text);
        customer.repliesSent++;
      }
      await sleep(200);
    }
  })();

  const senders = Array.from({ length: SENDERS }, async (_, w) => {
    for (let i = w; i < plan.length; i += SENDERS) {
      const { customer, k } = plan[i]!;
      // Keep each conversation's order: wait for its previous message to be accepted.
      while (next.get(customer)! < k) await sleep(5);
      const text = customer.texts[k]!;
      await retry(async () => {
        const response =
          k === 0
            ? await customer.sdk.startConversation(text, `m${k}`)
            : await customer.sdk.call('POST', `/v1/conversations/${customer.conversationId}/messages`, { text, client_id: `m${k}` });
        if (response.status !== 201 && response.status !== 200) throw new Error(`send answered ${response.status}: ${JSON.stringify(response.body)}`);
        if (k === 0) customer.conversationId = response.body['conversation']['id'];
      }, () => hubDown);
      next.set(customer, k + 1);
      sent++;
      while (killAt.length > 0 && sent >= killAt[0]!) {
        killAt.shift();
        hubDown = true;
        log(`SIGKILL hub at ${sent}/${N} messages`);
        hub.child.kill('SIGKILL');
        await hub.exited;
        await sleep(300 + random() * 1500);
        hub = launch();
        await waitReady(base, hub);
        hubDown = false;
        log('hub restarted');
      }
    }
  });
  await Promise.all(senders);
  log(`all ${sent} messages accepted by the hub; waiting for the agent and convergence`);

  // Convergence: every message at the vendor, every agent reply sent and at the customer.
  const deadline = Date.now() + DEADLINE_MS;
  let lastProgress = 0;
  for (;;) {
    if (Date.now() - lastProgress > 10_000) {
      lastProgress = Date.now();
      const atVendor = customers.reduce((n, c) => n + c.texts.filter((text) => vendorTexts(fake, c).includes(text)).length, 0);
      const replied = customers.reduce((n, c) => n + c.repliesSent, 0);
      const delivered = (await repliesAtCustomer(customers)).reduce((n, r) => n + r.sent - r.missing, 0);
      const shown = incidentReport(fake, customers);
      log(`progress: ${atVendor}/${N} messages at the vendor, ${replied}/${customers.length * REPLIES_PER_CONVERSATION} agent replies sent, ${delivered} at the customer, ${shown.conversations - shown.untagged}/${shown.conversations} shown in the incident${shown.firstUntagged ? ` (not yet: ${shown.firstUntagged})` : ''}`);
    }
    const done = customers.every((c) => c.repliesSent >= REPLIES_PER_CONVERSATION);
    if (done) {
      const vendorOk = customers.every((c) => c.texts.every((text) => vendorTexts(fake, c).includes(text)));
      if (vendorOk && incidentReport(fake, customers).untagged === 0 && (await repliesAtCustomer(customers)).every((r) => r.missing === 0)) break;
    }
    if (Date.now() > deadline) {
      log('deadline reached before convergence; reporting what is there');
      break;
    }
    await sleep(2000);
  }
  agentRunning = false;
  await agent;
  clearInterval(bursts);
  fake.setFaults({ webhookDuplicateRate: 0, webhookDropRate: 0 });
  // A last look after the dust settles: late duplicates would show now.
  await sleep(3000);

  const messageReport = { sent: 0, lost: 0, duplicated: 0, outOfOrder: 0 };
  for (const customer of customers) {
    const seen = vendorTexts(fake, customer);
    let last = -1;
    for (const text of customer.texts) {
      messageReport.sent++;
      const count = seen.split(text).length - 1;
      if (count === 0) messageReport.lost++;
      if (count > 1) messageReport.duplicated++;
      const at = seen.indexOf(text);
      if (at >= 0 && at < last) messageReport.outOfOrder++;
      if (at >= 0) last = at;
    }
  }
  const replyReport = { sent: 0, lost: 0, duplicated: 0, outOfOrder: 0 };
  for (const result of await repliesAtCustomer(customers)) {
    replyReport.sent += result.sent;
    replyReport.lost += result.missing;
    replyReport.duplicated += result.duplicated;
    replyReport.outOfOrder += result.outOfOrder;
  }
  const stats = fake.stats();
  // Where the vendor calls went (by method and path shape), to see what a run spends its budget on.
  const recorded = (fake as unknown as { requests?: () => { method: string; path: string }[] }).requests?.() ?? [];
  const shapes = new Map<string, number>();
  for (const r of recorded) {
    const shape = `${r.method} ${r.path.split('?')[0]!.replace(/\/\d+/g, '/:id')}`;
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
  if (shapes.size > 0) log(`vendor calls by shape: ${JSON.stringify(Object.fromEntries([...shapes.entries()].sort((a, b) => b[1] - a[1])))}`);
  // Writes per conversation (failed ones included): what a per-conversation limit (Zendesk: 30 updates per ticket per 10 minutes) sees.
  const writesPer = new Map<string, number>();
  for (const r of recorded) if (r.method !== 'GET') writesPer.set(r.path.split('?')[0]!, (writesPer.get(r.path.split('?')[0]!) ?? 0) + 1);
  const busiest = [...writesPer.entries()].filter(([path]) => /\/\d+(\/|$)/.test(path)).sort((a, b) => b[1] - a[1])[0];
  if (busiest) log(`busiest conversation at the vendor: ${busiest[1]} writes to ${busiest[0]}`);
  log(`vendor saw ${stats.requests} requests: ${JSON.stringify(stats.byStatus)}; webhooks sent ${stats.webhooksSent}; vendor notifications ${fake.notifications().length}`);
  console.log(`chaos messages sent=${messageReport.sent} lost=${messageReport.lost} duplicated=${messageReport.duplicated} out_of_order=${messageReport.outOfOrder}`);
  console.log(`chaos replies sent=${replyReport.sent} lost=${replyReport.lost} duplicated=${replyReport.duplicated} out_of_order=${replyReport.outOfOrder}`);
  const incident = incidentReport(fake, customers);
  console.log(`chaos incident conversations=${incident.conversations} untagged=${incident.untagged} mistagged=${incident.mistagged} notes_missing=${incident.notesMissing} notes_duplicated=${incident.notesDuplicated} records=${incident.records}`);

  hub.child.kill('SIGTERM');
  await hub.exited;
  await fake.close();
  if (process.env['CHAOS_KEEP']) log(`data kept in ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
  const clean =
    [messageReport, replyReport].every((r) => r.lost === 0 && r.duplicated === 0 && r.outOfOrder === 0) &&
    replyReport.sent > 0 &&
    incident.untagged + incident.mistagged + incident.notesMissing + incident.notesDuplicated === 0 &&
    incident.records <= 1;
  return clean ? 0 : 1;
}

/**
 * The incident as the helpdesk shows it: every conversation linked to the one incident all the
 * outage reports joined (the most common link: Help Scout's tag, Zendesk's problem ticket), with
 * exactly one incident note; and at most one incident record (Zendesk: problem ticket) made.
 */
function incidentReport(fake: FakeHelpdesk, customers: Customer[]) {
  const all = fake.conversations();
  const report = { conversations: 0, untagged: 0, mistagged: 0, notesMissing: 0, notesDuplicated: 0, records: all.filter((c) => c.isIncidentRecord).length, firstUntagged: null as string | null };
  const remotes = customers.map((c) => all.find((r) => r.hubConversationId === c.conversationId) ?? null);
  const tagsOf = (remote: (typeof remotes)[number]) => remote?.incidentLinks ?? [];
  const counts = new Map<string, number>();
  for (const remote of remotes) for (const tag of tagsOf(remote)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  const expected = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  for (const remote of remotes) {
    report.conversations++;
    const tags = tagsOf(remote);
    if (tags.length === 0) {
      report.untagged++;
      report.firstUntagged ??= remote?.hubConversationId ?? null;
    } else if (tags.length > 1 || tags[0] !== expected) report.mistagged++;
    const notes = (remote?.threads ?? []).filter((t) => t.kind === 'note' && t.text.startsWith(INCIDENT_NOTE)).length;
    if (notes === 0) report.notesMissing++;
    if (notes > 1) report.notesDuplicated++;
  }
  return report;
}

/** The customer's messages as the vendor holds them, thread after thread (combined threads carry several). */
function vendorTexts(fake: FakeHelpdesk, customer: Customer): string {
  // Every vendor conversation carrying our id: a conversation created twice shows as duplicates.
  const remotes = fake.conversations().filter((c) => c.hubConversationId === customer.conversationId);
  return remotes.flatMap((remote) => remote.threads.filter((t) => t.kind === 'customer').map((t) => t.text)).join('\n');
}

/**
 * What the customer got of the agent's replies: the conversation as their app shows it (history
 * through the SDK API), plus any copy the vendor mailed itself. Each reply once, in the agent's order.
 */
async function repliesAtCustomer(customers: Customer[]) {
  const results: { sent: number; missing: number; duplicated: number; outOfOrder: number }[] = [];
  for (const customer of customers) {
    if (!customer.conversationId) {
      results.push({ sent: customer.replies.length, missing: customer.replies.length, duplicated: 0, outOfOrder: 0 });
      continue;
    }
    const texts: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<Sdk['call']>> | null = await customer.sdk
        .call('GET', `/v1/conversations/${customer.conversationId}/messages?limit=100${after ? `&after=${after}` : ''}`)
        .catch(() => null);
      if (!page || page.status !== 200) return customers.map((c) => ({ sent: c.replies.length, missing: c.replies.length, duplicated: 0, outOfOrder: 0 }));
      for (const message of page.body['messages'] as { direction: string; text: string }[]) if (message.direction === 'outbound') texts.push(message.text);
      if (!page.body['has_more']) break;
      after = page.body['cursor'];
    }
    const notified = fakeRef!.notifications().filter((n) => n.to === `chaos${customer.index}@example.com`).map((n) => n.text);
    let missing = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let last = -1;
    for (const reply of customer.replies) {
      const copies = texts.filter((t) => t.includes(reply)).length + notified.filter((t) => t.includes(reply)).length;
      if (copies === 0) missing++;
      if (copies > 1) duplicated++;
      const at = texts.findIndex((t) => t.includes(reply));
      if (at >= 0 && at < last) outOfOrder++;
      if (at >= 0) last = at;
    }
    results.push({ sent: customer.replies.length, missing, duplicated, outOfOrder });
  }
  return results;
}

let fakeRef: FakeHelpdesk | null = null;

async function retry<T>(work: () => Promise<T>, paused: () => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    while (paused()) await sleep(50);
    try {
      return await work();
    } catch (error) {
      if (attempt > 2000) throw error;
      await sleep(Math.min(1000, 50 * (attempt + 1)));
    }
  }
}

async function waitReady(base: string, hub: ReturnType<typeof startMain>): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited = false;
  void hub.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`hub exited while starting:\n${hub.output()}`);
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`hub did not become ready:\n${hub.output()}`);
    await sleep(100);
  }
}

process.on('exit', () => killAll());
main()
  .then((code) => process.exit(code))
  .catch((error: Error) => {
    console.error(error);
    killAll();
    process.exit(1);
  });
