import { connect } from 'node:net';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { SmtpListener } from '../../src/channels/email/smtp-listener.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { testStore } from '../integrations/zendesk/support.js';
import { smtpSink } from '../support/smtp-sink.js';

// A full garbage collection on demand (V8's own gc(), enabled at run time), so the test measures
// what is held, not garbage that happens to be uncollected.
setFlagsFromString('--expose_gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Security review findings on mail (issue 21), each reproduced as the attack was made: item 2 (a
 * spoofed display name added the attacker to later customer mail), item 4 (the SMTP listener kept
 * buffering past its size limit), item 8 (a known Message-ID let a stranger write into someone's
 * conversation, and that mail was stored but answered 451).
 */
describe('security: mail', () => {
  let t: TestHub;
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  let customer: Transporter;

  beforeAll(async () => {
    sink = await smtpSink();
    t = await startTestHub('pglite', {
      env: {
        MAIL_INBOUND_ADDRESS: 'support@acme.example',
        MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
        SMTP_PORT: '0',
        SMTP_HOST: '127.0.0.1',
        MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        MAIL_FROM: 'Acme Support <support@acme.example>',
        MAIL_MAX_MESSAGE_BYTES: String(1024 * 1024),
        ACK_ENABLED: 'false',
      },
    });
    await t.hub.listen(0, '127.0.0.1');
    customer = nodemailer.createTransport({ host: '127.0.0.1', port: t.hub.smtpPort!, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    customer?.close();
    await t?.stop();
    await sink?.close();
  });

  const conversationOf = (messageId: string) =>
    waitFor(() => t.hub.store.db.selectFrom('mail_message_ids').select('conversation_id').where('message_id', '=', messageId).executeTakeFirst(), 15_000, `mail ${messageId} stored`);

  it('item 2: a display name full of addresses never adds a recipient: the later mail reaches the one address only', async () => {
    const messageId = '<spoof-1@mail.example>';
    await customer.sendMail({
      envelope: { from: 'victim2@example.com', to: ['support@acme.example'] },
      raw: `From: "Real Victim, attacker@evil.example," <victim2@example.com>\r\nTo: support@acme.example\r\nSubject: Invoice\r\nMessage-ID: ${messageId}\r\n\r\nPlease send the invoice.\r\n`,
    });
    const { conversation_id } = await conversationOf(messageId);
    await t.hub.reply({ conversationId: conversation_id, source: 'test', sourceMessageId: 'spoof-reply', authorKind: 'agent', authorName: 'Ana', text: 'Here is your invoice.', html: null, metadata: {}, deliveredBy: 'hub' });
    const { at } = await waitFor(() => {
      const i = sink.mails.findIndex((m) => m.text?.includes('Here is your invoice.'));
      return i >= 0 ? { at: i } : null;
    }, 30_000, 'reply mailed');
    expect(sink.envelopes[at]).toEqual(['victim2@example.com']);
    const to = sink.mails[at]!.to;
    const addresses = (Array.isArray(to) ? to : to ? [to] : []).flatMap((a) => a.value.map((v) => v.address));
    expect(addresses).toEqual(['victim2@example.com']);
  });

  it('item 4: 120 MB of DATA over a 1 MiB limit (HELO, so no SIZE) is read and dropped, never held: 552, nothing stored', async () => {
    // The listener alone on an idle store, so nothing else in this process allocates meanwhile.
    const db = await testStore();
    let ingested = 0;
    const listener = new SmtpListener({
      store: db.store,
      log: pino({ level: 'silent' }),
      ingest: async () => {
        ingested++;
        throw new Error('nothing may be ingested');
      },
      mailbox: 'support@acme.example',
      domain: 'acme.example',
      replySecret: 'reply-secret-0123456789abcdef',
      maxMessageBytes: 1024 * 1024,
    });
    const port = await listener.listen(0, '127.0.0.1');
    const socket = connect(port, '127.0.0.1');
    try {
      socket.setEncoding('utf8');
      let replies = '';
      socket.on('data', (chunk: string) => (replies += chunk));
      const reply = async (code: string) => waitFor(() => new RegExp(`(^|\\n)${code}[ -]`).test(replies) && replies, 30_000, `SMTP ${code}`);
      await once(socket, 'connect');
      await reply('220');
      for (const [line, code] of [
        ['HELO attacker.example', '250'],
        ['MAIL FROM:<a@attacker.example>', '250'],
        ['RCPT TO:<support@acme.example>', '250'],
        ['DATA', '354'],
      ] as const) {
        replies = '';
        socket.write(`${line}\r\n`);
        await reply(code);
      }
      // Live memory (after a collection), sampled while the DATA streams in: what the listener holds.
      const live = () => {
        collect();
        const now = process.memoryUsage();
        return now.heapUsed + now.arrayBuffers;
      };
      const baseline = live();
      // 64 KB at a time, waiting for the socket to drain: the test itself holds next to nothing.
      const block = Buffer.from(`${'x'.repeat(998)}\r\n`.repeat(64));
      replies = '';
      for (let sent = 0; sent < 120 * 16; sent++) if (!socket.write(block)) await once(socket, 'drain');
      // All 120 MB are in, the end of DATA not yet sent: what does the listener hold now? (The
      // least of three samples: freed buffers can take a moment to leave the external count.)
      await new Promise((resolve) => setTimeout(resolve, 300));
      const held: number[] = [];
      for (let i = 0; i < 3; i++) {
        held.push(live() - baseline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const growth = Math.min(...held);
      socket.write('.\r\n');
      await reply('552');
      process.stdout.write(`security smtp_oversize_mb=120 limit_mb=1 memory_growth_mb=${(growth / 1e6).toFixed(1)}\n`);
      // The old listener held every chunk until the end of DATA: ~119 MB here.
      expect(growth).toBeLessThan(5e6);
      expect(ingested).toBe(0);
    } finally {
      socket.destroy();
      await listener.close();
      await db.close();
    }
  });

  it('item 8: knowing a Message-ID does not let another sender write into that conversation; their mail gets its own, and is triaged like any other', async () => {
    const original = '<owner-1@mail.example>';
    await customer.sendMail({ from: 'Owner <owner@example.com>', to: 'support@acme.example', subject: 'My payroll', text: 'Private payroll question.', messageId: original });
    const owners = await conversationOf(original);
    const intruder = '<intruder-1@mail.example>';
    await customer.sendMail({ from: 'Intruder <intruder@evil.example>', to: 'support@acme.example', subject: 'Re: My payroll', text: 'Injected text.', messageId: intruder, inReplyTo: original, references: [original] });
    const intruders = await conversationOf(intruder);
    expect(intruders.conversation_id).not.toBe(owners.conversation_id);
    // Accepted once (250, not 451): stored with its triage queued like any first message.
    await waitFor(() => t.hub.store.db.selectFrom('triage_results').select('level').where('conversation_id', '=', intruders.conversation_id).executeTakeFirst(), 30_000, 'intruder mail triaged');
    const ownerTexts = await t.hub.store.db.selectFrom('messages').select('text').where('conversation_id', '=', owners.conversation_id).execute();
    expect(ownerTexts.map((m) => m.text).join('\n')).not.toContain('Injected text.');
    // The owner's own reply to the thread still joins it.
    const followUp = '<owner-2@mail.example>';
    await customer.sendMail({ from: 'Owner <owner@example.com>', to: 'support@acme.example', subject: 'Re: My payroll', text: 'And one more thing.', messageId: followUp, inReplyTo: original, references: [original] });
    expect((await conversationOf(followUp)).conversation_id).toBe(owners.conversation_id);
  });
});
