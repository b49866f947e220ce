/**
 * `npm run mail:parse` prints one JSON line per message in the order given, keeps going past
 * files it cannot read, and says so in its exit code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, FREESCOUT } from './helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function mailParse(...files: string[]): Promise<{ code: number; lines: Array<Record<string, unknown>> }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/channels/email/cli/parse.ts', ...files], { cwd: ROOT });
    return { code: 0, lines: stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, lines: failed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
  }
}

describe('mail:parse', () => {
  it('prints every FreeScout message and the fixtures, in order, with the documented fields', async () => {
    const files = [...readdirSync(FREESCOUT).filter((f) => f.endsWith('.eml')).map((f) => FREESCOUT + f), `${FIXTURES}reply-gmail.eml`];
    const { code, lines } = await mailParse(...files);
    expect(code).toBe(0);
    expect(lines.map((line) => line.file)).toEqual(files);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['file', 'from', 'to', 'cc', 'subject', 'date', 'messageId', 'inReplyTo', 'references', 'isAutoReply', 'isBounce', 'text', 'attachments']);
    }
    expect(lines.at(-1)).toEqual({
      file: `${FIXTURES}reply-gmail.eml`,
      from: { address: 'ann.lee@gmail.com', name: 'Ann Lee' },
      to: [{ address: 'support@hub.example', name: 'Support' }],
      cc: [],
      subject: 'Re: Your ticket #4416',
      date: '2024-06-05T07:30:00.000Z',
      messageId: '<CAB7v1Xx=reply4416@mail.gmail.com>',
      inReplyTo: '<ticket-4416.r1@hub.example>',
      references: ['<ticket-4416.r1@hub.example>'],
      isAutoReply: false,
      isBounce: false,
      text: 'Thanks, that fixed it. The export works again.',
      attachments: [],
    });
  });

  it('prints one line per message of a .box file, numbered file#N, with ">From " unescaped', async () => {
    const box = `${FIXTURES}two-messages.box`;
    const { code, lines } = await mailParse(box, `${FIXTURES}bounce-gmail.eml`);
    expect(code).toBe(0);
    expect(lines.map((line) => [line.file, line.subject])).toEqual([
      [`${box}#1`, 'First in box'],
      [`${box}#2`, 'Second in box'],
      [`${FIXTURES}bounce-gmail.eml`, 'Delivery Status Notification (Failure)'],
    ]);
    expect(lines[0]!.text).toBe('From the billing page nothing happens.');
    expect(lines[1]!.attachments).toEqual([{ filename: 'app.log', contentType: 'text/plain', size: 8 }]);
    expect(lines[2]).toMatchObject({ isBounce: true, isAutoReply: true });
  });

  // Issue 22 item 10: Zammad's and many tools' `.box` exports are one RFC 5322 message each; what
  // a file holds is read from its first line, not its name. No real .box or mbox file is in
  // ../shared/data, so the real FreeScout messages are written, byte for byte, into a temporary
  // directory: each alone under a .box name, and all together as an mbox the way mbox writers
  // store them ("From " separator lines with an asctime date, ">From " escaping, mboxrd).
  const scratch = mkdtempSync(join(tmpdir(), 'mail-parse-box-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const freescout = readdirSync(FREESCOUT).filter((f) => f.endsWith('.eml')).sort();

  it('reads a .box file holding one message (no "From " separator) as that one message', async () => {
    const boxes = freescout.map((name) => {
      const box = join(scratch, name.replace(/\.eml$/, '.box'));
      writeFileSync(box, readFileSync(FREESCOUT + name));
      return box;
    });
    const [asBox, asEml] = await Promise.all([mailParse(...boxes), mailParse(...freescout.map((name) => FREESCOUT + name))]);
    expect(asBox.code).toBe(0);
    expect(asBox.lines.map((line) => line.file)).toEqual(boxes);
    expect(asBox.lines.filter((line) => 'error' in line)).toEqual([]);
    // The same message whatever the file is called.
    expect(asBox.lines.map(({ file: _file, ...rest }) => rest)).toEqual(asEml.lines.map(({ file: _file, ...rest }) => rest));
  });

  it('reads an mbox of real messages as one line per message, whatever its name', async () => {
    const messages = freescout.map((name) => readFileSync(FREESCOUT + name));
    const separator = (i: number) => Buffer.from(`From sender${i}@example.org  Thu May  3 12:04:${String(10 + i)} 2012\n`, 'latin1');
    const escaped = (message: Buffer) => Buffer.from(message.toString('latin1').replace(/^(>*From )/gm, '>$1'), 'latin1');
    const mbox = Buffer.concat(messages.flatMap((message, i) => [separator(i), escaped(message), Buffer.from('\n')]));
    const [named, unnamed] = [join(scratch, 'inbox.mbox'), join(scratch, 'export.eml')];
    writeFileSync(named, mbox);
    writeFileSync(unnamed, mbox);
    const [single, fromMbox, fromUnnamed] = await Promise.all([mailParse(...freescout.map((name) => FREESCOUT + name)), mailParse(named), mailParse(unnamed)]);
    expect(fromMbox.code).toBe(0);
    expect(fromMbox.lines.map((line) => line.file)).toEqual(messages.map((_, i) => `${named}#${i + 1}`));
    expect(fromMbox.lines.filter((line) => 'error' in line)).toEqual([]);
    expect(fromMbox.lines.map((line) => [line.subject, line.from, line.date, line.text])).toEqual(single.lines.map((line) => [line.subject, line.from, line.date, line.text]));
    expect(fromUnnamed.lines.map((line) => line.subject)).toEqual(fromMbox.lines.map((line) => line.subject));
  });

  it('reports an unreadable file and a message that is not mail, goes on, and exits 1', async () => {
    const { code, lines } = await mailParse(`${FIXTURES}missing.eml`, `${FIXTURES}../parse.test.ts`, `${FIXTURES}ooo-gmail.eml`);
    expect(code).toBe(1);
    expect(lines[0]).toMatchObject({ file: `${FIXTURES}missing.eml`, error: expect.stringContaining('cannot read') });
    expect(lines[2]).toMatchObject({ isAutoReply: true, isBounce: false });
    expect(lines[1]).toMatchObject({ error: expect.any(String) });
    expect(lines).toHaveLength(3);
  });
});
