import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { createMailer, type Mailer } from '../../src/mail/mailer.js';
import { mailSchema } from '../../src/channels/email/config.js';

/** A real SMTP server that counts the connections made to it and the mails each carried. */
async function countingSink() {
  const mailsPerConnection = new Map<string, number>();
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    onConnect(session, callback) {
      mailsPerConnection.set(session.id, 0);
      callback();
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        mailsPerConnection.set(session.id, (mailsPerConnection.get(session.id) ?? 0) + 1);
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return {
    mailsPerConnection,
    port: (server.server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('outbound mail', () => {
  let sink: Awaited<ReturnType<typeof countingSink>>;
  let mailer: Mailer;
  beforeAll(async () => {
    sink = await countingSink();
    mailer = createMailer(mailSchema.parse({ smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'Acme Support <support@acme.example>' }))!;
  });
  afterAll(async () => {
    mailer?.close();
    await sink?.close();
  });

  it('is pooled: one SMTP connection carries several messages, sent one after another and at once', async () => {
    for (let i = 0; i < 3; i++) await mailer.send({ to: { address: `customer${i}@example.com` }, subject: `Reply ${i}`, text: 'Thanks for writing.', key: `pooled-${i}` });
    expect([...sink.mailsPerConnection.values()]).toEqual([3]);
    await Promise.all([3, 4, 5, 6].map((i) => mailer.send({ to: { address: `customer${i}@example.com` }, subject: `Reply ${i}`, text: 'Thanks.', key: `pooled-${i}` })));
    const counts = [...sink.mailsPerConnection.values()];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(7);
    // The pool may open a few connections for concurrent sends, never one per message.
    expect(counts.length).toBeLessThan(7);
    expect(Math.max(...counts)).toBeGreaterThan(1);
  });
});
