import { z } from 'zod';
import { envBoolean } from '../../config/env-boolean.js';
import { secret } from '../../config/secrets.js';
import { sendgridPublicKey } from './relays/sendgrid.js';

/** Outbound mail: one SMTP relay the hub sends through (agent replies, notifications, acknowledgements). */
export const mailSchema = z
  .object({
    /** smtp://user:password@host:587 (STARTTLS when offered) or smtps://…:465. */
    smtpUrl: secret(z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()),
    /** The From of every mail the hub sends, e.g. "Acme Support <support@acme.example>". */
    from: z.string().min(3).optional(),
    /** Domain of the hub's Message-IDs (default: the From address's domain). */
    domain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain such as support.acme.example').optional(),
    /** The support mailbox the hub receives for, e.g. support@acme.example; unset = no inbound mail. */
    inboundAddress: z.string().regex(/^[^\s@<>]+@[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be an email address').transform((a) => a.toLowerCase()).optional(),
    /** Built-in SMTP listener (runs when an inbound address is set). */
    smtpPort: z.coerce.number().int().min(0).max(65535).default(2525),
    smtpHost: z.string().min(1).default('0.0.0.0'),
    maxMessageBytes: z.coerce.number().int().min(1024).max(200 * 1024 * 1024).default(25 * 1024 * 1024),
    /** PEM certificate chain and private key files: the listener then offers STARTTLS. */
    smtpTlsCertFile: z.string().min(1).optional(),
    smtpTlsKeyFile: z.string().min(1).optional(),
    /** Signs reply addresses (reply+token@domain) so a reply finds its conversation and nobody can forge one. */
    replySecret: secret(z.string().min(16, 'must be at least 16 characters').optional()),
    /**
     * Poll an IMAP folder for inbound mail as well (or instead of pointing MX at the listener):
     * imap://user:password@host:143/INBOX or imaps://…:993/INBOX (folder default INBOX).
     * Optional `?moveTo=Folder` moves each processed mail there after flagging it \Seen.
     */
    imapUrl: secret(z.string().regex(/^imaps?:\/\/[^/]+/, 'must be an imap:// or imaps:// URL').optional()),
    imapPollSeconds: z.coerce.number().int().min(1).max(86_400).default(60),
    /** Verifies raw-MIME relays to POST /inbound/email/raw (X-Hub-Signature). */
    relaySecret: secret(z.string().min(16, 'must be at least 16 characters').optional()),
    /** "user:password" providers send as basic auth to POST /inbound/email/{postmark,…}. */
    /** Thread mail that names no thread by subject (same sender, 7 days). Off: rather split than merge. */
    threadBySubject: envBoolean.default(false),
    /** Record SPF/DKIM/DMARC verdicts and verify senders by DMARC (needs DNS). */
    checkSenders: envBoolean.default(true),
    /** Mailgun's HTTP webhook signing key (Settings → API security). */
    mailgunSigningKey: secret(z.string().min(8).optional()),
    relayBasicAuth: secret(z.string().regex(/^[^:]+:.{12,}$/, 'must look like user:password with a password of 12+ characters').optional()),
    /** Public key of a SendGrid Inbound Parse security policy (base64 DER as SendGrid shows it, or PEM): SendGrid posts must then be signed. */
    sendgridParsePublicKey: z.string().min(40).optional(),
  })
  .prefault({})
  .superRefine((mail, ctx) => {
    if (mail.smtpUrl && !mail.from) ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required when an SMTP URL is set' });
    if (mail.from && !/[^<\s@]+@[^>\s@]+/.test(mail.from)) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must contain an email address' });
    if (mail.imapUrl && !mail.inboundAddress) ctx.addIssue({ code: 'custom', path: ['inboundAddress'], message: 'is required when an IMAP URL is set (the mailbox the polled mail is for)' });
    if (mail.inboundAddress && !mail.replySecret) ctx.addIssue({ code: 'custom', path: ['replySecret'], message: 'is required when an inbound address is set' });
    if (mail.sendgridParsePublicKey) {
      try {
        sendgridPublicKey(mail.sendgridParsePublicKey);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['sendgridParsePublicKey'], message: "is not an EC public key (paste the security policy's public_key as SendGrid returns it)" });
      }
    }
    if (Boolean(mail.smtpTlsCertFile) !== Boolean(mail.smtpTlsKeyFile)) {
      ctx.addIssue({ code: 'custom', path: [mail.smtpTlsCertFile ? 'smtpTlsKeyFile' : 'smtpTlsCertFile'], message: 'STARTTLS needs both the certificate and the key file' });
    }
  });
export type MailConfig = z.output<typeof mailSchema>;
