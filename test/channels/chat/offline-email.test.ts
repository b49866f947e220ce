import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { smtpSink } from '../../support/smtp-sink.js';
import { chatEnv, Sdk } from './support.js';


describe('offline chat customers get one email about an unread reply', () => {
  let t: TestHub;
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  beforeAll(async () => {
    sink = await smtpSink();
    t = await startTestHub('pglite', {
      env: {
        ...chatEnv,
        CHAT_UNREAD_NOTIFY_AFTER_SECONDS: '5',
        CHAT_EMAIL_LINK_URL: 'https://app.acme.example/support?conversation={conversation_id}',
        MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        MAIL_FROM: 'Acme Support <support@acme.example>',
      },
    });
    await t.hub.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await t?.stop();
    await sink?.close();
  });

  const reply = (conversationId: string, id: string, text: string) =>
    t.hub.reply({ conversationId, source: 'test-agent', sourceMessageId: id, authorKind: 'agent', authorName: 'Ana', text });

  it('mails an identified user once, marked automatic, linking back to the app; a read reply mails nobody', async () => {
    const sdk = Sdk.forServer(t.hub.server()!);
    await sdk.identify('mail-user', { email: 'mail-user@example.com', name: 'Maya' });
    const start = await sdk.startConversation('My invoice is wrong', 'e-1', 'Invoice');
    const id = start.body['conversation']['id'];
    const unread = await reply(id, 'e-r1', 'We corrected the invoice.\nIt is in your account now.');
    const mail = await waitFor(() => sink.mails.find((m) => m.text?.includes('We corrected the invoice.')), 40_000, 'the notification email');
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('mail-user@example.com');
    expect(mail.subject).toBe('New reply: Invoice');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.messageId).toMatch(/@acme\.example>$/);
    expect(mail.text).toContain(`https://app.acme.example/support?conversation=${id}`);
    expect(mail.text).toContain('Hi Maya,');
    // Reading the conversation first means no email for the next reply.
    const read = await reply(id, 'e-r2', 'Anything else?');
    await sdk.call('POST', `/v1/conversations/${id}/read`, {});
    await new Promise((resolve) => setTimeout(resolve, 8000));
    expect(sink.mails.filter((m) => m.text?.includes('We corrected the invoice.'))).toHaveLength(1);
    expect(sink.mails.filter((m) => m.text?.includes('Anything else?'))).toHaveLength(0);
    expect(unread.message.id).not.toBe(read.message.id);
  });

  it('never mails an anonymous visitor', async () => {
    const sdk = Sdk.forServer(t.hub.server()!);
    const session = await sdk.call('POST', '/v1/sessions', {});
    sdk.token = session.body['session_token'];
    const start = await sdk.startConversation('hello from a visitor', 'v-1');
    await reply(start.body['conversation']['id'], 'v-r1', 'Hello visitor, left unread');
    await new Promise((resolve) => setTimeout(resolve, 8000));
    expect(sink.mails.filter((m) => m.text?.includes('Hello visitor'))).toHaveLength(0);
  });
});
