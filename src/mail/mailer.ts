import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';

/** What outbound mail needs: the SMTP relay, the sender, and the domain Message-IDs are made in (default: the sender's). */
export interface MailerSettings {
  smtpUrl?: string | undefined;
  from?: string | undefined;
  domain?: string | undefined;
}

/**
 * One recipient, as nodemailer's structured address (never a string we build): nodemailer quotes
 * or encodes the name (RFC 5322 §3.4, RFC 2047), so a display name like
 * `Real Victim, attacker@evil.example,` stays a name and can never add a recipient.
 */
export interface MailRecipient {
  address: string;
  name?: string | null;
}

/** Exactly one address: no list, no display name, no line breaks. */
const SINGLE_ADDRESS = /^[^\s@,;<>()"]+@[^\s@,;<>()"]+$/;

export interface OutboundMail {
  to: MailRecipient;
  subject: string;
  text: string;
  html?: string;
  /**
   * Names this mail for good: the Message-ID is derived from it, so a retried send after a lost
   * answer is the same message to every mail system that dedupes by Message-ID.
   */
  key: string;
  /** RFC 3834: `auto-generated` (notifications) or `auto-replied` (answers to a mail). Absent for mail written by a person. */
  automatic?: 'auto-generated' | 'auto-replied';
  inReplyTo?: string;
  references?: string[];
  replyTo?: string;
}

/**
 * The hub's outbound SMTP, shared by every channel and escalation target (ARCHITECTURE §3 `mail/`:
 * channels never import each other): one pooled transport, Message-IDs of our own domain.
 */
export class Mailer {
  private readonly transport: Transporter;
  readonly domain: string;

  constructor(private readonly config: { smtpUrl: string; from: string; domain?: string | undefined }) {
    // nodemailer pools only when asked: without `pool` every message opens its own connection
    // (and TLS handshake). The URL's own options (e.g. `?pool=false`) still win.
    this.transport = nodemailer.createTransport({ url: config.smtpUrl, pool: true }, { from: config.from });
    this.domain = config.domain ?? /@([^>\s]+)/.exec(config.from)![1]!.toLowerCase();
  }

  messageIdFor(key: string): string {
    return `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@${this.domain}>`;
  }

  async send(mail: OutboundMail): Promise<{ messageId: string }> {
    if (!SINGLE_ADDRESS.test(mail.to.address)) throw new Error(`refusing to mail "${mail.to.address.slice(0, 80)}": not exactly one address`);
    const messageId = this.messageIdFor(mail.key);
    await this.transport.sendMail({
      from: this.config.from,
      to: mail.to.name?.trim() ? { name: mail.to.name.replace(/[\r\n]+/g, ' ').trim(), address: mail.to.address } : { name: '', address: mail.to.address },
      subject: mail.subject,
      text: mail.text,
      ...(mail.html ? { html: mail.html } : {}),
      messageId,
      ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
      ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
      ...(mail.references?.length ? { references: mail.references } : {}),
      headers: mail.automatic
        ? {
            'Auto-Submitted': mail.automatic,
            // Ask Exchange and friends not to answer automatic mail with their own (mail loops).
            'X-Auto-Response-Suppress': 'All',
          }
        : {},
    });
    return { messageId };
  }

  async verify(): Promise<void> {
    await this.transport.verify();
  }

  close(): void {
    this.transport.close();
  }
}

export function createMailer(config: MailerSettings): Mailer | null {
  return config.smtpUrl && config.from ? new Mailer({ smtpUrl: config.smtpUrl, from: config.from, domain: config.domain }) : null;
}
