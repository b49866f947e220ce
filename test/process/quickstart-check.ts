/**
 * CI step (`.ci/run`): follows README's "Quick start" block as written. Each command line is run:
 * `npm ci` as is; `npm start` until `/readyz` answers 200, then Ctrl-C (SIGINT to its process
 * group, as a terminal sends it) must stop it cleanly; `npm run demo` until it prints its URLs,
 * each of which must answer, then Ctrl-C must stop everything and free every port it printed;
 * `npm test` is the suite `.ci/run` has just run. An unknown command runs to completion and must
 * exit 0, so a new line in the block is checked too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/hub.js';
import { freePort } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function quickStartCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no ```sh block under "## Quick start"');
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((line) => line.split('&&').map((c) => c.trim()));
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

function start(command: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  // Without a shell in between: the group gets Ctrl-C as npm does in a terminal.
  const [file, ...args] = command.split(/\s+/);
  const child = spawn(file!, args, { cwd: ROOT, detached: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

/**
 * Ctrl-C: SIGINT to the whole process group, as a terminal sends it. npm passes the signal on and,
 * once its script has exited, ends itself by the same signal (what a shell shows as ^C); so the
 * proof of a clean stop is the script's own last words (`stoppedLine`) and the freed ports.
 */
async function ctrlC(run: { child: ChildProcess; output: () => string }, what: string, stoppedLine: string): Promise<void> {
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => run.child.once('exit', (code, signal) => resolve({ code, signal })));
  process.kill(-run.child.pid!, 'SIGINT');
  const result = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
  if (result === 'timeout') {
    process.kill(-run.child.pid!, 'SIGKILL');
    throw new Error(`${what} did not stop within 20 s of Ctrl-C`);
  }
  if (!(result.code === 0 || result.signal === 'SIGINT')) throw new Error(`${what} ended with ${result.code ?? result.signal} after Ctrl-C`);
  if (!run.output().includes(stoppedLine)) throw new Error(`${what} ended without "${stoppedLine}": not a clean stop`);
}

async function npmStart(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'quickstart-'));
  const port = await freePort();
  const run = start('npm start', { HUB_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 90_000, 'npm start: /readyz 200');
    await ctrlC(run, 'npm start', '"msg":"hub stopped"');
    if (await portOpen(port)) throw new Error(`port ${port} still open after npm start stopped`);
  } catch (error) {
    console.error(run.output());
    stopGroup(run.child);
    throw error;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function npmRunDemo(): Promise<void> {
  const run = start('npm run demo', {});
  try {
    await waitFor(() => run.output().includes('Ctrl-C stops everything'), 120_000, 'the demo to print its URLs');
    const urls = [...new Set(run.output().match(/http:\/\/127\.0\.0\.1:\d+[^\s),]*/g) ?? [])];
    if (urls.length < 3) throw new Error(`the demo printed too few URLs: ${urls.join(' ')}`);
    for (const url of urls) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    }
    const login = /log in as (\S+) with password (\S+)/.exec(run.output());
    if (!login) throw new Error('the demo printed no dashboard login');
    const smtp = [...run.output().matchAll(/smtp:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    const ports = [...new Set([...urls.map((u) => Number(new URL(u).port)), ...smtp])];
    await ctrlC(run, 'npm run demo', 'demo stopped; nothing left running');
    for (const port of ports) if (await portOpen(port)) throw new Error(`port ${port} still open after the demo stopped`);
    console.log(`quick start: npm run demo served ${urls.length} URLs on ${ports.length} ports and stopped on Ctrl-C, leaving none open`);
  } catch (error) {
    console.error(run.output());
    stopGroup(run.child);
    throw error;
  }
}

/** Whatever happened, nothing this check started is left running. */
function stopGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

const commands = quickStartCommands();
const done = new Set<string>();
for (const command of commands) {
  if (done.has(command)) continue;
  done.add(command);
  if (command === 'npm start') await npmStart();
  else if (command === 'npm run demo') await npmRunDemo();
  else if (command === 'npm test') {
    console.log('quick start: npm test is the suite .ci/run ran just before');
    continue;
  } else {
    const result = spawnSync(command, { cwd: ROOT, shell: true, stdio: 'inherit', timeout: 600_000 });
    if (result.status !== 0) throw new Error(`quick start: "${command}" exited ${result.status}`);
  }
  console.log(`quick start: ${command} OK`);
}
