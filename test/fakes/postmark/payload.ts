/**
 * The JSON Postmark's inbound webhook posts for one received mail, per Postmark's "Inbound
 * webhook" and "Parse an email" pages, its official Node client's `InboundWebhook` type, and the
 * dashboard Check payloads in ../shared/data/vendor/official/email-relays/postmark/. What the docs
 * leave open is marked ASSUMED here and in README.md.
 */
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';

export interface PostmarkAddress {
  Email: string;
  Name: string;
  MailboxHash: string;
}

export interface PostmarkAttachment {
  Name: string;
  /** Real inbound posts carry the base64 content here; the dashboard's Check payload says `Data`. */
  Content?: string;
  Data?: string;
  ContentType: string;
  ContentLength: number;
  ContentID?: string;
}

export interface PostmarkInbound {
  FromName: string;
  MessageStream: string;
  From: string;
  FromFull: PostmarkAddress;
  To: string;
  ToFull: PostmarkAddress[];
  Cc: string;
  CcFull: PostmarkAddress[];
  Bcc: string;
  BccFull: PostmarkAddress[];
  OriginalRecipient: string;
  Subject: string;
  MessageID: string;
  ReplyTo: string;
  MailboxHash: string;
  Date: string;
  TextBody: string;
  HtmlBody: string;
  StrippedTextReply: string;
  Tag: string;
  Headers: Array<{ Name: string; Value: string }>;
  Attachments: PostmarkAttachment[];
  RawEmail?: string;
}

/** Promoted to top-level fields, so not repeated in Headers (Reply-To: the issue-20 finding). */
const PROMOTED = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'date', 'reply-to']);
// ASSUMED: the body-structure headers are not listed either (the docs' example has none).
const STRUCTURE = new Set(['content-type', 'content-transfer-encoding']);

const mailboxHash = (address: string): string => /^[^+@]*\+([^@]*)@/.exec(address)?.[1] ?? '';

function list(field: AddressObject | AddressObject[] | undefined): PostmarkAddress[] {
  const objects = Array.isArray(field) ? field : field ? [field] : [];
  const flat: EmailAddress[] = objects.flatMap((object) => object.value.flatMap((entry) => entry.group ?? [entry]));
  return flat.filter((entry) => entry.address).map((entry) => ({ Email: entry.address!, Name: entry.name ?? '', MailboxHash: mailboxHash(entry.address!) }));
}

const text = (field: AddressObject | AddressObject[] | undefined): string => (Array.isArray(field) ? field.map((f) => f.text).join(', ') : (field?.text ?? ''));

/** What Postmark would post for `raw` received at `recipient` (the inbound address it was sent to). */
export async function inboundPayload(raw: Buffer, options: { recipient: string; includeRawEmail?: boolean; tag?: string }): Promise<PostmarkInbound> {
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const from = list(mail.from)[0] ?? { Email: '', Name: '', MailboxHash: '' };
  const header = (name: string) => mail.headerLines.find((line) => line.key === name)?.line.replace(/^[^:]*:\s*/, '').replace(/\r?\n[ \t]+/g, ' ') ?? '';
  const headers = mail.headerLines
    .filter(({ key }) => !PROMOTED.has(key) && !STRUCTURE.has(key))
    .map(({ line }) => {
      const colon = line.indexOf(':');
      return { Name: line.slice(0, colon).trim(), Value: line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim() };
    });
  // Postmark's own id for the inbound message (not the Message-ID header, which stays in Headers).
  const digest = createHash('sha256').update(raw).digest('hex');
  const messageId = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
  const payload: PostmarkInbound = {
    FromName: from.Name,
    MessageStream: 'inbound',
    From: from.Email,
    FromFull: { ...from, MailboxHash: '' },
    To: text(mail.to),
    ToFull: list(mail.to),
    Cc: text(mail.cc),
    CcFull: list(mail.cc),
    Bcc: text(mail.bcc),
    BccFull: list(mail.bcc),
    OriginalRecipient: options.recipient,
    Subject: mail.subject ?? '',
    MessageID: messageId,
    // Reply-To arrives here only: Postmark strips it from Headers.
    ReplyTo: text(mail.replyTo),
    MailboxHash: mailboxHash(options.recipient),
    Date: header('date'),
    TextBody: mail.text ?? '',
    HtmlBody: typeof mail.html === 'string' ? mail.html : '',
    // ASSUMED: Postmark's reply detection is not modelled.
    StrippedTextReply: '',
    Tag: options.tag ?? '',
    Headers: headers,
    Attachments: mail.attachments.map((a) => ({
      Name: a.filename ?? 'attachment',
      Content: a.content.toString('base64'),
      ContentType: a.contentType,
      ContentLength: a.size,
      // ASSUMED: the Content-ID without its angle brackets, as in the docs' example.
      ContentID: a.contentId ? a.contentId.replace(/^<|>$/g, '') : '',
    })),
  };
  // ASSUMED: "include raw email content" puts the received bytes in a JSON string decoded as
  // UTF-8, so 8-bit bytes of another charset arrive as U+FFFD (a JSON string cannot carry bytes).
  if (options.includeRawEmail) payload.RawEmail = raw.toString('utf8');
  return payload;
}
