/**
 * Postmark's inbound webhook JSON (postmarkapp.com/developer/webhooks/inbound-webhook) → the MIME
 * the pipeline reads. With "include raw email content" on, `RawEmail` is the original message;
 * otherwise the message is rebuilt from the parsed fields. Postmark promotes From, To, Cc,
 * Subject, Date and Reply-To to top-level fields and leaves them out of `Headers` (Reply-To in
 * particular arrives only as `ReplyTo`), so the rebuild takes those from the top level.
 */
import { z } from 'zod';
import { buildMime, encodedWords, header, mailbox, mimeType, type RebuiltHeader } from './rebuild-mime.js';

const address = z.object({ Email: z.string(), Name: z.string().nullish() });

export const postmarkInbound = z.object({
  FromFull: address,
  ToFull: z.array(address).default([]),
  CcFull: z.array(address).default([]),
  Subject: z.string().default(''),
  Date: z.string().optional(),
  /** A header value (`"Name" <a@b>, …`) as Postmark gives it; '' when the mail had none. */
  ReplyTo: z.string().optional(),
  TextBody: z.string().default(''),
  HtmlBody: z.string().default(''),
  Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).default([]),
  // Real posts carry `Content`; the dashboard's Check payload carries `Data` instead.
  Attachments: z
    .array(z.object({ Name: z.string(), Content: z.string().optional(), Data: z.string().optional(), ContentType: z.string(), ContentID: z.string().nullish() }))
    .default([]),
  RawEmail: z.string().optional(),
});
export type PostmarkInbound = z.infer<typeof postmarkInbound>;

/** The names the rebuild writes from top-level fields; a copy in `Headers` would repeat them. */
const PROMOTED = new Set(['from', 'to', 'cc', 'subject', 'date', 'reply-to']);

export function postmarkMime(mail: PostmarkInbound): Buffer {
  // A JSON string cannot carry bytes: raw 8-bit mail in another charset reaches us with U+FFFD
  // where its bytes were. Then the parsed fields, which Postmark decoded, are the better copy.
  if (mail.RawEmail && !mail.RawEmail.includes('\uFFFD')) return Buffer.from(mail.RawEmail, 'utf8');
  const format = (a: z.infer<typeof address>) => mailbox(a.Email, a.Name);
  const headers: RebuiltHeader[] = [header('From', format(mail.FromFull))];
  if (mail.ToFull.length) headers.push(header('To', mail.ToFull.map(format).join(', ')));
  if (mail.CcFull.length) headers.push(header('Cc', mail.CcFull.map(format).join(', ')));
  if (mail.ReplyTo) headers.push(header('Reply-To', mail.ReplyTo));
  headers.push(header('Subject', encodedWords(mail.Subject)));
  if (mail.Date) headers.push(header('Date', mail.Date));
  for (const h of mail.Headers) if (!PROMOTED.has(h.Name.toLowerCase())) headers.push(header(h.Name, h.Value));
  return buildMime({
    headers,
    text: mail.TextBody ? { bytes: Buffer.from(mail.TextBody, 'utf8'), charset: 'utf-8' } : null,
    html: mail.HtmlBody ? { bytes: Buffer.from(mail.HtmlBody, 'utf8'), charset: 'utf-8' } : null,
    attachments: mail.Attachments.map((a) => ({
      filename: a.Name,
      contentType: mimeType(a.ContentType),
      contentId: a.ContentID || null,
      content: Buffer.from(a.Content ?? a.Data ?? '', 'base64'),
    })),
  });
}
