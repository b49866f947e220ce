/**
 * `npm run bench:email`: messages/s through the inbound pipeline's own steps (parse → loop and
 * bounce guard → sender → threading decision → quoted-history stripping) over a mixed corpus,
 * beside mailparser's simpleParser alone in the same run; then the full pipeline including the
 * threading look-ups and `ingest()` on the embedded store, with 8 concurrent deliveries.
 *
 *   BENCH_N   messages per measurement (default 3000)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { classifyAutomatedMail } from '../../src/channels/email/loop-guard.js';
import { parseMail } from '../../src/channels/email/parse.js';
import { stripEmailHistory } from '../../src/channels/email/quoted.js';
import { receiveMail } from '../../src/channels/email/receive.js';
import { conversationOfReplyAddress } from '../../src/channels/email/reply-address.js';
import { identifySender } from '../../src/channels/email/sender.js';
import { createEventBus } from '../../src/conversations/events.js';
import { Ingestor } from '../../src/conversations/ingest.js';
import { JobQueue } from '../../src/jobs/queue.js';
import { migrate } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/store.js';
import { exitWithUsageIfAsked } from '../../src/cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run bench:email',
  description: "Messages per second through the inbound email steps over a mixed corpus, beside mailparser's simpleParser alone in the same run; then the full pipeline with ingest() on the embedded store and 8 concurrent deliveries.",
  environment: [['BENCH_N', 'messages per measurement (default 3000)']],
});

const N = Number(process.env['BENCH_N'] ?? 3000);
const MAILBOX = 'support@acme.example';
const SECRET = 'bench-reply-secret-0123456789';
const root = fileURLToPath(new URL('../../', import.meta.url));

// The FreeScout set (real-world charsets and attachments) and our own fixtures (replies in
// several clients' styles, auto-replies, bounces).
const corpus = [
  ...readdirSync(join(root, '../shared/data/mail/freescout')).map((f) => join(root, '../shared/data/mail/freescout', f)),
  ...readdirSync(join(root, 'test/channels/email/fixtures')).filter((f) => f.endsWith('.eml')).map((f) => join(root, 'test/channels/email/fixtures', f)),
].map((file) => readFileSync(file));

/** The i-th message of the run: a corpus mail with a Message-ID of its own. */
function mail(i: number): Buffer {
  const raw = corpus[i % corpus.length]!.toString('latin1');
  const id = `<bench-${i}@bench.example>`;
  const replaced = /^message-id:.*$/im.test(raw) ? raw.replace(/^message-id:.*$/im, `Message-ID: ${id}`) : `Message-ID: ${id}\r\n${raw}`;
  return Buffer.from(replaced, 'latin1');
}

async function timed(label: string, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  const perSecond = N / ((performance.now() - started) / 1000);
  console.log(`${label}: ${Math.round(perSecond)} msgs/s`);
  return perSecond;
}

const inputs = Array.from({ length: N }, (_, i) => mail(i));
// Warm both paths (JIT, lazy module loads) before measuring.
for (const raw of inputs.slice(0, 50)) {
  await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  await parseMail(raw);
}

// The baseline parses with the same mailparser options parseMail uses, so the ratio is what our
// own steps cost on top (mailparser's defaults also render text to HTML, which we skip).
const SAME_OPTIONS = { skipImageLinks: true, skipTextToHtml: true, maxHtmlLengthToParse: 2 * 1024 * 1024 };
const mailparserRate = await timed('mailparser simpleParser alone (same options)', async () => {
  for (const raw of inputs) await simpleParser(raw, SAME_OPTIONS);
});

const pipelineRate = await timed('pipeline steps (parse, guard, sender, threading decision, strip)', async () => {
  for (const raw of inputs) {
    const parsed = await parseMail(raw);
    classifyAutomatedMail(parsed, { ownDomains: ['acme.example'], ownAddresses: [MAILBOX] });
    identifySender(parsed, { ownAddresses: [MAILBOX] });
    for (const r of [...parsed.to, ...parsed.cc]) conversationOfReplyAddress(SECRET, r.address, 'acme.example');
    stripEmailHistory(parsed.text);
  }
});

const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-email-'));
const store = await openStore({ dataDir, poolSize: 4 });
const log = pino({ level: 'warn' });
let ingestRate = 0;
try {
  await migrate(store);
  const bus = await createEventBus(log, store);
  const queue = new JobQueue(store, log, { concurrency: 0, maintenanceIntervalSeconds: 60 });
  await queue.start(null);
  const ingestor = new Ingestor({ store, queue, bus, log, followUps: [] });
  const deps = { store, log, ingest: (m: Parameters<Ingestor['ingest']>[0]) => ingestor.ingest(m), mailbox: MAILBOX, domain: 'acme.example', replySecret: SECRET, maxMessageBytes: 25 * 1024 * 1024 };
  let next = 0;
  let stored = 0;
  ingestRate = await timed('full pipeline with threading look-ups and ingest() (PGlite, 8 concurrent)', async () => {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < N; i = next++) {
          const outcome = await receiveMail(deps, inputs[i]!, [MAILBOX]);
          if (outcome.kind === 'stored') stored++;
        }
      }),
    );
  });
  console.log(`${stored} of ${N} stored (the rest are bounces, which never become conversations)`);
  await queue.stop(1000);
  await bus.close();
} finally {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toString() : n.toFixed(2));
console.log(
  `bench email pipeline_msgs_per_s=${fmt(pipelineRate)} mailparser_msgs_per_s=${fmt(mailparserRate)} ratio=${(pipelineRate / mailparserRate).toFixed(2)} ingest_msgs_per_s=${fmt(ingestRate)} corpus=${corpus.length} n=${N}`,
);
