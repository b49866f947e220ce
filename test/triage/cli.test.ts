/**
 * The triage command lines, run as people run them: arguments as in the issue
 * (`-- FILE.csv --folds 5 --baseline`), a machine-readable last line, usage errors with exit 2.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

async function cli(script: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = run(process.execPath, ['--import', 'tsx', `src/triage/cli/${script}.ts`, ...args], { cwd: root, timeout: 60_000 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let dir = '';
let csv = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'triage-cli-'));
  csv = join(dir, 'tickets.csv');
  const rows = [
    ['Site down', 'Our site is down and customers cannot pay', 'high'],
    ['Data loss', 'We lost all our data after the update, urgent', 'high'],
    ['Login', "I can't log in since this morning", 'high'],
    ['Question', 'How do I add a second admin?', 'medium'],
    ['Invoice', 'Could you resend the invoice, please?', 'medium'],
    ['Export', 'The export sometimes fails', 'medium'],
    ['Idea', 'Feature request: dark mode would be nice', 'low'],
    ['Typo', 'No rush, there is a typo on the pricing page', 'low'],
  ];
  const lines = ['id,subject,body,priority,language'];
  for (let i = 0; i < 24; i++) {
    const [subject, body, priority] = rows[i % rows.length]!;
    lines.push(`${i},"${subject}","${body!.replace(/"/g, '""')} (${i})",${priority},en`);
  }
  writeFileSync(csv, `${lines.join('\n')}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LAST_LINE = /^triage-eval n=\d+ urgent_precision=\d\.\d{3} urgent_recall=\d\.\d{3} urgent_f1=\d\.\d{3} macro_f1=\d\.\d{3} low_recall=\d\.\d{3}( exact_level=\d\.\d{3} evidence_explains=\d+\/\d+)?$/;

describe('triage:eval', () => {
  it('cross-validates with baselines and ends with the machine-readable line', async () => {
    const { code, stdout } = await cli('eval', [csv, '--folds', '2', '--baseline']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(LAST_LINE);
    expect(lines.at(-1)).toContain('n=24 ');
    expect(stdout).toContain('natural BayesClassifier');
    expect(stdout).toContain('regex urgent|asap|immediately|critical|emergency|outage|down');
    expect(stdout).toMatch(/tuned on training folds/);
    // The supervised reference and the threshold-free figures that say what limits the scores.
    expect(stdout).toMatch(/logistic regression, words \+ pairs \(2-fold CV\)\s+\d\.\d{3}/);
    expect(stdout).toMatch(/ranking, threshold-free/);
    expect(stdout).toMatch(/labels in each fifth of the lexicon ranking[^\n]*\n\s+fifth\s+high\s+medium\s+low\n(\s+\d\s+\d+%\s+\d+%\s+\d+%\n){5}/);
    expect(stdout).toMatch(/lexicon classifier \(2-fold CV, tuned on training folds\)\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\n/);
  });

  it('without --folds scores the shipped lexicon as is', async () => {
    const { code, stdout } = await cli('eval', [csv]);
    expect(code).toBe(0);
    expect(stdout).toContain('lexicon as shipped, no tuning');
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(LAST_LINE);
  });

  it('answers a usage error with exit code 2', async () => {
    const { code, stderr } = await cli('eval', [csv, '--folds', '1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--folds must be an integer of at least 2/);
  });
});

describe('triage:classify', () => {
  it('classifies text from stdin and shows level, score, confidence and evidence with offsets', async () => {
    const { code, stdout } = await cli('classify', ['--plan', 'enterprise'], 'Our site is down!!!');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^level=(urgent|high) score=[\d.]+ confidence=(high|medium|low)/);
    expect(stdout).toMatch(/outage\s+"is down" @\d+-\d+/);
    expect(stdout).toContain('plan: enterprise');
  });

  it('refuses an unknown plan tier', async () => {
    const { code } = await cli('classify', ['--plan', 'gold', 'hello']);
    expect(code).toBe(2);
  });
});

describe('triage:suggest', () => {
  it('prints proposals for each class', async () => {
    const { code, stdout } = await cli('suggest', [csv, '--min-tickets', '2', '--top', '5']);
    expect(code).toBe(0);
    expect(stdout).toContain('typical of urgent tickets');
    expect(stdout).toContain('typical of low-priority tickets');
  });
});
