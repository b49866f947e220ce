/**
 * Issue 22 item 9, the demo's rough edges: the dashboard's "open in github" link opens the issue
 * at the fake GitHub (a page of the agent console), not a github.com 404; `SMTP_PORT` is honoured
 * (it was always 2525); browsers' `/favicon.ico` requests get 204 from the hub and the demo's own
 * servers, and the hub does not log them as 404 warnings.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../demo/demo.js';
import { StaffClient } from '../support/dashboard.js';
import { freePort, runScript } from '../support/processes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const URGENT = 'Urgent: the payroll export fails for all our employees and salaries are due today!';

/** The first line an SMTP server sends on a new connection. */
async function smtpGreeting(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  try {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    return chunk.toString('utf8');
  } finally {
    socket.destroy();
  }
}

describe('the demo, polished', () => {
  let demo: Demo;
  let smtpPort: number;

  beforeAll(async () => {
    smtpPort = await freePort();
    // An OS-chosen HTTP port too: the default 3000 collides with another demo test running at once.
    demo = await startDemo({ logLevel: 'silent', port: await freePort(), smtpPort });
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('listens for mail on the SMTP port it was given', async () => {
    expect(demo.hub.smtpPort).toBe(smtpPort);
    expect(await smtpGreeting(smtpPort)).toMatch(/^220 /);
  });

  it('an urgent mail’s GitHub issue opens in the agent console, from the dashboard’s "open in github" link', { timeout: 120_000 }, async () => {
    const customer = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    await customer.sendMail({ from: 'Ada Lovelace <ada@analytical.example>', to: 'support@acme.demo', subject: 'Payroll export broken', text: URGENT });
    customer.close();
    await expect.poll(() => demo.fakes.github.issues().length, { timeout: 60_000 }).toBe(1);
    const issue = demo.fakes.github.issues()[0]!;
    const issueUrl = String(issue['html_url']);
    expect(issueUrl.startsWith(`${demo.urls.agentConsole}/github/`), issueUrl).toBe(true);

    const issuePage = await fetch(issueUrl);
    expect(issuePage.status).toBe(200);
    const html = await issuePage.text();
    expect(html).toContain(`#${String(issue['number'])}`);
    expect(html).toContain('payroll export');
    // The console's list links to the same page.
    expect(await (await fetch(demo.urls.agentConsole)).text()).toContain(`href="${new URL(issueUrl).pathname}"`);

    const staff = new StaffClient(demo.urls.hub);
    expect((await staff.login(demo.dashboardLogin.email, demo.dashboardLogin.password)).status).toBe(303);
    const conversationPath = /href="(\/dashboard\/conversations\/[\w-]+)"/.exec(await staff.page('/dashboard/queue'))?.[1];
    expect(conversationPath).toBeDefined();
    const link = /<a href="([^"]+)"[^>]*>open in github<\/a>/.exec(await staff.page(conversationPath!))?.[1];
    expect(link).toBe(issueUrl);
  });

  it('answers /favicon.ico with 204 on the hub, the agent console and the customer site', async () => {
    for (const base of [demo.urls.hub, demo.urls.agentConsole, demo.urls.customerSite]) {
      const response = await fetch(`${base}/favicon.ico`);
      expect(response.status, base).toBe(204);
    }
  });
});

describe('npm run demo (the process)', () => {
  it('takes SMTP_PORT from the environment, logs no favicon 404, and stops cleanly', { timeout: 120_000 }, async () => {
    const [port, smtpPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts'], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', PORT: String(port), SMTP_PORT: String(smtpPort), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await expect.poll(() => output, { timeout: 90_000, interval: 250 }).toContain('Ctrl-C stops everything');
      expect(output).toContain(`smtp://127.0.0.1:${smtpPort}`);
      expect(await smtpGreeting(smtpPort)).toMatch(/^220 /);
      expect((await fetch(`http://127.0.0.1:${port}/favicon.ico`)).status).toBe(204);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    expect(code).toBe(0);
    expect(output).toContain('demo stopped');
    expect(output).not.toContain('favicon');
  });

  it('refuses an SMTP_PORT that is not a port, with a sentence', async () => {
    const { code, stderr } = await runScript('demo/main.ts', [], { SMTP_PORT: 'twenty-five' });
    expect(code).toBe(2);
    expect(stderr).toContain('SMTP_PORT must be a port number from 1 to 65535 (got "twenty-five")');
  });

  it('says which port is taken when SMTP_PORT is in use, instead of a stack trace', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    try {
      const taken = (holder.address() as AddressInfo).port;
      const { code, stderr } = await runScript('demo/main.ts', [], { SMTP_PORT: String(taken) });
      expect(code).toBe(1);
      expect(stderr).toContain(`demo: port ${taken} is in use; choose another with SMTP_PORT`);
      expect(stderr).not.toContain('    at ');
    } finally {
      holder.close();
    }
  });
});
