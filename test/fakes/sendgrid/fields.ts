/**
 * The form fields SendGrid's Inbound Parse posts for one received mail, per SendGrid's "Setting
 * up the Inbound Parse Webhook" (example default and raw payloads, in
 * ../shared/data/vendor/official/email-relays/sendgrid/) and "Inbound Email Parse Webhook"
 * (charsets: to/from/cc/subject decoded to UTF-8, text and html in their own charset). What the
 * docs leave open is marked ASSUMED here and in README.md.
 */
import { simpleParser, type AddressObject } from 'mailparser';
import type { FormField } from '../mailgun/form-data.js';
import { headerBlock, leaves, walkMime } from './mime.js';

export interface ParseMail {
  raw: Buffer;
  /** The envelope recipient (an address at the Inbound Parse hostname). */
  recipient: string;
  /** The envelope sender (default: the From address). */
  sender?: string;
}

const firstAddress = (field: AddressObject | AddressObject[] | undefined): string => (Array.isArray(field) ? field[0] : field)?.value[0]?.address ?? '';

// ASSUMED: verdict fields with fixed plausible values; the hub never reads them.
const SPAM_REPORT = 'Spam detection software, running on the system "mx.sendgrid.invalid", has\nidentified this incoming email as not spam.\n';

/** RFC 2047 words decoded (SendGrid posts to, from, cc and subject decoded, in UTF-8). */
function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=/g, (_word, charset: string, encoding: string, text: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
      try {
        return new TextDecoder(charset).decode(bytes);
      } catch {
        return bytes.toString('latin1');
      }
    });
}

async function envelopeFields(mail: ParseMail) {
  const parsed = await simpleParser(mail.raw, { skipImageLinks: true, skipTextToHtml: true });
  // ASSUMED: the decoded header value as the mail has it (the docs' raw example: `Sender Name <…>`, unquoted).
  const decoded = (name: string) => {
    const line = parsed.headerLines.find((h) => h.key === name)?.line;
    return line ? decodeWords(line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim()) : '';
  };
  const sender = mail.sender ?? firstAddress(parsed.from);
  const dkimDomain = /\bd=([^;\s]+)/.exec(parsed.headerLines.find((line) => line.key === 'dkim-signature')?.line ?? '')?.[1];
  return {
    parsed,
    dkim: dkimDomain ? `{@${dkimDomain} : pass}` : '{}',
    envelope: JSON.stringify({ to: [mail.recipient], from: sender }),
    cc: decoded('cc'),
    to: decoded('to'),
    from: decoded('from'),
    subject: decoded('subject'),
  };
}

/** "Send Raw" on: the whole message, byte for byte, in `email` (field order of the docs' example). */
export async function rawPayloadFields(mail: ParseMail): Promise<FormField[]> {
  const { dkim, envelope, cc, to, from, subject } = await envelopeFields(mail);
  return [
    { name: 'dkim', value: dkim },
    { name: 'email', value: mail.raw },
    { name: 'to', value: to },
    ...(cc ? [{ name: 'cc', value: cc }] : []),
    { name: 'from', value: from },
    { name: 'sender_ip', value: '192.0.2.10' },
    { name: 'spam_report', value: SPAM_REPORT },
    { name: 'envelope', value: envelope },
    { name: 'subject', value: subject },
    { name: 'spam_score', value: '0.1' },
    { name: 'charsets', value: JSON.stringify({ to: 'UTF-8', ...(cc ? { cc: 'UTF-8' } : {}), subject: 'UTF-8', from: 'UTF-8' }) },
    { name: 'SPF', value: 'pass' },
  ];
}

/**
 * "Send Raw" off (the default): the header section as received in `headers`, the first text and
 * html parts in their own charset (named in `charsets`), attachments as files attachment1…N
 * described by `attachment-info` and, for inline ones, `content-ids`.
 */
export async function defaultPayloadFields(mail: ParseMail): Promise<FormField[]> {
  const { dkim, envelope, cc, to, from, subject } = await envelopeFields(mail);
  const parts = leaves(walkMime(mail.raw));
  const isAttachment = (part: (typeof parts)[number]) => part.disposition === 'attachment' || part.filename !== null || !part.type.startsWith('text/');
  const text = parts.find((part) => part.type === 'text/plain' && !isAttachment(part));
  const html = parts.find((part) => part.type === 'text/html' && !isAttachment(part));
  const attachments = parts.filter(isAttachment);
  const charsets: Record<string, string> = { to: 'UTF-8' };
  if (cc) charsets['cc'] = 'UTF-8';
  if (html) charsets['html'] = (html.charset ?? 'us-ascii').toUpperCase();
  charsets['subject'] = 'UTF-8';
  charsets['from'] = 'UTF-8';
  if (text) charsets['text'] = (text.charset ?? 'us-ascii').toUpperCase();
  const info: Record<string, Record<string, string>> = {};
  const contentIds: Record<string, string> = {};
  const files: FormField[] = attachments.map((part, index) => {
    const key = `attachment${index + 1}`;
    const filename = part.filename ?? key;
    // As in the docs' example: `filename` from Content-Disposition, `name` from Content-Type.
    info[key] = { filename, name: part.name ?? filename, type: part.type, ...(part.contentId ? { 'content-id': part.contentId.replace(/^<|>$/g, '') } : {}) };
    if (part.contentId) contentIds[part.contentId.replace(/^<|>$/g, '')] = key;
    return { name: key, value: part.body, filename, contentType: part.type };
  });
  const fields: FormField[] = [
    { name: 'headers', value: headerBlock(mail.raw) },
    { name: 'dkim', value: dkim },
    ...(Object.keys(contentIds).length > 0 ? [{ name: 'content-ids', value: JSON.stringify(contentIds) }] : []),
    { name: 'to', value: to },
    ...(cc ? [{ name: 'cc', value: cc }] : []),
    ...(html ? [{ name: 'html', value: html.body }] : []),
    { name: 'from', value: from },
    ...(text ? [{ name: 'text', value: text.body }] : []),
    { name: 'sender_ip', value: '192.0.2.10' },
    { name: 'spam_report', value: SPAM_REPORT },
    { name: 'envelope', value: envelope },
    ...(files.length > 0 ? [{ name: 'attachments', value: String(files.length) }] : []),
    { name: 'subject', value: subject },
    { name: 'spam_score', value: '0.1' },
    ...(files.length > 0 ? [{ name: 'attachment-info', value: JSON.stringify(info) }] : []),
    { name: 'charsets', value: JSON.stringify(charsets) },
    { name: 'SPF', value: 'pass' },
  ];
  // ASSUMED: the files come after the text fields (PHP's var_dump of $_POST in the docs cannot show where).
  return [...fields, ...files];
}

/**
 * The docs' example fields. The default example names two attachments in `attachment-info`
 * whose files a `$_POST` dump cannot show: pass their bytes in `files` to post them too.
 */
export function officialFields(example: Record<string, string>, files: Record<string, Buffer> = {}): FormField[] {
  const fields: FormField[] = Object.entries(example).map(([name, value]) => ({ name, value }));
  const info = example['attachment-info'] ? (JSON.parse(example['attachment-info']) as Record<string, { filename?: string; type?: string }>) : {};
  for (const [name, bytes] of Object.entries(files)) {
    fields.push({ name, value: bytes, filename: info[name]?.filename ?? name, contentType: info[name]?.type ?? 'application/octet-stream' });
  }
  return fields;
}
