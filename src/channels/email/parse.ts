/**
 * Pipeline step 1: raw RFC 5322 bytes → our typed `ParsedMail`. mailparser does the MIME work
 * (boundaries, transfer encodings, RFC 2047/2231, charsets incl. ISO-2022-JP); this step
 * normalises what it returns so later steps never meet its variants (a string or an array for
 * `references`, absent Message-IDs, address groups, mislabelled charsets).
 */
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type Attachment, type EmailAddress } from 'mailparser';
import { repairMislabelledUtf8, transcodeLegacyHeaders } from './charset.js';

export interface MailAddress {
  /** Lowercased; the domain part is also what DNS compares case-insensitively (RFC 5321 §2.4). */
  address: string;
  /** Display name, '' when there is none or it only repeats the address. */
  name: string;
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
  /** Larger than `maxAttachmentBytes`: listed, but its content is not kept. */
  overLimit: boolean;
  content: Buffer | null;
}

export interface ParsedMail {
  messageId: string;
  /** True when the message had no Message-ID and `messageId` was derived from its bytes. */
  syntheticMessageId: boolean;
  from: MailAddress | null;
  sender: MailAddress | null;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
  date: Date | null;
  inReplyTo: string | null;
  references: string[];
  /** The whole text as the sender sent it (quoted history included); see `stripEmailHistory`. */
  text: string;
  html: string | null;
  /** True when the message had no text part and `text` was made from its HTML. */
  textFromHtml: boolean;
  /** Raw header values by lowercase name, unfolded, in message order, not RFC 2047-decoded. */
  headers: ReadonlyMap<string, readonly string[]>;
  attachments: MailAttachment[];
  /** The original message, byte for byte. */
  raw: Buffer;
}

export type MailRejectReason = 'empty' | 'too_large' | 'no_headers' | 'unparseable';

/** A message that cannot be read as email; `reason` says why, `message` for a person. */
export class MailParseError extends Error {
  readonly code = 'mail_unparseable';
  constructor(
    readonly reason: MailRejectReason,
    message: string,
  ) {
    super(message);
    this.name = 'MailParseError';
  }
}

export interface ParseMailOptions {
  /** Messages larger than this are rejected unread. Default 40 MiB. */
  maxMessageBytes?: number;
  /** Attachments larger than this keep their metadata but not their content. Default 25 MiB. */
  maxAttachmentBytes?: number;
}

const DEFAULT_MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
const DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

export async function parseMail(raw: Buffer, options: ParseMailOptions = {}): Promise<ParsedMail> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxAttachmentBytes = options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  if (raw.length === 0) throw new MailParseError('empty', 'the message is empty');
  if (raw.length > maxMessageBytes) {
    throw new MailParseError('too_large', `the message is ${raw.length} bytes, more than the ${maxMessageBytes} allowed`);
  }

  let mail;
  try {
    // Raw 8-bit legacy-charset headers become UTF-8 first; `raw` itself stays byte for byte.
    mail = await simpleParser(transcodeLegacyHeaders(raw), { skipImageLinks: true, skipTextToHtml: true, maxHtmlLengthToParse: 2 * 1024 * 1024 });
  } catch (error) {
    throw new MailParseError('unparseable', `the MIME structure cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }

  const headers = headerMap(mail.headerLines);
  if (headers.size === 0) throw new MailParseError('no_headers', 'the message has no header section');

  const html = typeof mail.html === 'string' ? clean(mail.html) : null;
  const textFromHtml = html !== null && !hasTextPlainPart(raw);
  let text = clean(mail.text ?? '');
  if (textFromHtml) text = tidyTextFromHtml(text);

  const messageId = firstMessageId(mail.messageId);
  return {
    messageId: messageId ?? syntheticMessageId(raw),
    syntheticMessageId: messageId === null,
    from: addresses(mail.from)[0] ?? null,
    sender: addresses(addressHeader(mail.headers.get('sender')))[0] ?? null,
    replyTo: addresses(mail.replyTo),
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    subject: clean(mail.subject ?? '').trim(),
    date: mail.date instanceof Date && !Number.isNaN(mail.date.getTime()) ? mail.date : null,
    inReplyTo: firstMessageId(mail.inReplyTo),
    // mailparser returns `references` as a string when there is only one.
    references: (typeof mail.references === 'string' ? [mail.references] : (mail.references ?? []))
      .flatMap((value) => value.split(/\s+/))
      .filter((id) => id !== ''),
    text,
    html,
    textFromHtml,
    headers,
    attachments: mail.attachments.map((attachment) => toAttachment(attachment, maxAttachmentBytes)),
    raw,
  };
}

/** `<sha256-of-raw@synthetic.invalid>`: the same bytes always get the same id (RFC 2606 `.invalid`). */
export function syntheticMessageId(raw: Buffer): string {
  return `<${createHash('sha256').update(raw).digest('hex')}@synthetic.invalid>`;
}

function headerMap(lines: ReadonlyArray<{ key: string; line: string }>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, line } of lines) {
    const name = key.trim().toLowerCase();
    if (name === '' || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue; // RFC 5322 §2.2 field name
    const colon = line.indexOf(':');
    const value = (colon === -1 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]+/g, ' ').trim();
    const values = map.get(name);
    if (values) values.push(value);
    else map.set(name, [value]);
  }
  return map;
}

function addresses(field: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!field) return [];
  const objects = Array.isArray(field) ? field : [field];
  const flat: EmailAddress[] = [];
  const walk = (entries: EmailAddress[] | undefined): void => {
    for (const entry of entries ?? []) {
      if (entry.group) walk(entry.group);
      else flat.push(entry);
    }
  };
  for (const object of objects) walk(object?.value);
  return flat.flatMap((entry) => {
    const address = (entry.address ?? '').trim().toLowerCase();
    if (!address.includes('@')) return [];
    return [{ address, name: displayName(entry.name ?? '', address) }];
  });
}

function displayName(name: string, address: string): string {
  // Outlook quotes names in single quotes ("'Ann Lee'"); some clients repeat the address as the name.
  const unquoted = clean(name).trim().replace(/^(['"])(.*)\1$/, '$2').trim();
  return unquoted.toLowerCase() === address ? '' : unquoted;
}

function addressHeader(value: unknown): AddressObject | undefined {
  return typeof value === 'object' && value !== null && 'value' in value && Array.isArray(value.value) ? (value as AddressObject) : undefined;
}

function firstMessageId(value: string | undefined): string | null {
  if (!value) return null;
  const bracketed = /<[^<>\s]+>/.exec(value);
  if (bracketed) return bracketed[0];
  // A header cut short ("Message-ID: <") has no id left once its brackets are gone: none, not "<>".
  const bare = (value.trim().split(/\s+/)[0] ?? '').replace(/^<|>$/g, '');
  return bare === '' ? null : `<${bare}>`;
}

function toAttachment(attachment: Attachment, maxAttachmentBytes: number): MailAttachment {
  const size = attachment.size ?? attachment.content?.length ?? 0;
  const overLimit = size > maxAttachmentBytes;
  return {
    filename: clean(attachment.filename ?? ''),
    contentType: (attachment.contentType ?? 'application/octet-stream').toLowerCase(),
    size,
    contentId: attachment.contentId ?? null,
    inline: attachment.contentDisposition === 'inline' || attachment.related === true,
    overLimit,
    content: overLimit ? null : attachment.content,
  };
}

// NUL bytes are not text (PostgreSQL rejects them); mislabelled UTF-8 is repaired.
function clean(value: string): string {
  return repairMislabelledUtf8(value.replace(/\u0000/g, ''));
}

// A text/plain part anywhere, or a top-level message without Content-Type (RFC 2045 §5.2: text/plain).
function hasTextPlainPart(raw: Buffer): boolean {
  return /^content-type:[ \t]*(?:\r?\n[ \t]+)?"?text\/plain/im.test(raw.toString('latin1'));
}

// html-to-text writes link targets and image sources in brackets ("the docs [https://…]");
// a person reading the ticket wants the words, and the HTML is kept for the links.
function tidyTextFromHtml(text: string): string {
  return text
    .replace(/[ \t]*\[(?:https?:|mailto:|cid:|data:)[^\]\s]*\]/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
