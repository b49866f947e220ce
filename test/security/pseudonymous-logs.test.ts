import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { logPseudonymKey, pseudonymizeEmails, pseudonymOf } from '../../src/ops/log-pseudonyms.js';
import { RecordingChannel, startTestHub, waitFor } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';
import { runScript } from '../support/processes.js';

const KEY = Buffer.from('an-install-key-of-some-length-0123');

function capture(): { lines: string[]; destination: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, destination: new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }) as unknown as { write(line: string): void } };
}

/**
 * Customer data rights (issue 27), pseudonymous logs: no email address reaches a log line, and no
 * message body does. Addresses come into logs in text nobody chose to log — a mail server's
 * refusal, a vendor's error — so the rule is applied to the whole finished line.
 */
describe('logs name no customer', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('an address anywhere in a line — field, message, error text, stack — becomes one stable pseudonym', () => {
    const { lines, destination } = capture();
    const log = createLogger('info', { destination, pseudonymKey: KEY });
    const refused = new Error('550 5.1.1 <Lee.Private+hr@Customer.example>: Recipient address rejected');
    log.warn({ err: refused, customer: 'lee.private+hr@customer.example', note: 'cc "Sam" <sam@other.example.co.uk>' }, 'delivery to lee.private+hr@customer.example failed');
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(() => JSON.parse(line)).not.toThrow();
    expect(line.toLowerCase()).not.toContain('lee.private');
    expect(line).not.toContain('sam@other.example.co.uk');
    // The same address, in any case, is one pseudonym: support can see two lines are one person.
    const lee = pseudonymOf('lee.private+hr@customer.example', KEY);
    expect(lee).toMatch(/^email:[0-9a-f]{12}$/);
    expect(line.split(lee).length - 1).toBe(4); // field, message, error message, stack
    expect(line).toContain(pseudonymOf('sam@other.example.co.uk', KEY));
    // Another install's key gives another pseudonym: a leaked log cannot be matched against a list of addresses without the key.
    expect(pseudonymOf('lee.private+hr@customer.example', Buffer.from('another-install-key-0123456789'))).not.toBe(lee);
  });

  it('leaves what is not an address alone', () => {
    for (const text of ['@mention in a note', 'price 3@5 each', 'npm i @helpscout/javascript-sdk', 'a@b', 'no at sign at all']) {
      expect(pseudonymizeEmails(text, KEY)).toBe(text);
    }
  });

  it('the key: LOG_PSEUDONYM_KEY when set, else one made on first start in the data directory and kept', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'log-key-'));
    dirs.push(dataDir);
    const config = { log: {}, store: { dataDir } };
    const first = logPseudonymKey(config);
    expect(first.length).toBe(32);
    expect(statSync(join(dataDir, 'log-pseudonym.key')).mode & 0o777).toBe(0o600);
    expect(logPseudonymKey(config).equals(first)).toBe(true);
    expect(logPseudonymKey({ log: { pseudonymKey: 'a-configured-key-0123456789' }, store: { dataDir } }).toString()).toBe('a-configured-key-0123456789');
  });

  it('npm run log:pseudonym prints the pseudonym to search the logs for, with the key the hub keeps', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'log-key-cli-'));
    dirs.push(dataDir);
    const key = logPseudonymKey({ log: {}, store: { dataDir } });
    const { code, stdout } = await runScript('src/ops/cli/log-pseudonym.ts', ['Jordan@Customer.example'], { HUB_DATA_DIR: dataDir });
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`Jordan@Customer.example\t${pseudonymOf('jordan@customer.example', key)}`);
    const refused = await runScript('src/ops/cli/log-pseudonym.ts', ['not-an-address'], { HUB_DATA_DIR: dataDir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('usage: npm run log:pseudonym');
  });

  it('a hub at debug level: a customer’s address and words appear in no line, even in a mail server’s refusal', async () => {
    const { lines, destination } = capture();
    const email = 'jordan.quietly@customer.example';
    const words = 'my payslip shows another employee salary zebra-7731';
    // Delivery to the customer fails the way an SMTP relay says it: with their address.
    const mail = new (class extends RecordingChannel {
      failures = 1;
      override async deliver(...args: Parameters<RecordingChannel['deliver']>) {
        if (this.failures-- > 0) throw new Error(`550 5.1.1 <${email}>: Recipient address rejected: mailbox full`);
        return super.deliver(...args);
      }
    })('email');
    const t = await startTestHub('pglite', { channels: [mail], log: createLogger('debug', { destination, pseudonymKey: KEY }) });
    try {
      const inbound = await t.hub.ingest({
        ...chatMessage({ id: 'privacy-1', user: 'jordan' }),
        channel: 'email',
        source: 'email:support@example.com',
        contact: { identityKind: 'email', identityKey: email, email, name: 'Jordan Quietly', verified: true },
        subject: `Re: ${words}`,
        text: words,
      });
      await t.hub.reply({ conversationId: inbound.conversation.id, source: 'test', sourceMessageId: 'agent-privacy-1', authorKind: 'agent', text: `We are on it, Jordan: ${words}` });
      await waitFor(() => mail.delivered.length > 0, 60_000, 'the reply delivered after the refusals');
      const pseudonym = pseudonymOf(email, KEY);
      // The refusals were logged (as the job's error), under the pseudonym.
      await waitFor(() => lines.some((line) => line.includes(pseudonym)), 20_000, 'the refusal logged');
    } finally {
      await t.stop();
    }
    const text = lines.join('');
    expect(text).not.toContain(email);
    expect(text).not.toContain('jordan.quietly');
    expect(text).not.toContain('zebra-7731');
  });
});
