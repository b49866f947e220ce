import type { Logger } from 'pino';
import type { ChannelDelivery } from '../../conversations/delivery.js';
import type { InboundMessage, IngestResult } from '../../conversations/inbound.js';
import type { Store } from '../../store/store.js';
import type { MailConfig } from './config.js';
import { emailDelivery } from './delivery.js';
import type { Mailer } from './mailer.js';
import { SmtpListener } from './smtp-listener.js';

export interface EmailChannel {
  delivery: ChannelDelivery;
  /** The SMTP listener when an inbound address is configured. */
  listener: SmtpListener | null;
  /** Starts the listener; resolves with its port (null when inbound mail is off). */
  start(): Promise<number | null>;
  close(): Promise<void>;
}

/** The email channel: the built-in SMTP listener for the support mailbox, and mail out. */
export function createEmailChannel(deps: {
  store: Store;
  log: Logger;
  mail: MailConfig;
  mailer: Mailer | null;
  ingest(inbound: InboundMessage): Promise<IngestResult>;
}): EmailChannel {
  const { mail } = deps;
  const domain = mail.inboundAddress?.split('@')[1] ?? null;
  const listener =
    mail.inboundAddress && mail.replySecret && domain
      ? new SmtpListener({
          store: deps.store,
          log: deps.log,
          ingest: deps.ingest,
          mailbox: mail.inboundAddress,
          domain,
          replySecret: mail.replySecret,
          maxMessageBytes: mail.maxMessageBytes,
        })
      : null;
  return {
    delivery: emailDelivery({ store: deps.store, mailer: deps.mailer, replySecret: mail.replySecret, domain }),
    listener,
    start: async () => (listener ? listener.listen(mail.smtpPort, mail.smtpHost) : null),
    close: async () => listener?.close(),
  };
}
