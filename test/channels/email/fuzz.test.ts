/**
 * Whatever arrives on port 25, the parse → loop guard → strip steps either return a message
 * or reject it with a MailParseError naming the reason: never a crash, never a stray rejection.
 * MAIL_FUZZ_RUNS sets the number of mutated messages (default 10,000).
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAutomatedMail } from '../../../src/channels/email/loop-guard.js';
import { MailParseError, parseMail } from '../../../src/channels/email/parse.js';
import { stripEmailHistory } from '../../../src/channels/email/quoted.js';
import { identifySender } from '../../../src/channels/email/sender.js';
import { FIXTURES, FREESCOUT } from './helpers.js';

const RUNS = Number(process.env.MAIL_FUZZ_RUNS ?? 10_000);

const seeds: Buffer[] = [
  ...readdirSync(FREESCOUT).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(FREESCOUT + f)),
  ...readdirSync(FIXTURES).map((f) => readFileSync(FIXTURES + f)),
];

const CHARSETS = ['utf-8', 'iso-2022-jp', 'windows-1252', 'x-unknown', 'utf-7', 'koi8-r', '', 'utf-16'];

// One mutation of a seed message: the kinds of damage real mail arrives with.
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('charset' as const), charset: fc.constantFrom(...CHARSETS) }),
  fc.record({ kind: fc.constant('boundary' as const), junk: fc.string({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('hugeHeader' as const), size: fc.integer({ min: 1_000, max: 200_000 }), name: fc.constantFrom('Subject', 'References', 'X-Junk', 'To') }),
  fc.record({ kind: fc.constant('nul' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('dropBlankLine' as const) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(seed: Buffer, change: Mutation): Buffer {
  const at = 'at' in change ? Math.floor(change.at * seed.length) : 0;
  switch (change.kind) {
    case 'truncate':
      return seed.subarray(0, at);
    case 'charset':
      return Buffer.from(seed.toString('latin1').replace(/charset="?[\w-]+"?/gi, `charset="${change.charset}"`), 'latin1');
    case 'boundary':
      return Buffer.from(seed.toString('latin1').replace(/boundary="?([^";\r\n]+)"?/i, `boundary="${change.junk}"`), 'latin1');
    case 'hugeHeader':
      return Buffer.concat([Buffer.from(`${change.name}: ${'x'.repeat(change.size)}\r\n`), seed]);
    case 'nul':
      return Buffer.concat([seed.subarray(0, at), Buffer.alloc(change.count), seed.subarray(at)]);
    case 'bytes':
      return Buffer.concat([seed.subarray(0, at), Buffer.from(change.bytes), seed.subarray(at)]);
    case 'dropBlankLine':
      return Buffer.from(seed.toString('latin1').replace(/\r?\n\r?\n/, '\r\n'), 'latin1');
  }
}

describe('fuzzing the inbound steps', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeAll(() => void process.on('unhandledRejection', onUnhandled));
  afterAll(() => void process.off('unhandledRejection', onUnhandled));

  it(`${RUNS} mutated messages are each parsed or rejected with a reason`, { timeout: 600_000 }, async () => {
    const outcomes = { parsed: 0, rejected: new Map<string, number>() };
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (seedIndex, changes) => {
        const raw = changes.reduce((message, change) => mutate(message, change), seeds[seedIndex]!);
        try {
          const mail = await parseMail(raw);
          const verdict = classifyAutomatedMail(mail, { ownDomains: ['hub.example'], ownAddresses: ['support@hub.example'] });
          expect(typeof verdict.autoReply).toBe('boolean');
          expect(typeof stripEmailHistory(mail.text)).toBe('string');
          identifySender(mail);
          expect(Array.isArray(mail.references)).toBe(true);
          expect(mail.messageId).toMatch(/^<.+>$/);
          outcomes.parsed++;
        } catch (error) {
          expect(error).toBeInstanceOf(MailParseError);
          const { reason } = error as MailParseError;
          outcomes.rejected.set(reason, (outcomes.rejected.get(reason) ?? 0) + 1);
        }
      }),
      { numRuns: RUNS },
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`mail fuzz: ${RUNS} messages in ${seconds} s, parsed ${outcomes.parsed}, rejected ${JSON.stringify(Object.fromEntries(outcomes.rejected))}`);
    expect(outcomes.parsed).toBeGreaterThan(0);
  });
});
