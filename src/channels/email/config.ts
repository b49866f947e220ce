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
  })
  .prefault({})
  .superRefine((mail, ctx) => {
    if (mail.smtpUrl && !mail.from) ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required when an SMTP URL is set' });
    if (mail.from && !/[^<\s@]+@[^>\s@]+/.test(mail.from)) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must contain an email address' });
  });
export type MailConfig = z.output<typeof mailSchema>;
