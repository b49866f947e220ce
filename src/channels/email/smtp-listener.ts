import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SMTPServer } from 'smtp-server';
import { conversationOfReplyAddress } from './reply-address.js';
import { receiveMail, type ReceiveDeps } from './receive.js';

/** An SMTP reply code with the error, as smtp-server expects it. */
function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * The built-in SMTP listener for the support mailbox: unknown recipients are refused at RCPT
 * time, oversize mail at DATA (announced with SIZE), and a mail is acknowledged only after it is
 * committed — a database problem answers 451 so the sending server retries.
 */
export class SmtpListener {
  private readonly server: SMTPServer;

  constructor(private readonly deps: ReceiveDeps & { log: Logger; tls?: { cert: Buffer; key: Buffer } | null }) {
    this.server = new SMTPServer({
      name: deps.domain,
      banner: 'Support Hub',
      size: deps.maxMessageBytes,
      authOptional: true,
      // STARTTLS only with a configured certificate: offering it with smtp-server's built-in
      // self-signed one would just make careful senders fail verification.
      ...(deps.tls ? { key: deps.tls.key, cert: deps.tls.cert, disabledCommands: ['AUTH'] } : { disabledCommands: ['AUTH', 'STARTTLS'] }),
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const recipient = address.address.toLowerCase();
        if (recipient === deps.mailbox || conversationOfReplyAddress(deps.replySecret, recipient, deps.domain)) callback();
        else callback(smtpError(550, `5.1.1 <${recipient}>: no such mailbox here`));
      },
      onData: (stream, session, callback) => {
        // Enforced while streaming: a client that said HELO (no SIZE) or lied about it may send
        // any amount; past the limit the bytes are read and dropped, never kept, and the end of
        // DATA gets the 552 (an unauthenticated 120 MB DATA once grew memory by ~105 MB).
        const chunks: Buffer[] = [];
        let received = 0;
        let oversize = false;
        stream.on('data', (chunk: Buffer) => {
          if (oversize) return;
          received += chunk.length;
          if (received > deps.maxMessageBytes) {
            oversize = true;
            chunks.length = 0;
            return;
          }
          chunks.push(chunk);
        });
        stream.on('end', () => {
          if (oversize || (stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(smtpError(552, `5.3.4 message exceeds the ${deps.maxMessageBytes} byte limit`));
            return;
          }
          const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          const smtp = {
            ip: session.remoteAddress,
            helo: session.hostNameAppearsAs,
            ...(session.envelope.mailFrom ? { mailFrom: session.envelope.mailFrom.address } : {}),
          };
          receiveMail(deps, Buffer.concat(chunks), recipients, smtp).then(
            (outcome) => (outcome.kind === 'rejected' ? callback(smtpError(550, `5.6.0 ${outcome.reason}`)) : callback()),
            (error: Error) => {
              deps.log.error({ err: error }, 'inbound mail could not be stored; asking the sender to retry');
              callback(smtpError(451, '4.3.0 temporary failure, please retry'));
            },
          );
        });
      },
    });
    this.server.on('error', (error) => deps.log.warn({ err: error }, 'SMTP listener error'));
  }

  async listen(port: number, host: string): Promise<number> {
    this.server.listen(port, host);
    await once(this.server.server, 'listening');
    return (this.server.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
