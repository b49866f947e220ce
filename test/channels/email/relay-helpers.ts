/**
 * What the relay suites share: a hub with every relay switched on, lookups of what it stored,
 * and test mails (windows-1252 8-bit, ISO-2022-JP) built byte by byte.
 */
import type { AddressInfo } from 'node:net';
import { parseMail, type ParsedMail } from '../../../src/channels/email/parse.js';
import { startTestHub, type TestHub } from '../../support/hub.js';

export const MAILBOX = 'support@acme.example';
export const RELAY_SECRET = 'relay-secret-0123456789abcdef';
export const BASIC = 'postmark:relay-password-0123';
export const MAILGUN_KEY = 'key-mailgun-signing-0123456789';

export interface RelayHub {
  t: TestHub;
  /** http://127.0.0.1:port */
  base: string;
  /** The base with MAIL_RELAY_BASIC_AUTH in it, as configured in Postmark or SendGrid. */
  baseWithAuth: string;
}

export async function startRelayHub(env: Record<string, string> = {}): Promise<RelayHub> {
  const t = await startTestHub('pglite', {
    env: {
      MAIL_INBOUND_ADDRESS: MAILBOX,
      MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
      MAIL_RELAY_SECRET: RELAY_SECRET,
      MAIL_RELAY_BASIC_AUTH: BASIC,
      MAILGUN_SIGNING_KEY: MAILGUN_KEY,
      SMTP_PORT: '0',
      SMTP_HOST: '127.0.0.1',
      ...env,
    },
  });
  await t.hub.listen(0, '127.0.0.1');
  const { port } = t.hub.server()!.address() as AddressInfo;
  const [user, password] = BASIC.split(':') as [string, string];
  return { t, base: `http://127.0.0.1:${port}`, baseWithAuth: `http://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}` };
}

export interface StoredMail {
  text: string;
  subject: string | null;
  contactEmail: string | null;
  contactName: string | null;
  conversationId: string;
  metadata: Record<string, unknown>;
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
  /** The MIME the hub kept, parsed again (Reply-To, headers). */
  kept: ParsedMail | null;
}

export async function storedMails(t: TestHub, messageId: string): Promise<StoredMail[]> {
  const db = t.hub.store.db;
  const rows = await db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select(['messages.id', 'messages.text', 'messages.metadata', 'messages.attachments', 'messages.conversation_id', 'conversations.subject', 'contacts.email', 'contacts.name'])
    .where('messages.source_message_id', '=', messageId)
    .execute();
  return Promise.all(
    rows.map(async (row) => {
      const refs = row.attachments as Array<{ id: string }>;
      const files = refs.length ? await db.selectFrom('attachments').select(['id', 'filename', 'content_type', 'content']).where('id', 'in', refs.map((r) => r.id)).execute() : [];
      const kept = await db.selectFrom('mail_message_ids').select('raw').where('message_id', '=', messageId).where('direction', '=', 'inbound').executeTakeFirst();
      return {
        text: row.text,
        subject: row.subject,
        contactEmail: row.email,
        contactName: row.name,
        conversationId: row.conversation_id,
        metadata: row.metadata as Record<string, unknown>,
        attachments: refs.map((ref) => files.find((f) => f.id === ref.id)!).map((f) => ({ filename: f.filename, contentType: f.content_type, content: Buffer.from(f.content) })),
        kept: kept?.raw ? await parseMail(Buffer.from(kept.raw)) : null,
      };
    }),
  );
}

export async function storedMail(t: TestHub, messageId: string): Promise<StoredMail> {
  const [mail, ...more] = await storedMails(t, messageId);
  if (!mail || more.length > 0) throw new Error(`expected exactly one stored message ${messageId}, found ${more.length + (mail ? 1 : 0)}`);
  return mail;
}

export async function messageCount(t: TestHub): Promise<number> {
  const row = await t.hub.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

const crlf = (lines: string[]) => lines.join('\r\n');

/** A plain mail in UTF-8 (7-bit headers), for the simple cases. */
export function plainMail(messageId: string, options: { from?: string; subject?: string; text?: string; extra?: string[] } = {}): Buffer {
  return Buffer.from(
    crlf([
      `From: ${options.from ?? 'Rita Relay <rita@example.com>'}`,
      `To: ${MAILBOX}`,
      `Subject: ${options.subject ?? 'Relayed'}`,
      `Message-ID: ${messageId}`,
      'Date: Mon, 05 Jan 2026 09:00:00 +0000',
      ...(options.extra ?? []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      options.text ?? 'Hello through the relay.',
      '',
    ]),
  );
}

// windows-1252 0x80–0x9F where it differs from ISO-8859-1 (WHATWG Encoding).
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
export function encodeCp1252(text: string): Buffer {
  return Buffer.from(
    [...text].map((ch) => {
      const high = CP1252_HIGH.indexOf(ch);
      if (high !== -1) return 0x80 + high;
      const code = ch.charCodeAt(0);
      if (code > 0xff) throw new Error(`${ch} is not in windows-1252`);
      return code;
    }),
  );
}

export const CP1252_TEXT = 'Grüße aus Köln – das Café kostet 5 € (naïve Frage).';
export const CP1252_SUBJECT = 'Café – Grüße';
export const CP1252_NAME = 'Jürgen Müller';

/** A one-part text mail whose body bytes are given as they go on the wire. */
function textMail(head: { from: string; subject: string; messageId: string; date: string; charset: string; encoding: string }, body: Buffer): Buffer {
  const lines = [`From: ${head.from}`, `To: ${MAILBOX}`, `Subject: ${head.subject}`, `Message-ID: ${head.messageId}`, `Date: ${head.date}`, 'MIME-Version: 1.0'];
  lines.push(`Content-Type: text/plain; charset=${head.charset}`, `Content-Transfer-Encoding: ${head.encoding}`, '', '');
  return Buffer.concat([Buffer.from(crlf(lines), 'latin1'), body, Buffer.from('\r\n')]);
}

/** A windows-1252 mail sent 8-bit: its body bytes are not UTF-8, so any decode-and-re-encode mangles them. */
export function cp1252Mail(messageId: string): Buffer {
  const q = (text: string) => `=?windows-1252?Q?${[...encodeCp1252(text)].map((b) => (b === 0x20 ? '_' : b < 0x80 && /[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}?=`;
  return textMail(
    { from: `${q(CP1252_NAME)} <juergen@example.de>`, subject: q(CP1252_SUBJECT), messageId, date: 'Tue, 06 Jan 2026 10:00:00 +0100', charset: 'windows-1252', encoding: '8bit' },
    encodeCp1252(CP1252_TEXT),
  );
}

/** ISO-2022-JP for hiragana and 、。 (JIS X 0208 row 4 follows Unicode's hiragana order). */
export function encodeIso2022jp(text: string): Buffer {
  const bytes: number[] = [0x1b, 0x24, 0x42];
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    const jis = code >= 0x3041 && code <= 0x3093 ? 0x2421 + (code - 0x3041) : code === 0x3001 ? 0x2122 : code === 0x3002 ? 0x2123 : null;
    if (jis === null) throw new Error(`${ch} is not in this small table`);
    bytes.push(jis >> 8, jis & 0xff);
  }
  bytes.push(0x1b, 0x28, 0x42);
  return Buffer.from(bytes);
}

export const JP_TEXT = 'こんにちは。ありがとうございます。';
export const JP_SUBJECT = 'おといあわせ';
export const JP_NAME = 'やまだ たろう';

export function iso2022jpMail(messageId: string): Buffer {
  const b = (text: string) =>
    `=?ISO-2022-JP?B?${Buffer.concat(text.split(' ').flatMap((word, i) => (i === 0 ? [encodeIso2022jp(word)] : [Buffer.from(' '), encodeIso2022jp(word)]))).toString('base64')}?=`;
  return textMail(
    { from: `${b(JP_NAME)} <taro@example.jp>`, subject: b(JP_SUBJECT), messageId, date: 'Wed, 07 Jan 2026 11:00:00 +0900', charset: 'ISO-2022-JP', encoding: '7bit' },
    encodeIso2022jp(JP_TEXT),
  );
}
