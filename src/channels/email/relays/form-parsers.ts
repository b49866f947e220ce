/**
 * Push parsers for the two form encodings relays post (RFC 7578 multipart/form-data, WHATWG
 * application/x-www-form-urlencoded). They turn chunks into part events and never hold more than
 * a delimiter's length (or one part's header section) themselves, so the caller decides where a
 * part's bytes go. Bytes stay bytes: nothing is decoded as text here.
 */
import { badRequest } from '../../../errors.js';

export interface PartHead {
  name: string;
  filename: string | null;
  /** The part's Content-Type value as sent (type and parameters), when it has one. */
  contentType: string | null;
}

export type FormEvent = { kind: 'start'; head: PartHead } | { kind: 'data'; bytes: Buffer } | { kind: 'end' };

export interface FormParser {
  push(chunk: Buffer): FormEvent[];
  /** At the end of the body; throws when it ended inside a part. */
  finish(): FormEvent[];
}

const MAX_PART_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** `name="x"; filename*=utf-8''…` parameters of Content-Disposition (RFC 7578 §4.2, RFC 5987). */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([^\s=;]+)\s*=\s*(?:"([^"]*)"|([^;]*))/g;
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    const key = match[1]!.toLowerCase();
    // Kept as sent: senders percent-encode '"' (WHATWG) rather than escape it, so a backslash is just a backslash.
    const raw = match[2] !== undefined ? match[2] : (match[3] ?? '').trim();
    if (!params.has(key)) params.set(key, raw);
  }
  return params;
}

// Header bytes arrive as latin1 chars; names and filenames are UTF-8 on the wire (WHATWG).
const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');

function partHead(section: string): PartHead | null {
  const fields = new Map<string, string>();
  for (const line of section.split('\r\n').reduce<string[]>((lines, line) => {
    if (/^[ \t]/.test(line) && lines.length > 0) lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line);
    return lines;
  }, [])) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = fields.get('content-disposition');
  if (!disposition || !/^form-data\b/i.test(disposition)) return null;
  const params = dispositionParams(disposition);
  const extended = params.get('filename*');
  const filename = extended ? decodeExtended(extended) : params.has('filename') ? utf8(params.get('filename')!) : null;
  return { name: utf8(params.get('name') ?? ''), filename, contentType: fields.get('content-type') ?? null };
}

function decodeExtended(value: string): string {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!match) return value;
  try {
    return decodeURIComponent(match[2]!);
  } catch {
    return match[2]!;
  }
}

export function multipartParser(boundary: string): FormParser {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter may open the body without a preceding CRLF: pretend there was one.
  let pending: Buffer = Buffer.from(CRLF);
  let state: 'preamble' | 'boundary' | 'headers' | 'body' | 'skip' | 'done' = 'preamble';

  return {
    push(chunk) {
      let buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      const events: FormEvent[] = [];
      for (;;) {
        if (state === 'done') {
          buf = Buffer.alloc(0); // the epilogue is ignored (RFC 2046 §5.1.1)
          break;
        }
        if (state === 'preamble') {
          const at = buf.indexOf(delimiter);
          if (at === -1) {
            buf = buf.subarray(Math.max(0, buf.length - delimiter.length + 1));
            break;
          }
          buf = buf.subarray(at + delimiter.length);
          state = 'boundary';
          continue;
        }
        if (state === 'boundary') {
          if (buf.length < 2) break;
          if (buf[0] === 0x2d && buf[1] === 0x2d) {
            state = 'done';
            continue;
          }
          const eol = buf.indexOf(CRLF);
          if (eol === -1) {
            if (buf.length > 256) throw badRequest('the multipart body is malformed', 'invalid_request');
            break;
          }
          if (!/^[ \t]*$/.test(buf.subarray(0, eol).toString('latin1'))) throw badRequest('the multipart body is malformed', 'invalid_request');
          buf = buf.subarray(eol + 2);
          state = 'headers';
          continue;
        }
        if (state === 'headers') {
          let section: string;
          if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
            section = '';
            buf = buf.subarray(2);
          } else {
            const end = buf.indexOf(HEADER_END);
            if (end === -1) {
              if (buf.length > MAX_PART_HEADER_BYTES) throw badRequest('a form part has too many header bytes', 'invalid_request');
              break;
            }
            section = buf.subarray(0, end).toString('latin1');
            buf = buf.subarray(end + 4);
          }
          const head = partHead(section);
          if (head) events.push({ kind: 'start', head });
          state = head ? 'body' : 'skip';
          continue;
        }
        // body or skip: everything up to the next delimiter belongs to this part.
        const at = buf.indexOf(delimiter);
        if (at === -1) {
          const safe = buf.length - delimiter.length + 1;
          if (safe > 0) {
            if (state === 'body') events.push({ kind: 'data', bytes: buf.subarray(0, safe) });
            buf = buf.subarray(safe);
          }
          break;
        }
        if (state === 'body') {
          if (at > 0) events.push({ kind: 'data', bytes: buf.subarray(0, at) });
          events.push({ kind: 'end' });
        }
        buf = buf.subarray(at + delimiter.length);
        state = 'boundary';
      }
      pending = Buffer.from(buf);
      return events;
    },
    finish() {
      if (state !== 'done') throw badRequest('the multipart body ended before its closing boundary', 'invalid_request');
      return [];
    },
  };
}

const hex = (byte: number): number => (byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : byte >= 0x41 && byte <= 0x46 ? byte - 0x37 : byte >= 0x61 && byte <= 0x66 ? byte - 0x57 : -1);

/** name=value&… with percent-decoding to bytes ('+' is a space); a '%' not followed by two hex digits stays as is. */
export function urlencodedParser(maxNameBytes = 1024): FormParser {
  let phase: 'name' | 'value' = 'name';
  let name: number[] = [];
  // 1 after '%', 2 after '%' and one hex digit (kept in pctDigit): an escape may straddle two chunks.
  let pct = 0;
  let pctDigit = 0;
  let out = Buffer.alloc(0);
  let outLength = 0;
  let events: FormEvent[] = [];

  const emit = (byte: number) => {
    if (phase === 'value') out[outLength++] = byte;
    else if (name.length >= maxNameBytes) throw badRequest('a form field name is too long', 'invalid_request');
    else name.push(byte);
  };
  const flushEscape = () => {
    if (pct >= 1) emit(0x25);
    if (pct === 2) emit(pctDigit);
    pct = 0;
  };
  const flushData = () => {
    if (outLength > 0) events.push({ kind: 'data', bytes: Buffer.from(out.subarray(0, outLength)) });
    outLength = 0;
  };
  const start = () => events.push({ kind: 'start', head: { name: Buffer.from(name).toString('utf8'), filename: null, contentType: null } });
  const endField = () => {
    flushEscape();
    if (phase === 'name') {
      if (name.length === 0) return;
      start();
    } else flushData();
    events.push({ kind: 'end' });
    phase = 'name';
    name = [];
  };
  const take = (byte: number) => {
    if (pct === 1) {
      if (hex(byte) >= 0) {
        pct = 2;
        pctDigit = byte;
        return;
      }
      flushEscape();
    } else if (pct === 2) {
      if (hex(byte) >= 0) {
        pct = 0;
        emit(hex(pctDigit) * 16 + hex(byte));
        return;
      }
      flushEscape();
    }
    if (byte === 0x25) pct = 1;
    else if (byte === 0x2b) emit(0x20);
    else if (byte === 0x26) endField();
    else if (byte === 0x3d && phase === 'name') {
      flushEscape();
      start();
      phase = 'value';
    } else emit(byte);
  };

  return {
    push(chunk) {
      events = [];
      out = Buffer.allocUnsafe(chunk.length + 2);
      outLength = 0;
      for (const byte of chunk) take(byte);
      flushData();
      return events;
    },
    finish() {
      events = [];
      out = Buffer.allocUnsafe(4);
      outLength = 0;
      if (phase === 'value' || name.length > 0 || pct > 0) endField();
      return events;
    },
  };
}
