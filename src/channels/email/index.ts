import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ChannelDelivery } from '../../conversations/delivery.js';
import type { InboundMessage, IngestResult } from '../../conversations/inbound.js';
import type { Store } from '../../store/store.js';
import type { MailConfig } from './config.js';
import { emailDelivery } from './delivery.js';
import { ImapPoller } from './imap-poller.js';
import type { Mailer } from '../../mail/mailer.js';
import { SmtpListener } from './smtp-listener.js';
import { receiveMail, type ReceiveDeps } from './receive.js';
import { inboundRelayRouter } from './relay.js';
import { sendgridPublicKey } from './relays/sendgrid.js';
import type { Router } from 'express';

export interface EmailChannel {
  delivery: ChannelDelivery;
  /** `POST /inbound/email/{provider}` (mounted before any JSON parser: signatures need raw bytes). */
  relayRouter: Router;
  /** The SMTP listener when an inbound address is configured. */
  listener: SmtpListener | null;
  /** The IMAP poller when `MAIL_IMAP_URL` is set (polls from start() until close()). */
  poller: ImapPoller | null;
  /** Starts the listener and the IMAP poller; resolves with the listener's port (null when inbound mail is off). */
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
  const receiveDeps: ReceiveDeps | null =
    mail.inboundAddress && mail.replySecret && domain
      ? {
          store: deps.store,
          log: deps.log,
          ingest: deps.ingest,
          mailbox: mail.inboundAddress,
          domain,
          replySecret: mail.replySecret,
          maxMessageBytes: mail.maxMessageBytes,
          threadBySubject: mail.threadBySubject,
          checkSenders: mail.checkSenders,
        }
      : null;
  const listener = receiveDeps ? new SmtpListener({ ...receiveDeps, tls: readTls(mail) }) : null;
  const poller = receiveDeps && mail.imapUrl ? new ImapPoller({ ...receiveDeps, url: mail.imapUrl }) : null;
  return {
    delivery: emailDelivery({ store: deps.store, mailer: deps.mailer, replySecret: mail.replySecret, domain }),
    relayRouter: inboundRelayRouter({
      receive: receiveDeps ? (raw) => receiveMail(receiveDeps, raw, [receiveDeps.mailbox]) : null,
      relaySecret: mail.relaySecret,
      relayBasicAuth: mail.relayBasicAuth,
      mailgunSigningKey: mail.mailgunSigningKey,
      sendgridPublicKey: mail.sendgridParsePublicKey ? sendgridPublicKey(mail.sendgridParsePublicKey) : undefined,
      maxMessageBytes: mail.maxMessageBytes,
      seenDelivery: async (source, id) =>
        Boolean(await deps.store.db.selectFrom('deliveries').select('delivery_id').where('source', '=', source).where('delivery_id', '=', id).executeTakeFirst()),
      recordDelivery: async (source, id) => {
        await deps.store.db.insertInto('deliveries').values({ source, delivery_id: id }).onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing()).execute();
      },
    }),
    listener,
    poller,
    start: async () => {
      const port = listener ? await listener.listen(mail.smtpPort, mail.smtpHost) : null;
      poller?.start(mail.imapPollSeconds * 1000);
      return port;
    },
    close: async () => {
      await poller?.stop();
      await listener?.close();
    },
  };
}

/** The listener's certificate and key, read once at start; an unreadable file stops the boot with its path. */
function readTls(mail: MailConfig): { cert: Buffer; key: Buffer } | null {
  if (!mail.smtpTlsCertFile || !mail.smtpTlsKeyFile) return null;
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`SMTP STARTTLS: cannot read the ${what} file ${path}: ${(error as Error).message}`);
    }
  };
  return { cert: read(mail.smtpTlsCertFile, 'certificate'), key: read(mail.smtpTlsKeyFile, 'key') };
}
