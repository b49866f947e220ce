/**
 * `npm run mail:parse -- FILE...`: runs the inbound email steps (parse → loop and bounce guard
 * → quoted-history stripping) on raw mail files and prints one JSON line per message, in the
 * order given. What a file holds is read from its content, not its name: a file whose first line
 * is an mbox "From " separator (RFC 4155) prints one line per message, `file` being "PATH#1",
 * "PATH#2", …; any other file (`.eml`, or a `.box` export holding one message) is one message and
 * prints "PATH".
 *
 * Optional: --own-domain DOMAIN and --own-address ADDRESS (repeatable) for the loop guard.
 * Exit 0 when every file could be read (a message that cannot be parsed prints
 * {"file", "error"} and the run goes on), 1 when a file could not be read, 2 on bad usage.
 */
import { readFile } from 'node:fs/promises';
import { classifyAutomatedMail, type LoopGuardOptions } from '../loop-guard.js';
import { isMbox, splitMbox } from '../mbox.js';
import { MailParseError, parseMail } from '../parse.js';
import { stripEmailHistory } from '../quoted.js';
import { exitWithUsageIfAsked } from '../../../cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run mail:parse -- [--own-domain DOMAIN] [--own-address ADDRESS] FILE...',
  description: 'Runs the inbound email steps (parse, loop and bounce guard, quoted-history stripping) on raw mail files and prints one JSON line per message. A file whose first line is an mbox "From " separator prints each of its messages as FILE#n; any other file is one message. Exit 0 when every file could be read, 1 when one could not, 2 on bad usage.',
  options: [
    ['--own-domain DOMAIN', 'a domain of ours, for the loop guard (repeatable)'],
    ['--own-address ADDRESS', 'an address of ours, for the loop guard (repeatable)'],
  ],
});

const USAGE = 'usage: npm run mail:parse -- [--own-domain DOMAIN] [--own-address ADDRESS] FILE...';

async function main(argv: string[]): Promise<number> {
  const files: string[] = [];
  const ownDomains: string[] = [];
  const ownAddresses: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--own-domain' || arg === '--own-address') {
      const value = argv[++i];
      if (!value) return usage(`${arg} needs a value`);
      (arg === '--own-domain' ? ownDomains : ownAddresses).push(value);
    } else if (arg.startsWith('--')) {
      return usage(`unknown option ${arg}`);
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0) return usage('no FILE given');

  const guard: LoopGuardOptions = { ownDomains, ownAddresses };
  let unreadable = 0;
  for (const file of files) {
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch (error) {
      unreadable++;
      printLine({ file, error: `cannot read the file: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    const boxed = isMbox(raw);
    const messages = boxed ? splitMbox(raw) : [raw];
    for (const [index, message] of messages.entries()) {
      printLine(await describe(boxed ? `${file}#${index + 1}` : file, message, guard));
    }
  }
  return unreadable === 0 ? 0 : 1;
}

async function describe(file: string, raw: Buffer, guard: LoopGuardOptions): Promise<Record<string, unknown>> {
  try {
    const mail = await parseMail(raw);
    const verdict = classifyAutomatedMail(mail, guard);
    return {
      file,
      from: mail.from,
      to: mail.to,
      cc: mail.cc,
      subject: mail.subject,
      date: mail.date?.toISOString() ?? null,
      messageId: mail.messageId,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      isAutoReply: verdict.autoReply,
      isBounce: verdict.bounce,
      text: stripEmailHistory(mail.text),
      attachments: mail.attachments.map(({ filename, contentType, size }) => ({ filename, contentType, size })),
    };
  } catch (error) {
    if (error instanceof MailParseError) return { file, error: error.message };
    return { file, error: `unexpected failure: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function printLine(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function usage(problem: string): number {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
