import { z } from 'zod';
import { secret } from '../../config/secrets.js';

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
    /** Signs reply addresses (reply+token@domain) so a reply finds its conversation and nobody can forge one. */
    replySecret: secret(z.string().min(16, 'must be at least 16 characters').optional()),
  })
  .prefault({})
  .superRefine((mail, ctx) => {
    if (mail.smtpUrl && !mail.from) ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required when an SMTP URL is set' });
    if (mail.from && !/[^<\s@]+@[^>\s@]+/.test(mail.from)) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must contain an email address' });
    if (mail.inboundAddress && !mail.replySecret) ctx.addIssue({ code: 'custom', path: ['replySecret'], message: 'is required when an inbound address is set' });
  });
export type MailConfig = z.output<typeof mailSchema>;
