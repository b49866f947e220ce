/**
 * `npm run bench:triage`: messages/s of the urgency classifier on one core over the development
 * set, beside natural's BayesClassifier `classify()` (trained on the same set) and the naive
 * keyword regex, measured in the same run. Also the per-message latency of the classifier.
 *
 *   BENCH_TRIAGE_CSV      labelled tickets (default ../shared/data/urgency/tickets-dev.csv)
 *   BENCH_TRIAGE_SECONDS  minimum time per measured method (default 3)
 */
import { classify, type TriageInput } from '../../src/triage/classify.js';
import { bayesPriority, regexPriority, ticketText, trainBayes } from '../../src/triage/eval/baselines.js';
import { readLabelledTickets } from '../../src/triage/eval/csv.js';
import { defaultLexicon } from '../../src/triage/lexicon.js';
import { exitWithUsageIfAsked } from '../../src/cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run bench:triage',
  description: "Messages per second of the urgency classifier on one core over the development set, beside natural's BayesClassifier and the naive keyword regex in the same run, and the classifier's per-message latency.",
  environment: [
    ['BENCH_TRIAGE_CSV', 'labelled tickets (default ../shared/data/urgency/tickets-dev.csv)'],
    ['BENCH_TRIAGE_SECONDS', 'minimum time per measured method (default 3)'],
  ],
});

const file = process.env['BENCH_TRIAGE_CSV'] ?? '../shared/data/urgency/tickets-dev.csv';
const minSeconds = Number(process.env['BENCH_TRIAGE_SECONDS'] ?? 3);

const tickets = readLabelledTickets(file);
const inputs: TriageInput[] = tickets.map((t) => ({ subject: t.subject, text: t.body, channel: 'email' }));
const texts = tickets.map(ticketText);

/** Whole passes over the set until at least `minSeconds` have gone by; returns messages/s. */
function throughput(perMessage: (i: number) => unknown): number {
  let messages = 0;
  let sink = 0;
  const started = performance.now();
  do {
    for (let i = 0; i < texts.length; i++) if (perMessage(i)) sink++;
    messages += texts.length;
  } while (performance.now() - started < minSeconds * 1000);
  const seconds = (performance.now() - started) / 1000;
  if (sink < 0) console.log(sink); // keeps the results observable so no call is optimised away
  return messages / seconds;
}

function latencyMicros(): { p50: number; p99: number } {
  const samples: number[] = [];
  for (const input of inputs) {
    const t0 = performance.now();
    classify(input);
    samples.push((performance.now() - t0) * 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
}

defaultLexicon();
// Warm-up pass: JIT and the stem cache, as in a running hub that has seen a few messages.
for (const input of inputs) classify(input);

const ours = throughput((i) => classify(inputs[i]!).level);
const latency = latencyMicros();
const regex = throughput((i) => regexPriority(texts[i]!));
const bayes = trainBayes(tickets);
const bayesRate = throughput((i) => bayesPriority(bayes, texts[i]!));

console.log(`triage bench: ${tickets.length} messages from ${file}, one core, >= ${minSeconds} s per method`);
console.log(`classifier latency per message: p50=${latency.p50.toFixed(1)} us p99=${latency.p99.toFixed(1)} us`);
console.log(`bench triage msgs_per_s=${Math.round(ours)} bayes_msgs_per_s=${Math.round(bayesRate)} regex_msgs_per_s=${Math.round(regex)}`);
