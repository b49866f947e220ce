/**
 * Rebuilds a message from a relay's parsed fields (Mailgun's parsed route, SendGrid's default
 * payload, Postmark JSON without the raw email) so it runs the same pipeline as raw MIME. Text
 * parts keep their bytes and are labelled with their charset (base64, so 8-bit bytes survive),
 * and the parser decodes them as it decodes any mail. The output is deterministic: the same post
 * gives the same bytes, so a retried post without a Message-ID gets the same synthetic id.
 */
import { createHash } from 'node:crypto';

export interface RebuiltHeader {
  name: string;
  /** The unfolded value's bytes (raw; UTF-8 where a relay decoded it, RFC 6532). */
  value: Buffer;
}

export interface RebuiltBody {
  bytes: Buffer;
  charset: string;
}

export interface RebuiltAttachment {
  filename: string;
  contentType: string;
  contentId: string | null;
  content: Buffer;
}

export interface RebuiltMail {
  headers: RebuiltHeader[];
  text: RebuiltBody | null;
  html: RebuiltBody | null;
  attachments: RebuiltAttachment[];
}

/** Headers that describe the original body structure or sign the original bytes: both gone in a rebuild. */
const STRUCTURAL = /^(content-type|content-transfer-encoding|content-disposition|content-length|mime-version|dkim-signature)$/i;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/; // RFC 5322 §2.2
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9!#$%&'*+.^_`{|}~-]{0,63}$/;
const MIME_TYPE = /^[A-Za-z0-9][\w!#$&^.+-]{0,63}\/[A-Za-z0-9][\w!#$&^.+-]{0,126}$/;

/** A charset label fit for a Content-Type parameter, else UTF-8. */
export function charsetLabel(label: string | null | undefined): string {
  return label && TOKEN.test(label.trim()) ? label.trim() : 'utf-8';
}

export function mimeType(value: string | null | undefined): string {
  const type = (value ?? '').split(';')[0]!.trim().toLowerCase();
  return MIME_TYPE.test(type) ? type : 'application/octet-stream';
}

/** RFC 2047 B-words in UTF-8 for text that is not printable ASCII (display names, subjects). */
export function encodedWords(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join(' ');
}

/** `Name <address>` with the name quoted or encoded as needed. */
export function mailbox(address: string, name?: string | null): string {
  const clean = (name ?? '').replace(/[\r\n]+/g, ' ').trim();
  if (!clean) return address;
  const phrase = /^[\x20-\x7e]*$/.test(clean) ? `"${clean.replace(/(["\\])/g, '\\$1')}"` : encodedWords(clean);
  return `${phrase} <${address}>`;
}

export function header(name: string, value: string | Buffer): RebuiltHeader {
  return { name, value: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8') };
}

/** Splits a raw header section (CRLF or LF) into unfolded headers, bytes kept. */
export function headerSection(block: Buffer): RebuiltHeader[] {
  const headers: RebuiltHeader[] = [];
  const lines = block.toString('latin1').split(/\r?\n/);
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last.value = Buffer.concat([last.value, Buffer.from(` ${line.trim()}`, 'latin1')]);
    } else {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push({ name: line.slice(0, colon).trim(), value: Buffer.from(line.slice(colon + 1).trim(), 'latin1') });
    }
  }
  return headers;
}

const base64Lines = (bytes: Buffer): string => (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

function quotedParam(name: string, value: string): string {
  const clean = value.replace(/[\r\n"\\]+/g, '_');
  // RFC 2231 for names that are not ASCII.
  return /^[\x20-\x7e]*$/.test(clean) ? `${name}="${clean}"` : `${name}*=utf-8''${encodeURIComponent(clean)}`;
}

function leaf(contentType: string, extra: string[], bytes: Buffer): Buffer {
  return Buffer.from([`Content-Type: ${contentType}`, ...extra, 'Content-Transfer-Encoding: base64', '', base64Lines(bytes), ''].join('\r\n'));
}

function multipart(subtype: string, boundary: string, parts: Buffer[]): Buffer {
  const pieces: Buffer[] = [Buffer.from(`Content-Type: multipart/${subtype}; boundary="${boundary}"\r\n\r\n`)];
  for (const part of parts) pieces.push(Buffer.from(`--${boundary}\r\n`), part);
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}

export function buildMime(mail: RebuiltMail): Buffer {
  const digest = createHash('sha256');
  for (const h of mail.headers) digest.update(h.name).update(h.value);
  for (const body of [mail.text, mail.html]) if (body) digest.update(body.charset).update(body.bytes);
  for (const a of mail.attachments) digest.update(a.filename).update(a.contentType).update(a.content);
  // Base64 has no '-', and the digest covers every name and value: the boundary cannot occur inside.
  const boundary = `hub-${digest.digest('hex').slice(0, 24)}`;

  const texts: Buffer[] = [];
  if (mail.text) texts.push(leaf(`text/plain; charset="${charsetLabel(mail.text.charset)}"`, [], mail.text.bytes));
  if (mail.html) texts.push(leaf(`text/html; charset="${charsetLabel(mail.html.charset)}"`, [], mail.html.bytes));
  if (texts.length === 0) texts.push(leaf('text/plain; charset="utf-8"', [], Buffer.alloc(0)));
  const body = texts.length === 1 ? texts[0]! : multipart('alternative', `${boundary}-alt`, texts);
  const files = mail.attachments.map((a) =>
    leaf(`${mimeType(a.contentType)}; ${quotedParam('name', a.filename)}`, [
      `Content-Disposition: ${a.contentId ? 'inline' : 'attachment'}; ${quotedParam('filename', a.filename)}`,
      ...(a.contentId ? [`Content-ID: <${a.contentId.replace(/[<>\r\n\s]/g, '')}>`] : []),
    ], a.content),
  );
  const structure = files.length === 0 ? body : multipart('mixed', `${boundary}-mix`, [body, ...files]);

  const head: Buffer[] = [];
  for (const h of mail.headers) {
    if (!FIELD_NAME.test(h.name) || STRUCTURAL.test(h.name)) continue;
    // A value is one line: CR and LF from a relay's JSON would start a header of their own.
    const value = Buffer.from(h.value.map((byte) => (byte === 0x0d || byte === 0x0a ? 0x20 : byte)));
    head.push(Buffer.from(`${h.name}: `, 'latin1'), value, Buffer.from('\r\n'));
  }
  head.push(Buffer.from('MIME-Version: 1.0\r\n'));
  return Buffer.concat([...head, structure]);
}
