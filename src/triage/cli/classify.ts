/**
 * `npm run triage:classify -- "message text"` (or the text on stdin), for people tuning the
 * lexicon: prints the level, score, confidence and each piece of evidence with its place in the
 * text. Options: --subject S, --plan free|trial|paid|enterprise, --channel chat|email|helpdesk,
 * --repeat (contacted again within 24 h), --json, --lexicon FILE.yaml.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { classify, type TriageResult } from '../classify.js';
import { defaultLexicon, loadLexicon } from '../lexicon.js';
import { runCli } from './pipe.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: ['npm run triage:classify -- [options] "message text"', 'echo "message text" | npm run triage:classify -- [options]'],
  description: 'Classifies one message as the hub would and prints the level, score, confidence and each piece of evidence with its place in the text: for people tuning the lexicon.',
  options: [
    ['--subject S', 'the subject line'],
    ['--plan P', 'the customer’s plan: free, trial, paid or enterprise'],
    ['--channel C', 'chat, email or helpdesk'],
    ['--repeat', 'the customer contacted support again within 24 hours'],
    ['--json', 'print the whole result as JSON'],
    ['--lexicon FILE.yaml', 'classify with this lexicon instead of the shipped one'],
  ],
});

const USAGE =
  'usage: triage:classify -- [--subject S] [--plan free|trial|paid|enterprise] [--channel chat|email|helpdesk] [--repeat] [--json] [--lexicon FILE.yaml] "text" (or text on stdin)';

const OptionsSchema = z.object({
  plan: z.enum(['free', 'trial', 'paid', 'enterprise']).optional(),
  channel: z.enum(['chat', 'email', 'helpdesk']).optional(),
});

function render(result: TriageResult): string {
  const lines = [`level=${result.level} score=${result.score} confidence=${result.confidence}`];
  if (result.evidence.length === 0) lines.push('  (no evidence: nothing in the lexicon matched)');
  for (const e of result.evidence) {
    const where = e.start === null ? '' : ` @${e.start}-${e.end}`;
    const sign = e.weight > 0 ? '+' : '';
    lines.push(`  ${`${sign}${e.weight}`.padStart(7)}  ${e.category.padEnd(20)} "${e.phrase}"${where}${e.negated ? ' (negated)' : ''}${e.reading ? ` (${e.reading})` : ''}`);
  }
  lines.push('classified text:', ...result.text.split('\n').map((l) => `  | ${l}`));
  return lines.join('\n');
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      subject: { type: 'string' },
      plan: { type: 'string' },
      channel: { type: 'string' },
      repeat: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      lexicon: { type: 'string' },
    },
  });
  const parsed = OptionsSchema.safeParse({ plan: values.plan, channel: values.channel });
  if (!parsed.success) {
    console.error(USAGE);
    return 2;
  }
  const text = positionals.length > 0 ? positionals.join(' ') : process.stdin.isTTY ? '' : readFileSync(0, 'utf8');
  if (text.trim() === '' && !values.subject) {
    console.error(USAGE);
    return 2;
  }
  const lexicon = values.lexicon ? loadLexicon(values.lexicon) : defaultLexicon();
  const result = classify(
    {
      subject: values.subject ?? null,
      text,
      planTier: parsed.data.plan ?? null,
      ...(parsed.data.channel ? { channel: parsed.data.channel } : {}),
      repeatContactWithin24h: values.repeat,
    },
    lexicon,
  );
  console.log(values.json ? JSON.stringify(result, null, 2) : render(result));
  return 0;
}

runCli('triage:classify', main);
