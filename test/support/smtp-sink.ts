import { once } from 'node:events';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server standing in for the relay the hub sends through: it keeps every mail, and
 * `onMail` may answer them (a customer's mail system with an auto-responder).
 */
export async function smtpSink(options: { onMail?: (mail: ParsedMail) => void } = {}) {
  const mails: ParsedMail[] = [];
  /** Each mail's envelope recipients (RCPT TO), in the same order as `mails`: who really gets it. */
  const envelopes: string[][] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    onData(stream, session, callback) {
      const rcptTo = session.envelope.rcptTo.map((r) => r.address);
      simpleParser(stream).then((mail) => {
        mails.push(mail);
        envelopes.push(rcptTo);
        callback();
        options.onMail?.(mail);
      }, callback);
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return {
    mails,
    envelopes,
    port: (server.server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
