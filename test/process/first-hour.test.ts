import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StaffClient } from '../support/dashboard.js';
import { waitFor } from '../support/hub.js';
import { freePort, killAll, startMain } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `npm run <script> -- args` in a second terminal beside a running `npm start`: the same checkout
 * (so the same default data directory, here HUB_DATA_DIR for both) and nothing else configured.
 */
function npmRun(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A raw request to the hub's local admin socket, as any other process on the machine could make it. */
function overSocket(socketPath: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the first hour: npm start on a fresh data directory, then the README’s next steps', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-first-hour-'));
  afterAll(() => {
    killAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('user:create works against the running hub with no other setup; the printed password logs in; users list shows the account', async () => {
    const port = await freePort();
    // LOG_LEVEL info: what `npm start` shows by default. No HUB_ADMIN_TOKEN, no chat app, nothing.
    const hub = startMain({ HUB_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', HUB_ADMIN_TOKEN: '' });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 120_000, 'the hub on a fresh data dir to be ready');

    // The unconfigured hub says what to do next, once.
    await waitFor(() => hub.output().includes('next steps'), 30_000, 'the next-steps log line');
    expect(hub.output().split('next steps').length - 1).toBe(1);
    expect(hub.output()).toContain('npm run user:create');
    expect(hub.output()).toContain('npm run doctor');

    // The local admin channel is for the hub's own OS user only.
    const socketPath = join(dataDir, 'admin.sock');
    const tokenPath = join(dataDir, 'admin.token');
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenPath, 'utf8').trim();
    expect(await overSocket(socketPath, '/admin/staff')).toBe(401);
    expect(await overSocket(socketPath, '/admin/staff', { authorization: 'Bearer not-the-token' })).toBe(401);
    expect(await overSocket(socketPath, '/admin/staff', { authorization: `Bearer ${token}` })).toBe(200);
    // The local token opens nothing over TCP: the HTTP operator API stays off without HUB_ADMIN_TOKEN.
    expect((await fetch(`${base}/admin/staff`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);

    const made = await npmRun('user:create', ['--email', 'a@b.example', '--role', 'admin'], { HUB_DATA_DIR: dataDir });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('created admin account a@b.example');
    const password = /password \(shown once\): (\S+)/.exec(made.stdout)?.[1];
    expect(password).toBeDefined();
    const client = new StaffClient(base);
    expect((await client.login('a@b.example', password!)).status).toBe(303);
    expect(await client.page('/dashboard/queue')).toContain('a@b.example');

    const listed = await npmRun('users', ['list'], { HUB_DATA_DIR: dataDir });
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/a@b\.example\s+admin\s+enabled/);

    // No chat app yet: the widget demo explains what to set instead of a JSON 404.
    const demo = await fetch(`${base}/widget/demo`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(demo.headers.get('content-type')).toContain('text/html');
    const demoPage = await demo.text();
    expect(demoPage).toContain('CHAT_APP_ID');
    expect(demoPage).toContain('CHAT_IDENTITY_SECRET');

    // A graceful stop takes the local admin channel with it.
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
    expect(existsSync(tokenPath)).toBe(false);
  }, 240_000);
});
