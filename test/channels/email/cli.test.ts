/**
 * `npm run mail:parse` prints one JSON line per message in the order given, keeps going past
 * files it cannot read, and says so in its exit code.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
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

  it('reports an unreadable file and a message that is not mail, goes on, and exits 1', async () => {
    const { code, lines } = await mailParse(`${FIXTURES}missing.eml`, `${FIXTURES}../parse.test.ts`, `${FIXTURES}ooo-gmail.eml`);
    expect(code).toBe(1);
    expect(lines[0]).toMatchObject({ file: `${FIXTURES}missing.eml`, error: expect.stringContaining('cannot read') });
    expect(lines[2]).toMatchObject({ isAutoReply: true, isBounce: false });
    expect(lines[1]).toMatchObject({ error: expect.any(String) });
    expect(lines).toHaveLength(3);
  });
});
