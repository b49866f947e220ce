/**
 * Issue 22 item 9 (README: "Every command answers --help (or -h) with its usage and exits 0"):
 * every command-line script in package.json, run as a real process with `--help`, prints its
 * usage on stdout and exits 0 before it reads its configuration or touches anything — no data
 * directory, no temporary directory (the demo and the benchmarks make theirs there), no server.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, runScript } from '../support/processes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scripts = Object.entries((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts)
  .map(([name, command]) => ({ name, entry: /^node --import tsx (\S+)$/.exec(command)?.[1] }))
  .filter((script): script is { name: string; entry: string } => script.entry !== undefined);

/** Runs `work` over `items`, at most `limit` at a time: ~20 node processes on a 2-core machine. */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

describe('every command-line script answers --help', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cli-help-'));
  // The scripts' own temporary directory: anything but tsx's compile cache in it afterwards was
  // made by a script that should only have printed its usage.
  const scriptTmp = join(scratch, 'tmp');
  mkdirSync(scriptTmp);
  const dataDir = join(scratch, 'data');
  afterAll(() => {
    killAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('finds the scripts to check in package.json', () => {
    expect(scripts.map((s) => s.name)).toEqual(expect.arrayContaining(['start', 'migrate', 'mail:parse', 'triage:classify', 'user:create', 'users', 'demo', 'doctor', 'test:chaos', 'bench:sidebar']));
  });

  it('prints "Usage:" on stdout, exits 0, and creates nothing', { timeout: 300_000 }, async () => {
    const env = { HUB_DATA_DIR: dataDir, TMPDIR: scriptTmp, PORT: '0', SMTP_PORT: '0' };
    // The first run alone fills tsx's compile cache for the others; then three at a time.
    const [first, ...rest] = scripts;
    const run = async ({ name, entry }: { name: string; entry: string }) => {
      const asked = name === 'doctor' ? '-h' : '--help';
      const { code, stdout, stderr } = await runScript(entry, [asked], env);
      return { name, code, stdout, stderr };
    };
    const results = [await run(first!), ...(await inBatches(rest, 3, run))];
    const problems = results.flatMap(({ name, code, stdout, stderr }) => {
      const invocation = name === 'start' ? 'npm start' : `npm run ${name}`;
      const wrong: string[] = [];
      if (code !== 0) wrong.push(`exit ${code}: ${stderr.slice(0, 300)}`);
      if (!stdout.startsWith(`Usage: ${invocation}`)) wrong.push(`stdout does not start with "Usage: ${invocation}": ${stdout.slice(0, 120)}`);
      if (!stdout.includes('-h, --help')) wrong.push('the usage does not list -h, --help');
      return wrong.map((w) => `${name}: ${w}`);
    });
    expect(problems).toEqual([]);
    expect(existsSync(dataDir), 'a data directory was created').toBe(false);
    expect(readdirSync(scriptTmp).filter((entry) => !entry.startsWith('tsx-'))).toEqual([]);
  });

  it('lists the environment a benchmark reads', async () => {
    const { code, stdout } = await runScript('test/bench/sync.bench.ts', ['-h'], { TMPDIR: scriptTmp });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Environment:$/m);
    expect(stdout).toContain('BENCH_VENDOR');
  });
});
