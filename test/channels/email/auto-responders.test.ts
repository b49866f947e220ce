import type { ParsedMail } from 'mailparser';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { smtpSink } from '../../support/smtp-sink.js';

/**
 * Two auto-responders answering each other through the hub (issue 5 / 9 "must show"): the hub's
 * acknowledgement is one, the customer's vacation responder the other. The customer's mail system
 * is a real SMTP server here — the hub's outbound relay — that answers every mail it gets, either
 * politely (RFC 3834 headers, threaded) or rudely (no headers, a fresh subject, to the support
 * address rather than the reply address). Polite: exactly one acknowledgement. Rude: the hub's
 * per-sender limit stops the loop at 10 automatic mails.
 */
describe('auto-responder loops', () => {
  let t: TestHub;
  let responder: Awaited<ReturnType<typeof smtpSink>>;
  let customer: Transporter;
  let mode: 'polite' | 'rude' = 'polite';
  let sent = 0;

  beforeAll(async () => {
    responder = await smtpSink({ onMail: (mail) => void answer(mail) });
    t = await startTestHub('pglite', {
      env: {
        MAIL_INBOUND_ADDRESS: 'support@acme.example',
        MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
        SMTP_PORT: '0',
        SMTP_HOST: '127.0.0.1',
        MAIL_SMTP_URL: `smtp://127.0.0.1:${responder.port}`,
        MAIL_FROM: 'Acme Support <support@acme.example>',
      },
    });
    customer = nodemailer.createTransport({ host: '127.0.0.1', port: t.hub.smtpPort!, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    customer?.close();
    await t?.stop();
    await responder?.close();
  });

  async function answer(mail: ParsedMail): Promise<void> {
    const from = mode === 'polite' ? 'Paula Polite <paula@example.com>' : 'Rudi Rude <rudi@example.com>';
    sent++;
    if (mode === 'polite') {
      await customer.sendMail({
        from,
        to: mail.replyTo?.value[0]?.address ?? 'support@acme.example',
        subject: `Auto: ${mail.subject}`,
        text: 'I am on vacation until Monday.',
        inReplyTo: mail.messageId,
        headers: { 'Auto-Submitted': 'auto-replied' },
      });
    } else {
      await customer.sendMail({ from, to: 'support@acme.example', subject: `Out of office (${sent})`, text: 'I am away. Your mail will not be read.' });
    }
  }

  const acksTo = (address: string) => responder.mails.filter((m) => m.to && 'value' in m.to && m.to.value.some((v) => v.address === address) && m.headers.get('auto-submitted') === 'auto-replied');

  it('a polite vacation responder and the hub exchange exactly one acknowledgement', async () => {
    mode = 'polite';
    await customer.sendMail({ from: 'Paula Polite <paula@example.com>', to: 'support@acme.example', subject: 'Cannot export my data', text: 'The export button does nothing.' });
    await waitFor(() => acksTo('paula@example.com').length === 1, 30_000, 'the acknowledgement');
    // Its vacation reply comes back threaded and marked automatic; wait for it to be stored.
    await waitFor(
      () => t.hub.store.db.selectFrom('messages').select('id').where('text', 'like', '%on vacation%').executeTakeFirst(),
      30_000,
      'the vacation reply stored',
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(acksTo('paula@example.com')).toHaveLength(1);
  });

  it('a rude responder (no headers, new subject each time) is stopped at 10 automatic mails', async () => {
    mode = 'rude';
    await customer.sendMail({ from: 'Rudi Rude <rudi@example.com>', to: 'support@acme.example', subject: 'Question about my plan', text: 'Can I switch to yearly billing?' });
    await waitFor(() => acksTo('rudi@example.com').length >= 10, 60_000, '10 acknowledgements');
    await waitFor(
      async () => {
        const skipped = await t.hub.store.db.selectFrom('acknowledgements').select('reason').where('decision', '=', 'skipped').execute();
        return skipped.some((s) => /automatic messages/.test(s.reason ?? ''));
      },
      30_000,
      'the limit to be applied',
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(acksTo('rudi@example.com')).toHaveLength(10);
  });
});
