/**
 * Charsets senders get wrong: UTF-8 labelled as Latin-1 (`repairMislabelledUtf8`), and raw 8-bit
 * headers in a legacy charset (`transcodeLegacyHeaders`).
 */
import iconv from 'iconv-lite';

// windows-1252 0x80–0x9F, the only bytes where it differs from ISO-8859-1 (WHATWG Encoding).
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const CP1252_BYTE = new Map<string, number>([...CP1252_HIGH].map((ch, i) => [ch, 0x80 + i]));

// A UTF-8 lead byte (C2–F4) read as Latin-1 followed by a continuation byte read the same way.
const MOJIBAKE = /[\u00C2-\u00F4][\u0080-\u00BF€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Repairs UTF-8 text that a sender labelled ISO-8859-1 / windows-1252: decoded as labelled it
 * reads "cafÃ©" or "donâ€™t". Such text is re-encoded to the bytes it came from and decoded as
 * UTF-8; if those bytes are not valid UTF-8 the label was right and the text is kept.
 */
export function repairMislabelledUtf8(text: string): string {
  if (!MOJIBAKE.test(text)) return text;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const byte = code <= 0xff ? code : CP1252_BYTE.get(text[i]!);
    if (byte === undefined) return text; // a character no single-byte label produces
    bytes[i] = byte;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return text;
  }
}

/**
 * Older clients and web forms put raw 8-bit header text in the message's legacy charset (GB2312,
 * Shift_JIS, EUC-KR, Big5, ISO-8859-x, windows-125x) instead of RFC 2047 encoded-words; mailparser
 * reads raw header bytes as UTF-8 (RFC 6532) and turns those into U+FFFD. Before parsing, each
 * top-level header field whose bytes are not valid UTF-8 is decoded by the charset the message
 * declares for its text (the top-level Content-Type, else the first text part's) and rewritten as
 * UTF-8; the body's bytes are left alone. Fields that are ASCII or valid UTF-8 are not touched.
 * With no declared charset, one iconv-lite does not know, or a declared UTF-8/US-ASCII that the
 * bytes contradict, the field is read as windows-1252: the WHATWG default for unlabelled legacy
 * text, and every byte maps to a character, so nothing is lost as U+FFFD.
 */
export function transcodeLegacyHeaders(raw: Buffer): Buffer {
  const headerEnd = endOfHeader(raw);
  const header = raw.subarray(0, headerEnd);
  if (!header.some((byte) => byte >= 0x80)) return raw;

  const fields = splitFields(header);
  if (fields.every((field) => isUtf8(field))) return raw;
  const charset = declaredCharset(raw, header);
  const transcoded = fields.map((field) => (isUtf8(field) ? field : Buffer.from(iconv.decode(field, charset), 'utf8')));
  return Buffer.concat([...transcoded, raw.subarray(headerEnd)]);
}

const FALLBACK_CHARSET = 'windows-1252';

function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Where the header section ends: at its blank line (CRLF CRLF, or LF LF from Unix tools), else the end. */
function endOfHeader(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf === -1 ? -1 : crlf + 2, lf === -1 ? -1 : lf + 1].filter((end) => end >= 0);
  return ends.length === 0 ? raw.length : Math.min(...ends);
}

/** Header fields with their continuation lines and line endings (RFC 5322 §2.2.3 folding). */
function splitFields(header: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let start = 0;
  for (let i = header.indexOf(0x0a); i !== -1; i = header.indexOf(0x0a, i + 1)) {
    const next = header[i + 1];
    if (next === 0x20 || next === 0x09) continue; // the field goes on on the next line
    fields.push(header.subarray(start, i + 1));
    start = i + 1;
  }
  if (start < header.length) fields.push(header.subarray(start));
  return fields;
}

/**
 * The charset the sender's client wrote the message in: the top-level Content-Type's, else (a
 * multipart message) the first text part's. A name iconv-lite does not know, or UTF-8/US-ASCII
 * (which these bytes are not), gives the fallback.
 */
function declaredCharset(raw: Buffer, header: Buffer): string {
  const topLevel = contentTypeCharset(header.toString('latin1'), false);
  const charset = topLevel ?? contentTypeCharset(raw.subarray(header.length).toString('latin1'), true);
  if (!charset || /^(?:utf-?8|us-ascii|ascii)$/i.test(charset) || !iconv.encodingExists(charset)) return FALLBACK_CHARSET;
  return charset;
}

function contentTypeCharset(text: string, textPartsOnly: boolean): string | null {
  for (const match of text.matchAll(/^content-type:((?:[^\r\n]*)(?:\r?\n[ \t][^\r\n]*)*)/gim)) {
    const value = match[1]!;
    if (textPartsOnly && !/^\s*text\//i.test(value)) continue;
    const charset = /;\s*charset\s*=\s*"?([^\s";]+)/i.exec(value)?.[1];
    if (charset) return charset;
    if (!textPartsOnly) return null;
  }
  return null;
}
