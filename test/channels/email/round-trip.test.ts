import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer, { type Transporter } from 'nodemailer';
import type { ParsedMail } from 'mailparser';
import { startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { smtpSink } from '../../support/smtp-sink.js';


describe('email: a real SMTP round trip with correct threading', () => {
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
        MAIL_MAX_MESSAGE_BYTES: '200000',
      },
    });
    // The customer's own mail client, talking to the hub's listener.
    customer = nodemailer.createTransport({ host: '127.0.0.1', port: t.hub.smtpPort!, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    customer?.close();
    await t?.stop();
    await sink?.close();
  });

  const conversationOf = (messageId: string) =>
    t.hub.store.db.selectFrom('mail_message_ids').select('conversation_id').where('message_id', '=', messageId).executeTakeFirst();

  async function customerWrites(headers: { messageId: string; subject: string; text: string; to?: string; inReplyTo?: string; references?: string[] }) {
    await customer.sendMail({
      from: 'Carla Customer <carla@example.com>',
      to: headers.to ?? 'support@acme.example',
      subject: headers.subject,
      text: headers.text,
      messageId: headers.messageId,
      ...(headers.inReplyTo ? { inReplyTo: headers.inReplyTo } : {}),
      ...(headers.references ? { references: headers.references } : {}),
    });
    return waitFor(() => conversationOf(headers.messageId), 10_000, `mail ${headers.messageId} stored`);
  }

  async function agentReplies(conversationId: string, id: string, text: string): Promise<ParsedMail> {
    await t.hub.reply({ conversationId, source: 'helpdesk-test', sourceMessageId: id, authorKind: 'agent', authorName: 'Ana', text });
    return waitFor(() => sink.mails.find((m) => m.text?.includes(text)), 30_000, 'the reply at the relay');
  }

  it('a new mail starts a conversation; the agent reply goes out threaded with a signed reply address; the answer to it comes back by reply address', async () => {
    const first = await customerWrites({ messageId: '<first@example.com>', subject: 'Invoice wrong', text: 'My invoice shows the wrong amount.' });
    const message = await t.hub.store.db.selectFrom('messages').selectAll().where('source_message_id', '=', '<first@example.com>').executeTakeFirstOrThrow();
    expect(message).toMatchObject({ direction: 'inbound', text: 'My invoice shows the wrong amount.' });
    const conversation = await t.hub.store.db.selectFrom('conversations').selectAll().where('id', '=', first.conversation_id).executeTakeFirstOrThrow();
    expect(conversation).toMatchObject({ channel: 'email', source: 'email:support@acme.example', subject: 'Invoice wrong' });

    const out = await agentReplies(first.conversation_id, 'a-1', 'We fixed your invoice.');
    expect(out.subject).toBe('Re: Invoice wrong');
    expect(out.inReplyTo).toBe('<first@example.com>');
    expect([out.references].flat()).toContain('<first@example.com>');
    expect(out.messageId).toMatch(/@acme\.example>$/);
    const replyTo = out.replyTo?.value[0]?.address ?? '';
    expect(replyTo).toMatch(/^reply\+[0-9a-f]{48}@acme\.example$/);
    expect(out.headers.get('auto-submitted')).toBeUndefined();

    // The customer answers to the reply address, with no threading headers at all.
    const answer = await customerWrites({ messageId: '<answer@example.com>', to: replyTo, subject: 'thanks', text: 'Thank you!' });
    expect(answer.conversation_id).toBe(first.conversation_id);
  });

  it('threads a reply by In-Reply-To alone', async () => {
    const first = await customerWrites({ messageId: '<irt-root@example.com>', subject: 'Export broken', text: 'The export fails.' });
    const out = await agentReplies(first.conversation_id, 'a-2', 'Which format do you export?');
    const answer = await customerWrites({ messageId: '<irt-answer@example.com>', subject: 'CSV', text: 'CSV.', inReplyTo: out.messageId! });
    expect(answer.conversation_id).toBe(first.conversation_id);
  });

  it('threads a reply by References alone', async () => {
    const first = await customerWrites({ messageId: '<ref-root@example.com>', subject: 'Login', text: 'I cannot log in.' });
    const out = await agentReplies(first.conversation_id, 'a-3', 'Try resetting your password.');
    const answer = await customerWrites({ messageId: '<ref-answer@example.com>', subject: 'still no', text: 'Still no luck.', references: ['<unrelated@elsewhere.example>', out.messageId!] });
    expect(answer.conversation_id).toBe(first.conversation_id);
  });

  it('keeps attachments as rows referenced from the message', async () => {
    await customer.sendMail({
      from: 'Carla Customer <carla@example.com>',
      to: 'support@acme.example',
      subject: 'Screenshot',
      text: 'See the attached screenshot.',
      messageId: '<attach@example.com>',
      attachments: [{ filename: 'screen.txt', content: 'pretend this is a screenshot', contentType: 'text/plain' }],
    });
    const message = await waitFor(
      () => t.hub.store.db.selectFrom('messages').selectAll().where('source_message_id', '=', '<attach@example.com>').executeTakeFirst(),
      10_000,
      'the mail stored',
    );
    const refs = await waitFor(async () => {
      const row = await t.hub.store.db.selectFrom('messages').select('attachments').where('id', '=', message.id).executeTakeFirstOrThrow();
      return (row.attachments as { id: string; filename: string }[]).length > 0 ? (row.attachments as { id: string; filename: string }[]) : null;
    }, 10_000, 'attachment refs');
    expect(refs.map((r) => r.filename)).toEqual(['screen.txt']);
    const stored = await t.hub.store.db.selectFrom('attachments').selectAll().where('id', '=', refs[0]!.id).executeTakeFirstOrThrow();
    expect(stored.content.toString()).toBe('pretend this is a screenshot');
  });

  it('records a bounce of our reply on that reply, and makes no conversation of it', async () => {
    const first = await customerWrites({ messageId: '<bounce-root@example.com>', subject: 'Address typo', text: 'Please answer me.' });
    const out = await agentReplies(first.conversation_id, 'a-bounce', 'This answer will bounce.');
    const before = await t.hub.store.db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const report = [
      'From: MAILER-DAEMON@mx.example.com',
      'To: support@acme.example',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <report-1@mx.example.com>',
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'This is the mail system. Your message could not be delivered.',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Final-Recipient: rfc822; carla@example.com',
      'Action: failed',
      'Status: 5.1.1',
      '--b1',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: ${out.messageId}`,
      'Subject: Re: Address typo',
      '--b1--',
      '',
    ].join('\r\n');
    await customer.sendMail({ envelope: { from: '', to: 'support@acme.example' }, raw: report });
    const reply = await waitFor(async () => {
      const row = await t.hub.store.db.selectFrom('messages').selectAll().where('source_message_id', '=', 'a-bounce').executeTakeFirstOrThrow();
      return (row.metadata as { bounce?: unknown }).bounce ? row : null;
    }, 10_000, 'the bounce recorded on the reply');
    expect((reply.metadata as { bounce: { report: string } }).bounce.report).toBe('<report-1@mx.example.com>');
    const after = await t.hub.store.db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('refuses unknown recipients at RCPT time and oversize mail at DATA', async () => {
    await expect(customer.sendMail({ from: 'x@example.com', to: 'nobody@acme.example', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 550 });
    await expect(customer.sendMail({ from: 'x@example.com', to: 'reply+00000000000000000000000000000000aaaaaaaaaaaaaaaa@acme.example', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 550 });
    await expect(customer.sendMail({ from: 'x@example.com', to: 'support@acme.example', subject: 'big', text: 'x'.repeat(300_000) })).rejects.toMatchObject({ responseCode: 552 });
  });

  it('stores a mail delivered twice once, and never turns a bounce into a conversation', async () => {
    await customerWrites({ messageId: '<twice@example.com>', subject: 'Twice', text: 'Delivered twice.' });
    await customerWrites({ messageId: '<twice@example.com>', subject: 'Twice', text: 'Delivered twice.' });
    expect(await t.hub.store.db.selectFrom('messages').select('id').where('source_message_id', '=', '<twice@example.com>').execute()).toHaveLength(1);
    const before = await t.hub.store.db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const bounce = readFileSync(new URL('./fixtures/bounce-postfix.eml', import.meta.url));
    await customer.sendMail({ envelope: { from: '', to: 'support@acme.example' }, raw: bounce });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await t.hub.store.db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
