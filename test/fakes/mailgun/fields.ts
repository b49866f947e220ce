/**
 * The form fields a Mailgun route posts for one received mail, per Mailgun's "Receiving Messages
 * via HTTP through a forward() action" and "Storing and Retrieving Messages" pages and the docs'
 * examples (../shared/data/vendor/official/email-relays/mailgun/). What the docs leave open is
 * marked ASSUMED here and in README.md.
 */
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { FormField } from './form-data.js';

export interface ReceivedMail {
  /** The message as Mailgun received it over SMTP. */
  raw: Buffer;
  /** RCPT TO. */
  recipient: string;
  /** MAIL FROM (default: the From address). */
  sender?: string;
}

/** Mailgun writes header names capitalised per dash-separated word ("Message-Id", "Mime-Version"). */
export function mailgunHeaderName(name: string): string {
  return name
    .split('-')
    .map((word) => (word === '' ? word : word[0]!.toUpperCase() + word.slice(1).toLowerCase()))
    .join('-');
}

/** The header list of the docs' example: Python's json.dumps, `", "` separators, non-ASCII as \\uXXXX. */
export function messageHeadersJson(pairs: ReadonlyArray<readonly [string, string]>): string {
  const ascii = (text: string) => JSON.stringify(text).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `[${pairs.map(([name, value]) => `[${ascii(name)}, ${ascii(value)}]`).join(', ')}]`;
}

const firstAddress = (field: AddressObject | AddressObject[] | undefined): string => (Array.isArray(field) ? field[0] : field)?.value[0]?.address ?? '';

async function received(mail: ReceivedMail): Promise<{ parsed: ParsedMail; sender: string; headers: Array<[string, string]> }> {
  const parsed = await simpleParser(mail.raw, { skipImageLinks: true, skipTextToHtml: true });
  const sender = mail.sender ?? firstAddress(parsed.from);
  // Mailgun adds these two when it receives the mail (first in the docs' example).
  const headers: Array<[string, string]> = [
    ['X-Mailgun-Incoming', 'Yes'],
    ['X-Envelope-From', `<${sender}>`],
  ];
  for (const { line } of parsed.headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([mailgunHeaderName(line.slice(0, colon).trim()), line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim()]);
  }
  return { parsed, sender, headers };
}

/** Fields every parsed post has (the docs' table and example), in the example's (sorted) order. */
function parsedFields(parsed: ParsedMail, sender: string, recipient: string, headers: Array<[string, string]>): FormField[] {
  // ASSUMED: each header also arrives as a field of its own name (as in the example); a repeated header keeps its last value.
  const headerFields = new Map<string, string>();
  for (const [name, value] of headers) headerFields.set(name, value);
  const text = parsed.text ?? '';
  const html = typeof parsed.html === 'string' ? parsed.html : null;
  const fields: FormField[] = [...headerFields].map(([name, value]) => ({ name, value }));
  if (html !== null) fields.push({ name: 'body-html', value: html });
  fields.push({ name: 'body-plain', value: text });
  // The From header as the mail has it (the docs' example: `Excited User <user@…>`, unquoted).
  fields.push({ name: 'from', value: headers.find(([name]) => name === 'From')?.[1] ?? '' });
  fields.push({ name: 'message-headers', value: messageHeadersJson(headers) });
  fields.push({ name: 'recipient', value: recipient });
  fields.push({ name: 'sender', value: sender });
  // ASSUMED: Mailgun's quote detection is not modelled; the stripped-* fields carry the whole text.
  if (html !== null) fields.push({ name: 'stripped-html', value: html });
  fields.push({ name: 'stripped-signature', value: '' });
  fields.push({ name: 'stripped-text', value: text });
  fields.push({ name: 'subject', value: parsed.subject ?? '' });
  return fields;
}

/**
 * forward("https://hub/inbound/email/mailgun"): the parsed form. Text is UTF-8 ("Mailgun will
 * parse the message, encode it into UTF-8"); attachments are file parts attachment-1…N with
 * attachment-count, and content-id-map maps Content-IDs to them.
 */
export async function forwardParsedFields(mail: ReceivedMail): Promise<FormField[]> {
  const { parsed, sender, headers } = await received(mail);
  const fields = parsedFields(parsed, sender, mail.recipient, headers);
  if (parsed.attachments.length > 0) {
    fields.push({ name: 'attachment-count', value: String(parsed.attachments.length) });
    const cids: Record<string, string> = {};
    parsed.attachments.forEach((attachment, index) => {
      const name = `attachment-${index + 1}`;
      // ASSUMED: the map's keys keep the angle brackets of the Content-ID header.
      if (attachment.contentId) cids[attachment.contentId] = name;
      fields.push({ name, value: attachment.content, filename: attachment.filename ?? name, contentType: attachment.contentType });
    });
    if (Object.keys(cids).length > 0) fields.push({ name: 'content-id-map', value: JSON.stringify(cids) });
  }
  return fields;
}

/**
 * store(notify="https://hub/inbound/email/mailgun"): the parsed fields plus `domain` and
 * `message-url`; attachments are not posted, only described (with URLs to fetch them).
 */
export async function storeNotifyFields(mail: ReceivedMail, domain: string): Promise<FormField[]> {
  const { parsed, sender, headers } = await received(mail);
  const key = createHash('sha256').update(mail.raw).digest('base64url').slice(0, 40);
  const fields: FormField[] = [
    ...parsedFields(parsed, sender, mail.recipient, headers),
    { name: 'domain', value: domain },
    { name: 'message-url', value: `https://si.api.mailgun.net/v3/domains/${domain}/messages/${key}` },
  ];
  if (parsed.attachments.length > 0) {
    const described = parsed.attachments.map((a, i) => ({
      url: `https://si.api.mailgun.net/v3/domains/${domain}/messages/${key}/attachments/${i}`,
      'content-type': a.contentType,
      name: a.filename ?? `attachment-${i + 1}`,
      size: a.size,
    }));
    fields.push({ name: 'attachments', value: JSON.stringify(described) });
  }
  return fields;
}

/**
 * forward("https://hub/inbound/email/mailgun/mime"): a URL ending in "mime" gets the message
 * as-is in `body-mime` ("MIME Messages Parameters": recipient, sender, from, subject, body-mime,
 * timestamp, token, signature). The bytes are the received bytes, 8-bit included.
 */
export async function forwardMimeFields(mail: ReceivedMail): Promise<FormField[]> {
  const { parsed, sender, headers } = await received(mail);
  return [
    { name: 'recipient', value: mail.recipient },
    { name: 'sender', value: sender },
    { name: 'from', value: headers.find(([name]) => name === 'From')?.[1] ?? '' },
    { name: 'subject', value: parsed.subject ?? '' },
    { name: 'body-mime', value: mail.raw },
  ];
}

/** The docs' example fields as they are (the signature block is replaced when posted). */
export function officialFields(example: Record<string, string>): FormField[] {
  return Object.entries(example).map(([name, value]) => ({ name, value }));
}
