import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { HubEvent } from '../../src/conversations/events.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/hub-process.ts', import.meta.url));
const baseEnv = { ...process.env, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', MAIL_CHECK_SENDERS: 'false' };

export interface HubProcess {
  child: ChildProcess;
  /** The HTTP port the hub listens on (127.0.0.1). */
  port: number;
  events: HubEvent[];
  output: () => string;
  call<T = unknown>(command: Record<string, unknown>): Promise<T>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the IPC-driven fixture hub; resolves once it is ready. */
export async function startHubProcess(env: Record<string, string>, options: { execArgv?: string[] } = {}): Promise<HubProcess> {
  const child = fork(fixture, [], {
    cwd: root,
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => { output += chunk; if (process.env['BENCH_SHOW_HUB_STDERR']) process.stderr.write(chunk); });
  const events: HubEvent[] = [];
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = once(child, 'exit').then(([code, signal]) => {
    live.delete(child);
    for (const p of pending.values()) p.reject(new Error(`hub process exited (${code ?? signal}) during a call`));
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const ready = new Promise<number>((resolve, reject) => {
    child.on('message', (message: { type: string; id?: number; event?: HubEvent; error?: string; result?: unknown; port?: number }) => {
      if (message.type === 'ready') resolve(message.port!);
      if (message.type === 'event') events.push(message.event!);
      if (message.type === 'done') {
        const call = pending.get(message.id!);
        pending.delete(message.id!);
        if (message.error) call?.reject(new Error(message.error));
        else call?.resolve(message.result);
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`hub process exited before ready (${code ?? signal}):\n${output}`)));
  });
  const port = await ready;
  return {
    child,
    port,
    events,
    output: () => output,
    exited,
    call<T>(command: Record<string, unknown>): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ ...command, id });
      });
    },
  };
}

/** Runs the real entry point, as `npm start` does. */
/** Starts the hub (`src/main.ts`) in its own process; `nodeArgs` go to node before the script (e.g. `--cpu-prof`). */
export function startMain(env: Record<string, string>, nodeArgs: readonly string[] = []): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => {
    live.delete(child);
    return code as number | null;
  });
  return { child, output: () => output, exited };
}

const live = new Set<ChildProcess>();
/** Kills whatever a test left running (call from afterAll/afterEach). */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export { freePort } from './free-port.js';

/**
 * Runs one of the project's command-line scripts to its end as an operator would (`npm run …`):
 * only PATH and the given environment, `stdin` written and closed.
 */
export function runScript(script: string, args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'silent', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      live.delete(child);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}
