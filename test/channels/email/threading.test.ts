import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveMail, type ReceiveDeps } from '../../../src/channels/email/receive.js';
import { normalizeSubject } from '../../../src/channels/email/threading.js';
import { startTestHub, type TestHub } from '../../support/hub.js';

const mail = (from: string, messageId: string, subject: string) =>
  Buffer.from(`From: ${from}\r\nTo: support@acme.example\r\nSubject: ${subject}\r\nMessage-ID: ${messageId}\r\n\r\nBody of ${messageId}\r\n`);

describe('threading by subject (rule 3, opt-in)', () => {
  let t: TestHub;
  const deps = (threadBySubject: boolean): ReceiveDeps => ({
    store: t.hub.store,
    log: pino({ level: 'silent' }),
    ingest: (m) => t.hub.ingest(m),
    mailbox: 'support@acme.example',
    domain: 'acme.example',
    replySecret: 'reply-secret-0123456789abcdef',
    maxMessageBytes: 1_000_000,
    threadBySubject,
  });
  beforeAll(async () => {
    t = await startTestHub('pglite');
  });
  afterAll(() => t?.stop());

  const conversationOf = async (raw: Buffer, threadBySubject: boolean) => {
    const outcome = await receiveMail(deps(threadBySubject), raw, ['support@acme.example']);
    if (outcome.kind !== 'stored') throw new Error(`not stored: ${outcome.kind}`);
    return outcome.result.conversation.id;
  };

  it('normalises reply and forward prefixes in several languages', () => {
    expect(normalizeSubject('Re: AW: Fwd:  Invoice   wrong')).toBe('invoice wrong');
    expect(normalizeSubject('SV: Re[2]: Invoice wrong')).toBe('invoice wrong');
    expect(normalizeSubject('Regarding the invoice')).toBe('regarding the invoice');
  });

  it('is off by default: two mails naming no thread stay two conversations', async () => {
    const a = await conversationOf(mail('dora@example.com', '<s-off-1@example.com>', 'Invoice question'), false);
    const b = await conversationOf(mail('dora@example.com', '<s-off-2@example.com>', 'Re: Invoice question'), false);
    expect(a).not.toBe(b);
  });

  it('when on, joins the same sender with the same subject, but never another sender', async () => {
    const a = await conversationOf(mail('ed@example.com', '<s-on-1@example.com>', 'Export keeps failing'), true);
    const b = await conversationOf(mail('ed@example.com', '<s-on-2@example.com>', 'RE: Export keeps failing'), true);
    const other = await conversationOf(mail('fay@example.com', '<s-on-3@example.com>', 'Export keeps failing'), true);
    expect(b).toBe(a);
    expect(other).not.toBe(a);
  });
});
