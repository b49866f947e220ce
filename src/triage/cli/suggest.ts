/**
 * `npm run triage:suggest -- FILE.csv [--top 30] [--min-tickets 5] [--max-words 3]`
 *
 * Prints, per class, the words and phrases most typical of it (log-odds z-score, ticket counts,
 * mean TF-IDF) and whether the lexicon already covers them, for a person to review before
 * anything is added to lexicon.yaml. Prefer proposals that name a category of problem over
 * ones that only name this dataset's products.
 */
import { parseArgs } from 'node:util';
import { classify } from '../classify.js';
import { defaultLexicon } from '../lexicon.js';
import { PRIORITIES, readLabelledTickets, type Priority } from '../eval/csv.js';
import { suggestTerms } from '../suggest.js';
import { runCli } from './pipe.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run triage:suggest -- FILE.csv [--top N] [--min-tickets N] [--max-words N]',
  description: 'Prints, per priority class of a labelled CSV, the words and phrases most typical of it and whether the lexicon already covers them, for a person to review before anything is added to lexicon.yaml.',
  options: [
    ['--top N', 'proposals per class (default 30)'],
    ['--min-tickets N', 'a term must appear in at least N tickets (default 5)'],
    ['--max-words N', 'longest phrase in words (default 3)'],
  ],
});

const USAGE = 'usage: triage:suggest -- FILE.csv [--top N] [--min-tickets N] [--max-words N]';
const HEADINGS: Record<Priority, string> = {
  high: 'typical of urgent tickets (label high)',
  medium: 'typical of normal tickets (label medium)',
  low: 'typical of low-priority tickets (label low)',
};

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

/** Which lexicon categories already fire on this wording ("" when none: a new proposal). */
function coverage(wording: string): string {
  const categories = new Set(classify({ text: wording }).evidence.filter((e) => e.start !== null).map((e) => e.category));
  return [...categories].join(',');
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { top: { type: 'string' }, 'min-tickets': { type: 'string' }, 'max-words': { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const options = {
    top: positiveInt(values.top, 30, 'top'),
    minTickets: positiveInt(values['min-tickets'], 5, 'min-tickets'),
    maxWords: positiveInt(values['max-words'], 3, 'max-words'),
  };
  defaultLexicon();
  const tickets = readLabelledTickets(file);
  const proposals = suggestTerms(tickets, options);
  console.log(`triage suggest: ${file} (n=${tickets.length}); review before adding: generalise by category and phrasing`);
  for (const cls of PRIORITIES) {
    console.log(`\n${HEADINGS[cls]}`);
    console.log(`${'z'.padStart(6)} ${'high'.padStart(5)} ${'med'.padStart(5)} ${'low'.padStart(5)} ${'tfidf'.padStart(6)}  ${'wording'.padEnd(36)} in lexicon`);
    for (const p of proposals[cls]) {
      const counts = [p.tickets.high, p.tickets.medium, p.tickets.low].map((c) => String(c).padStart(5)).join(' ');
      console.log(`${p.z.toFixed(2).padStart(6)} ${counts} ${p.meanTfIdf.toFixed(3).padStart(6)}  ${p.example.padEnd(36)} ${coverage(p.example) || '—'}`);
    }
  }
  return 0;
}

runCli('triage:suggest', main);
