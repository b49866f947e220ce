/**
 * `npm run triage:tune -- FILE.csv|SUITE.yaml… [--out FILE.yaml] [--check]`
 *
 * Fits the category scales and level thresholds (eval/tune.ts) on labelled files — the
 * development CSV, the behaviour suite, staff corrections exported from the dashboard — and
 * writes them to src/triage/weights.yaml (a file to review in a diff like any other change),
 * printing each file's figures before and after. Each file counts equally in the fit, however many
 * rows it has: the suite's 174 cases weigh as much as the development set's 1,395 rows.
 * The fit is deterministic, so the shipped file is reproducible: --check exits 1 when the
 * file would change.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { exitWithUsageIfAsked } from '../../cli/usage.js';
import { PRIORITIES, type LabelledTicket } from '../eval/csv.js';
import { evaluate } from '../eval/evaluate.js';
import { caseOutcomes } from '../eval/explain.js';
import { rocAuc } from '../eval/metrics.js';
import { readLabelled } from '../eval/suite.js';
import { applyTuning, featuresOf, tune, type Tuning } from '../eval/tune.js';
import { asWritten, defaultLexicon, loadLexicon, SHIPPED_LEXICON, SHIPPED_WEIGHTS, type CompiledLexicon } from '../lexicon.js';
import { runCli } from './pipe.js';

exitWithUsageIfAsked({
  synopsis: 'npm run triage:tune -- FILE.csv|SUITE.yaml[=WEIGHT]… [--out FILE.yaml] [--check]',
  description:
    "Fits how much each lexicon category counts and the thresholds between levels (ordinal logistic regression over the categories' evidence) on labelled CSVs (subject, body, priority) and behaviour suites (YAML), each file counting as much as its weight (FILE=2; default 1) however many rows it has; prints each file's figures before and after, and writes the weights for review. The shipped src/triage/weights.yaml is what this command writes for ../shared/data/urgency/tickets-dev.csv and test/triage/behaviour/suite.yaml.",
  options: [
    ['--out FILE.yaml', 'where to write the weights (default: src/triage/weights.yaml, the shipped file)'],
    ['--check', 'write nothing; exit 1 if the weights file differs from what the fit gives (reproducibility)'],
  ],
});

const USAGE = 'usage: triage:tune -- FILE.csv|SUITE.yaml[=WEIGHT]… [--out FILE.yaml] [--check]';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Input {
  path: string;
  /** How much the file counts against the others (FILE=WEIGHT; default 1). */
  weight: number;
  tickets: LabelledTicket[];
  sha256: string;
}

function fixed(n: number): string {
  return n.toFixed(3);
}

/** One file's figures with one lexicon: urgent P/R, macro-F1, low recall, AUC (and evidence, for a suite). */
function figures(tickets: readonly LabelledTicket[], lexicon: CompiledLexicon): string {
  const { ours } = evaluate(tickets, lexicon, { folds: null, baseline: false });
  const { urgent, macroF1, perClass } = ours.scores;
  const auc = rocAuc(ours.ranking, tickets.map((t) => t.priority === 'high'));
  const outcomes = caseOutcomes(tickets, lexicon);
  const named = outcomes.filter((o) => o.explained !== null);
  const suite = outcomes.length > 0 ? ` exact=${fixed(outcomes.filter((o) => o.right).length / outcomes.length)} evidence=${named.filter((o) => o.explained).length}/${named.length}` : '';
  return `urgent P=${fixed(urgent.precision)} R=${fixed(urgent.recall)} macro_F1=${fixed(macroF1)} low_R=${fixed(perClass.low.recall)} AUC=${fixed(auc)}${suite}`;
}

/** The weights file: what was fitted, from what, by which command; no date, so a rerun is identical. */
export function weightsYaml(tuning: Tuning, inputs: readonly Input[]): string {
  const header = [
    '# Fitted by `npm run triage:tune` (src/triage/cli/tune.ts); do not edit by hand, rerun it:',
    `#   npm run triage:tune -- ${inputs.map((i) => (i.weight === 1 ? i.path : `${i.path}=${i.weight}`)).join(' ')}`,
    '# Inputs (a file counts as much as its weight, however many rows it has):',
    ...inputs.map((i) => `#   ${i.path} (weight ${i.weight}): ${i.tickets.length} rows (${PRIORITIES.map((p) => `${i.tickets.filter((t) => t.priority === p).length} ${p}`).join(', ')}), sha256 ${i.sha256.slice(0, 16)}`),
    '# An evidence item counts its phrase weight in lexicon.yaml times its category scale below.',
  ];
  const body = stringify({ version: 1, thresholds: tuning.thresholds, scales: tuning.categoryScale });
  return `${header.join('\n')}\n${body}`;
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, check: { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const inputs: Input[] = positionals.map((arg) => {
    const split = /^(.*)=(\d+(?:\.\d+)?)$/.exec(arg);
    const path = split ? split[1]! : arg;
    const weight = split ? Number(split[2]) : 1;
    if (!(weight > 0)) throw new Error(`${arg}: a file's weight must be a positive number (FILE=2)`);
    const tickets = readLabelled(path);
    if (tickets.length === 0) throw new Error(`${path}: no labelled rows`);
    // Named from the project root, as `npm run` runs it, so the file reads the same from any directory.
    return { path: relative(ROOT, resolve(path)), weight, tickets, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
  });
  const out = values.out ?? fileURLToPath(SHIPPED_WEIGHTS);
  const written = loadLexicon(SHIPPED_LEXICON);
  const all = inputs.flatMap((i) => i.tickets);
  // Each file's rows share its weight (1 unless FILE=WEIGHT): a file counts as much as its weight,
  // whatever its number of rows. The mean row weight is 1.
  const totalWeight = inputs.reduce((sum, i) => sum + i.weight, 0);
  const weights = inputs.flatMap((i) => i.tickets.map(() => (all.length * i.weight) / (totalWeight * i.tickets.length)));
  const started = performance.now();
  const groups = inputs.flatMap((input, g) => input.tickets.map(() => g));
  const tuning = tune(featuresOf(all, written, weights, groups), written, {}, inputs.map((i) => i.weight));
  const fitted = applyTuning(written, tuning);
  const yaml = weightsYaml(tuning, inputs);

  console.log(`triage tune: ${inputs.length} file(s), ${all.length} rows, fitted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const before = values.check ? null : defaultLexicon();
  for (const input of inputs) {
    console.log(`${input.path}`);
    console.log(`  as written:   ${figures(input.tickets, asWritten(written))}`);
    if (before) console.log(`  shipped now:  ${figures(input.tickets, before)}`);
    console.log(`  fitted:       ${figures(input.tickets, fitted)}`);
  }
  console.log(`thresholds: urgent=${tuning.thresholds.urgent} high=${tuning.thresholds.high} low=${tuning.thresholds.low}`);
  console.log(`scales: ${Object.entries(tuning.categoryScale).map(([c, v]) => `${c}=${v}`).join(' ')}`);
  if (values.check) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      // A missing file differs.
    }
    if (current === yaml) {
      console.log(`${out} is what this fit gives`);
      return 0;
    }
    console.error(`${out} differs from what this fit gives: rerun without --check and review the diff`);
    return 1;
  }
  writeFileSync(out, yaml);
  console.log(`wrote ${out}`);
  return 0;
}

runCli('triage:tune', main);
