/**
 * A small MIME walker that keeps bytes as bytes: SendGrid's parsed fields carry each body part in
 * its own charset (the `charsets` field names it), so the fake must not decode text the way a mail
 * parser would. Transfer encodings (base64, quoted-printable) are undone; charsets are not.
 */
export interface MimePart {
  /** Unfolded header lines as latin1 strings (the bytes, one char each). */
  headers: Array<[string, string]>;
  type: string;
  charset: string | null;
  /** Content-Disposition's filename (else Content-Type's name). */
  filename: string | null;
  /** Content-Type's name parameter. */
  name: string | null;
  contentId: string | null;
  disposition: string | null;
  /** Transfer decoding undone; the charset's bytes. */
  body: Buffer;
  children: MimePart[];
}

function splitHead(raw: Buffer): { head: string; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { head: raw.subarray(0, crlf).toString('latin1'), body: raw.subarray(crlf + 4) };
  if (lf !== -1) return { head: raw.subarray(0, lf).toString('latin1'), body: raw.subarray(lf + 2) };
  return { head: raw.toString('latin1'), body: Buffer.alloc(0) };
}

/** The header section of a message exactly as received (what SendGrid posts as `headers`). */
export function headerBlock(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return raw.subarray(0, crlf + 2);
  return lf !== -1 ? raw.subarray(0, lf + 1) : raw;
}

function params(value: string): { value: string; params: Map<string, string> } {
  const [first, ...rest] = value.split(';');
  const map = new Map<string, string>();
  for (const item of rest) {
    const eq = item.indexOf('=');
    if (eq === -1) continue;
    map.set(item.slice(0, eq).trim().toLowerCase(), item.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return { value: (first ?? '').trim().toLowerCase(), params: map };
}

function decodeQuotedPrintable(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/=\r?\n/g, '');
  return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
}

export function walkMime(raw: Buffer): MimePart {
  const { head, body } = splitHead(raw);
  const headers: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1]![1] += ` ${line.trim()}`;
    else if (line.includes(':')) headers.push([line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]);
  }
  const header = (name: string) => headers.find(([key]) => key.toLowerCase() === name)?.[1];
  const type = params(header('content-type') ?? 'text/plain');
  const disposition = header('content-disposition') ? params(header('content-disposition')!) : null;
  const part: MimePart = {
    headers,
    type: type.value,
    charset: type.params.get('charset') ?? null,
    filename: disposition?.params.get('filename') ?? type.params.get('name') ?? null,
    name: type.params.get('name') ?? null,
    contentId: header('content-id') ?? null,
    disposition: disposition?.value ?? null,
    body,
    children: [],
  };
  const boundary = type.params.get('boundary');
  if (type.value.startsWith('multipart/') && boundary) {
    const lines = body.toString('latin1').split(/\r?\n/);
    let current: string[] | null = null;
    for (const line of lines) {
      if (line === `--${boundary}` || line === `--${boundary}--`) {
        if (current) part.children.push(walkMime(Buffer.from(current.join('\r\n'), 'latin1')));
        if (line.endsWith(`${boundary}--`)) break;
        current = [];
      } else if (current) current.push(line);
    }
    return part;
  }
  const encoding = (header('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') part.body = Buffer.from(body.toString('latin1').replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') part.body = decodeQuotedPrintable(body);
  return part;
}

/** Leaves in document order. */
export function leaves(part: MimePart): MimePart[] {
  return part.children.length === 0 ? [part] : part.children.flatMap(leaves);
}
