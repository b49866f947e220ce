import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { multipartParser, urlencodedParser, type FormEvent, type FormParser } from '../../../src/channels/email/relays/form-parsers.js';
import { encodeUrlencoded, multipartBuffer, type FormField } from '../../fakes/mailgun/form-data.js';

/** Feeds `body` in the given chunk sizes and collects the fields, bytes as posted. */
function read(parser: FormParser, body: Buffer, sizes: number[]): Array<{ name: string; filename: string | null; value: Buffer }> {
  const events: FormEvent[] = [];
  let at = 0;
  for (let i = 0; at < body.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? body.length);
    events.push(...parser.push(body.subarray(at, at + size)));
    at += size;
  }
  events.push(...parser.finish());
  const fields: Array<{ name: string; filename: string | null; value: Buffer }> = [];
  let current: { name: string; filename: string | null; chunks: Buffer[] } | null = null;
  for (const event of events) {
    if (event.kind === 'start') current = { name: event.head.name, filename: event.head.filename, chunks: [] };
    else if (event.kind === 'data') current!.chunks.push(Buffer.from(event.bytes));
    else {
      fields.push({ name: current!.name, filename: current!.filename, value: Buffer.concat(current!.chunks) });
      current = null;
    }
  }
  return fields;
}

const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const name = fc.string({ minLength: 1, maxLength: 12 }).filter((n) => !/[\r\n"%]/.test(n));
const chunking = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 });

describe('relay form bodies are read the same however the network splits them', () => {
  it('multipart/form-data: every field and file, byte for byte (8-bit, CRLF and boundary-like bytes included)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ name, value: bytes, file: fc.boolean() }), { minLength: 1, maxLength: 5 }), chunking, async (parts, sizes) => {
        const fields: FormField[] = parts.map((p) => ({ name: p.name, value: Buffer.concat([p.value, Buffer.from('\r\n--xYzZ')]), ...(p.file ? { filename: `${p.name}.bin`, contentType: 'application/octet-stream' } : {}) }));
        const body = await multipartBuffer(fields, 'xYzZY');
        const read1 = read(multipartParser('xYzZY'), body, sizes);
        expect(read1.map((f) => [f.name, f.filename, f.value.toString('hex')])).toEqual(fields.map((f) => [f.name, f.filename ?? null, (f.value as Buffer).toString('hex')]));
      }),
      { numRuns: 300 },
    );
  });

  it('application/x-www-form-urlencoded: percent escapes split across chunks decode to the posted bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name, value: bytes }), { minLength: 1, maxLength: 5 }), chunking, (parts, sizes) => {
        const fields: FormField[] = parts.map((p) => ({ name: p.name, value: p.value }));
        const read1 = read(urlencodedParser(), encodeUrlencoded(fields), sizes);
        expect(read1.map((f) => [f.name, f.value.toString('hex')])).toEqual(parts.map((p) => [p.name, p.value.toString('hex')]));
      }),
      { numRuns: 300 },
    );
  });

  it('a lone % stays literal, + is a space, and a multipart body cut before its closing boundary is refused', () => {
    expect(read(urlencodedParser(), Buffer.from('a=50%25+off%&b=%zz&c'), [3]).map((f) => [f.name, f.value.toString('latin1')])).toEqual([
      ['a', '50% off%'],
      ['b', '%zz'],
      ['c', ''],
    ]);
    const parser = multipartParser('b');
    parser.push(Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nunfinished'));
    expect(() => parser.finish()).toThrow(/closing boundary/);
  });
});
