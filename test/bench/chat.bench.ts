/**
 * `npm run bench:chat`: 1,000 WebSocket clients on one hub process (embedded store), this process
 * generating the load: each client sends one message every 5 s over the SDK API and receives one
 * agent reply every 5 s on its socket, for 60 s. Beside it, the same clients and rhythm against a
 * bare `ws` echo server in its own process (the baseline).
 *
 *   BENCH_CLIENTS (1000)  BENCH_SECONDS (60)  BENCH_PERIOD_MS (5000)
 *   BENCH_HUB_PROFILE=DIR  write a CPU profile of the hub process into DIR
 *
 * Measuring starts once the setup's own work (triage and acknowledgement of 1,000 new
 * conversations) has drained. Each minute prints its own figures; a soak (`BENCH_SECONDS=600`)
 * ends with the last minute against the second (target: within 20%).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { killAll, startHubProcess } from '../support/processes.js';
import { chatEnv, Sdk } from '../channels/chat/support.js';
import { exitWithUsageIfAsked } from '../../src/cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run bench:chat',
  description: '1,000 WebSocket chat clients on one hub process (embedded store), each sending a message and receiving an agent reply every 5 s, beside the same clients against a bare ws echo server (the baseline).',
  environment: [
    ['BENCH_CLIENTS', 'clients (default 1000)'],
    ['BENCH_SECONDS', 'how long (default 60)'],
    ['BENCH_PERIOD_MS', 'each client’s period (default 5000)'],
    ['BENCH_HUB_PROFILE', 'write a CPU profile of the hub process into this directory'],
    ['BENCH_SHOW_HUB_STDERR', 'pass the hub’s stderr through'],
  ],
});

const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 1000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const PERIOD_MS = Number(process.env['BENCH_PERIOD_MS'] ?? 5000);

interface Stats {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  lagP99Ms: number;
  sockets: number;
}

const p99 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.99)] ?? 0;
};
const fmt = (n: number) => (n >= 100 ? Math.round(n).toString() : n.toFixed(2));

/** Runs `tick(i)` for client i once per period, clients evenly staggered over the period. */
async function rhythm(tick: (client: number) => void): Promise<void> {
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const offset = (PERIOD_MS * i) / CLIENTS;
    timers.push(
      setTimeout(() => {
        tick(i);
        timers.push(setInterval(() => tick(i), PERIOD_MS));
      }, offset),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  for (const timer of timers) clearTimeout(timer);
}

async function benchHub() {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-chat-'));
  const hub = await startHubProcess({ HUB_DATA_DIR: dataDir, ...chatEnv, CHAT_APP_REQUESTS_PER_SECOND: '100000', CHAT_SESSION_MESSAGES_PER_MINUTE: '600', LOG_LEVEL: 'warn' }, {
    execArgv: process.env['BENCH_HUB_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_HUB_PROFILE']}`] : [],
  });
  try {
    const base = `http://127.0.0.1:${hub.port}`;
    console.log(`hub pid ${hub.child.pid} on ${base}; opening ${CLIENTS} sessions, conversations and sockets`);
    const clients: { sdk: Sdk; conversationId: string; socket: WebSocket }[] = [];
    const deliveries: number[] = [];
    const deliveredAt: number[] = [];
    const seenReplies = new Set<string>();
    let duplicates = 0;
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, CLIENTS - i) }, async (_, j) => {
          const sdk = new Sdk(base);
          await sdk.identify(`bench-user-${i + j}`);
          const start = await sdk.startConversation('hello', `start-${i + j}`);
          const socket = new WebSocket(sdk.streamUrl(start.body['message']['cursor']));
          socket.on('message', (data) => {
            const frame = JSON.parse(data.toString()) as { type: string; message?: { direction: string; created_at: string; text?: string } };
            // Agent replies carry their commit time: delivery latency = now − commit. (The hub's
            // own acknowledgements are outbound too; only the bench's replies are counted.)
            if (frame.type !== 'message' || frame.message?.direction !== 'outbound' || !frame.message.text?.startsWith('reply ')) return;
            if (seenReplies.has(frame.message.text)) duplicates++;
            seenReplies.add(frame.message.text);
            deliveries.push(Date.now() - Date.parse(frame.message.created_at));
            deliveredAt.push(performance.now());
          });
          await once(socket, 'open');
          return { sdk, conversationId: start.body['conversation']['id'] as string, socket };
        }),
      );
      clients.push(...batch);
    }
    // Opening 1,000 conversations queues their triage and acknowledgements; measure the steady
    // state, not that backlog (the setup's drain time is printed).
    const drainStarted = performance.now();
    const jobsDue = async () =>
      (await hub.call<{ n: number }[]>({ type: 'query', sql: `SELECT count(*)::int AS n FROM pgboss.job WHERE state IN ('created', 'retry', 'active') AND start_after <= now()` }))[0]!.n;
    while ((await jobsDue()) > 0 && performance.now() - drainStarted < 180_000) await new Promise((r) => setTimeout(r, 500));
    console.log(`setup backlog drained in ${((performance.now() - drainStarted) / 1000).toFixed(1)} s`);
    deliveries.length = 0;
    deliveredAt.length = 0;
    // HUB_QUERY_STATS_FILE then counts the measured minutes only.
    const before = await hub.call<Stats>({ type: 'stats', reset: true, resetQueryStats: true });
    console.log(`${before.sockets} sockets connected; hub RSS ${fmt(before.rssBytes / 1e6)} MB; running ${SECONDS} s`);
    const acks: number[] = [];
    const ackedAt: number[] = [];
    const measureStarted = performance.now();
    // Per minute: the latencies of that minute and the hub's memory and loop lag at its end.
    const minutes: { heapUsedMb: number; rssMb: number; lagP99: number }[] = [];
    const minuteTimer = setInterval(() => {
      void hub.call<Stats>({ type: 'stats', reset: true }).then((stats) => minutes.push({ heapUsedMb: stats.heapUsedBytes / 1e6, rssMb: stats.rssBytes / 1e6, lagP99: stats.lagP99Ms }));
    }, 60_000);
    let sent = 0;
    let failed = 0;
    let replies = 0;
    await rhythm((i) => {
      const client = clients[i]!;
      const started = performance.now();
      const n = sent++;
      void client.sdk
        .call('POST', `/v1/conversations/${client.conversationId}/messages`, { text: `message ${n}`, client_id: `m-${n}` })
        .then((res) => {
          if (res.status !== 201) return failed++;
          ackedAt.push(performance.now());
          return acks.push(performance.now() - started);
        }, () => failed++);
      const r = replies++;
      void hub.call({ type: 'reply', conversationId: client.conversationId, sourceMessageId: `bench-reply-${r}`, text: `reply ${r}` }).catch(() => failed++);
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    clearInterval(minuteTimer);
    const after = await hub.call<Stats>({ type: 'stats' });
    const perMinute = minutes.map((m, i) => {
      const inMinute = (at: number[], values: number[]) => values.filter((_, k) => at[k]! - measureStarted >= i * 60_000 && at[k]! - measureStarted < (i + 1) * 60_000);
      return { ...m, sendAckP99: p99(inMinute(ackedAt, acks)), replyP99: p99(inMinute(deliveredAt, deliveries)) };
    });
    for (const [i, m] of perMinute.entries()) {
      console.log(
        `minute ${i + 1} send_ack_p99_ms=${fmt(m.sendAckP99)} reply_delivery_p99_ms=${fmt(m.replyP99)} loop_lag_p99_ms=${fmt(m.lagP99)} heap_used_mb=${fmt(m.heapUsedMb)} rss_mb=${fmt(m.rssMb)}`,
      );
    }
    if (perMinute.length >= 3) {
      // The soak target: the last minute within 20% of the second (the first still warms up).
      const second = perMinute[1]!;
      const last = perMinute.at(-1)!;
      console.log(
        `soak last_vs_second_minute send_ack_p99=${(last.sendAckP99 / second.sendAckP99).toFixed(2)} reply_delivery_p99=${(last.replyP99 / second.replyP99).toFixed(2)} heap_used=${(last.heapUsedMb / second.heapUsedMb).toFixed(2)}`,
      );
    }
    // RSS growth mixes a leak with the V8 heap not yet collected and PGlite's WebAssembly memory
    // (which never shrinks): the heap figures tell them apart.
    console.log(
      `hub memory: rss ${fmt(before.rssBytes / 1e6)} → ${fmt(after.rssBytes / 1e6)} MB, ` +
        `heap used ${fmt(before.heapUsedBytes / 1e6)} → ${fmt(after.heapUsedBytes / 1e6)} MB, heap total ${fmt(before.heapTotalBytes / 1e6)} → ${fmt(after.heapTotalBytes / 1e6)} MB`,
    );
    if (process.env['BENCH_EXPLAIN']) {
      // What the job queue's fetch does on the hub's store after the run.
      const plan = await hub.call<Record<string, string>[]>({
        type: 'query',
        sql: `EXPLAIN (ANALYZE, BUFFERS) WITH next as (SELECT id FROM pgboss.job WHERE name = 'acknowledgement.settle' AND state < 'active' AND start_after < now() ORDER BY priority desc, created_on, id LIMIT 10 FOR UPDATE SKIP LOCKED) SELECT * FROM next`,
      });
      console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
      const tables = await hub.call<Record<string, unknown>[]>({ type: 'query', sql: `SELECT relname, n_live_tup, n_dead_tup, last_vacuum, last_analyze FROM pg_stat_all_tables WHERE schemaname = 'pgboss' ORDER BY n_live_tup DESC LIMIT 8` });
      console.log(tables);
      const counts = await hub.call<Record<string, unknown>[]>({ type: 'query', sql: `SELECT name, state, count(*) FROM pgboss.job GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 12` });
      console.log(counts);
    }
    for (const client of clients) client.socket.close();
    return {
      msgsPerS: (acks.length + deliveries.length) / SECONDS,
      sendAckP99: p99(acks),
      deliveryP99: p99(deliveries),
      lagP99: after.lagP99Ms,
      rssGrowthMb: (after.rssBytes - before.rssBytes) / 1e6,
      sent,
      acked: acks.length,
      replies,
      delivered: deliveries.length,
      duplicates,
      failed,
    };
  } finally {
    await hub.call({ type: 'stop' }).catch(() => {});
    // Let it exit by itself (a CPU profile is written at exit), but never wait forever.
    await Promise.race([hub.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    killAll();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchEcho() {
  const child = fork(fileURLToPath(new URL('./echo-server.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  const rtts: number[] = [];
  const sockets = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${ready.port}`);
      socket.on('message', (data) => rtts.push(Date.now() - Number(data.toString())));
      await once(socket, 'open');
      return socket;
    }),
  );
  // The same rhythm: one frame out and one frame back per client per period.
  await rhythm((i) => sockets[i]!.send(String(Date.now())));
  for (const socket of sockets) socket.close();
  child.kill();
  return { p99: p99(rtts), count: rtts.length };
}

const hubFigures = await benchHub();
const echo = await benchEcho();
console.log(
  `hub: ${hubFigures.acked}/${hubFigures.sent} messages acknowledged, ${hubFigures.delivered}/${hubFigures.replies} replies delivered (${hubFigures.duplicates} twice), ${hubFigures.failed} failures; echo baseline: ${echo.count} round trips`,
);
console.log(
  `bench chat sockets=${CLIENTS} msgs_per_s=${fmt(hubFigures.msgsPerS)} send_ack_p99_ms=${fmt(hubFigures.sendAckP99)} ` +
    `reply_delivery_p99_ms=${fmt(hubFigures.deliveryP99)} loop_lag_p99_ms=${fmt(hubFigures.lagP99)} ` +
    `rss_growth_mb=${fmt(hubFigures.rssGrowthMb)} baseline_echo_p99_ms=${fmt(echo.p99)}`,
);
process.exit(0);
