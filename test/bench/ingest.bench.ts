/**
 * `npm run bench:ingest`: messages/s through `ingest()` — sequential, and 8 concurrent callers —
 * beside plain INSERTs of the same rows in the same run, with the event-loop delay during ingest.
 * Every message must be committed with its two follow-up jobs, or the run fails.
 *
 *   BENCH_N            messages for the concurrent run (default 6000; sequential uses N/4)
 *   BENCH_DATABASE_URL PostgreSQL server for backend=postgres (default the local test server;
 *                      the backend is skipped with a note if it cannot be reached)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { sql } from 'kysely';
import { createEventBus } from '../../src/conversations/events.js';
import type { InboundMessage, IngestResult } from '../../src/conversations/inbound.js';
import { Ingestor } from '../../src/conversations/ingest.js';
import { JobQueue } from '../../src/jobs/queue.js';
import { migrate } from '../../src/store/migrate.js';
import { openStore, type Store } from '../../src/store/store.js';
import { exitWithUsageIfAsked } from '../../src/cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run bench:ingest',
  description: 'Messages per second through ingest(), sequential and with 8 concurrent callers, beside plain INSERTs of the same rows in the same run, on the embedded store and on PostgreSQL. Last lines: bench ingest backend=… msgs_per_s=… …',
  environment: [
    ['BENCH_N', 'messages for the concurrent run (default 6000; sequential uses N/4)'],
    ['BENCH_BACKENDS', 'pglite,postgres (default both)'],
    ['BENCH_DATABASE_URL', 'PostgreSQL server for backend=postgres (default TEST_DATABASE_URL, else the local test server; skipped with a note if unreachable)'],
    ['BENCH_BATCHES', 'most ingest batches in flight at once (default: the ingestor’s own)'],
  ],
});

const N = Number(process.env['BENCH_N'] ?? 6000);
const CALLERS = 8;
const serverUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = pino({ level: 'warn' });

interface Figures {
  msgsPerS: number;
  p99Ms: number;
  loopLagP99Ms: number;
}

function message(run: string, i: number): InboundMessage {
  const user = `${run}-user-${i % 500}`;
  return {
    channel: 'chat',
    source: 'chat:bench',
    sourceMessageId: `${run}-${i}`,
    thread: { key: `${run}-thread-${i % 500}` },
    contact: { identityKind: 'chat', identityKey: `bench:${user}`, email: `${user}@example.com`, name: `User ${i % 500}`, verified: true },
    subject: 'Cannot export my report',
    text: `Hello, the export button does nothing since this morning (message ${i}). Could you look into it?`,
    metadata: { device: { platform: 'ios', appVersion: '4.2.0' } },
  };
}

// Two follow-up jobs per message, as triage + one helpdesk sync will enqueue.
const followUps = [
  (r: IngestResult) => [{ name: 'ops.probe' as const, data: { probeId: `triage:${r.message.id}` } }],
  (r: IngestResult) => [{ name: 'ops.probe' as const, data: { probeId: `sync:${r.message.id}` } }],
];

async function timeIngest(ingestor: Ingestor, run: string, count: number, callers: number): Promise<Figures> {
  const latencies: number[] = [];
  const lag = loopLagSampler();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        await ingestor.ingest(message(run, i));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const lagP99 = lag.stop();
  latencies.sort((a, b) => a - b);
  return {
    msgsPerS: count / seconds,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)]!,
    loopLagP99Ms: lagP99,
  };
}

/**
 * Event-loop lag as a request would feel it: a timer due every 5 ms, and how late it fires. (The
 * histogram of perf_hooks samples from libuv's idle phase and misses stalls inside PGlite's calls.)
 */
function loopLagSampler(): { stop(): number } {
  const lags: number[] = [];
  let expected = performance.now() + 5;
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    lags.push(Math.max(0, now - expected));
    expected = now + 5;
    timer = setTimeout(tick, 5);
  };
  timer = setTimeout(tick, 5);
  return {
    stop() {
      clearTimeout(timer);
      lags.sort((a, b) => a - b);
      return lags[Math.floor(lags.length * 0.99)] ?? 0;
    },
  };
}

/** The same three rows per message (contact, conversation, message) as plain autocommit INSERTs. */
async function baselineRowsPerS(store: Store, count: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      for (let i = next++; i < count; i = next++) {
        const contactId = randomUUID();
        const conversationId = randomUUID();
        await store.db
          .insertInto('contacts')
          .values({ id: contactId, identity_kind: 'chat', identity_key: `baseline:${i}`, email: `b${i}@example.com`, name: `B ${i}`, verified: true })
          .execute();
        await store.db
          .insertInto('conversations')
          .values({ id: conversationId, contact_id: contactId, channel: 'chat', source: 'chat:baseline', thread_key: `b-${i}`, subject: 'x', metadata: '{}' })
          .execute();
        await store.db
          .insertInto('messages')
          .values({
            id: randomUUID(),
            conversation_id: conversationId,
            direction: 'inbound',
            author_kind: 'customer',
            text: `Hello, the export button does nothing since this morning (message ${i}).`,
            attachments: '[]',
            source: 'chat:baseline',
            source_message_id: `b-${i}`,
            metadata: '{}',
          })
          .execute();
      }
    }),
  );
  return (count * 3) / ((performance.now() - started) / 1000);
}

async function verify(store: Store, runs: { run: string; count: number }[]): Promise<void> {
  for (const { run, count } of runs) {
    const messages = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE source_message_id LIKE ${`${run}-%`}`.execute(store.db);
    const jobs = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job j JOIN messages m ON j.data->>'probeId' IN ('triage:' || m.id, 'sync:' || m.id)
      WHERE m.source_message_id LIKE ${`${run}-%`}`.execute(store.db);
    if (messages.rows[0]!.n !== count || jobs.rows[0]!.n !== count * 2) {
      throw new Error(`run ${run}: expected ${count} messages and ${count * 2} jobs, found ${messages.rows[0]!.n} and ${jobs.rows[0]!.n}`);
    }
  }
}

async function benchBackend(backend: 'pglite' | 'postgres', databaseUrl?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-'));
  const store = await openStore({ dataDir, databaseUrl, poolSize: 12 });
  try {
    await migrate(store);
    const bus = await createEventBus(log, store);
    const queue = new JobQueue(store, log, { concurrency: 0, maintenanceIntervalSeconds: 60 });
    await queue.start(null);
    const ingestor = new Ingestor({ store, queue, bus, log, followUps }, { maxConcurrentBatches: process.env['BENCH_BATCHES'] ? Number(process.env['BENCH_BATCHES']) : undefined });
    await timeIngest(ingestor, 'warmup', 200, CALLERS);
    const sequential = await timeIngest(ingestor, 'seq', Math.ceil(N / 4), 1);
    const concurrent = await timeIngest(ingestor, 'conc', N, CALLERS);
    const baseline = await baselineRowsPerS(store, Math.ceil(N / 2));
    await verify(store, [
      { run: 'seq', count: Math.ceil(N / 4) },
      { run: 'conc', count: N },
    ]);
    await queue.stop(1000);
    await bus.close();
    return { backend, sequential, concurrent, baseline };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function withFreshDatabase<T>(work: (url: string) => Promise<T>): Promise<T | null> {
  const admin = new pg.Client({ connectionString: serverUrl });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`postgres backend skipped: cannot reach ${new URL(serverUrl).host} (${(error as Error).message})`);
    return null;
  }
  const name = `hub_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toString() : n.toFixed(2));
const wanted = (process.env['BENCH_BACKENDS'] ?? 'pglite,postgres').split(',');
const results: Awaited<ReturnType<typeof benchBackend>>[] = [];
if (wanted.includes('pglite')) results.push(await benchBackend('pglite'));
const server = wanted.includes('postgres') ? await withFreshDatabase((url) => benchBackend('postgres', url)) : null;
if (server) results.push(server);

for (const r of results) {
  console.log(
    `${r.backend}: sequential ${fmt(r.sequential.msgsPerS)} msgs/s (p99 ${fmt(r.sequential.p99Ms)} ms); ` +
      `${CALLERS} callers ${fmt(r.concurrent.msgsPerS)} msgs/s (p99 ${fmt(r.concurrent.p99Ms)} ms); ` +
      `plain INSERT baseline ${fmt(r.baseline)} rows/s; every message committed with its 2 jobs`,
  );
}
for (const r of results) {
  console.log(
    `bench ingest backend=${r.backend} msgs_per_s=${fmt(r.concurrent.msgsPerS)} p99_ms=${fmt(r.concurrent.p99Ms)} ` +
      `baseline_rows_per_s=${fmt(r.baseline)} loop_lag_p99_ms=${fmt(r.concurrent.loopLagP99Ms)} ` +
      `seq_msgs_per_s=${fmt(r.sequential.msgsPerS)} seq_p99_ms=${fmt(r.sequential.p99Ms)} callers=${CALLERS} n=${N}`,
  );
}
