/**
 * The wire side shared by the relay fakes (Mailgun, SendGrid): form bodies built from raw bytes
 * (a field's bytes are never decoded or re-encoded) and one HTTP POST over loopback.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** A value streamed in chunks (a body too large to hold, for the memory tests). */
export interface StreamedValue {
  stream(): AsyncIterable<Buffer>;
}

/** One form field as a relay posts it; `filename` makes it a file part (an attachment). */
export interface FormField {
  name: string;
  value: Buffer | string | StreamedValue;
  filename?: string;
  contentType?: string;
}

export interface HttpAnswer {
  /** 0 when no answer came (connection refused or reset before a status line). */
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
  error?: string;
}

const bytesOf = (value: Buffer | string): Buffer => (Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'));
const isStreamed = (value: FormField['value']): value is StreamedValue => !Buffer.isBuffer(value) && typeof value !== 'string';

export function hasFiles(fields: readonly FormField[]): boolean {
  return fields.some((field) => field.filename !== undefined);
}

export function fieldNames(fields: readonly FormField[]): string[] {
  return fields.map((field) => field.name);
}

/** WHATWG application/x-www-form-urlencoded byte serializer: unreserved bytes as is, space as '+'. */
export function encodeUrlencoded(fields: readonly FormField[]): Buffer {
  const encode = (bytes: Buffer): string => {
    let out = '';
    for (const byte of bytes) {
      if (byte === 0x20) out += '+';
      else if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2a || byte === 0x2d || byte === 0x2e || byte === 0x5f) {
        out += String.fromCharCode(byte);
      } else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  };
  return Buffer.from(
    fields
      .map((field) => {
        if (isStreamed(field.value)) throw new Error('a streamed value needs multipart/form-data');
        return `${encode(bytesOf(field.name))}=${encode(bytesOf(field.value))}`;
      })
      .join('&'),
    'latin1',
  );
}

// WHATWG multipart/form-data: '"', CR and LF in names and filenames are percent-encoded.
const quoted = (value: string): string => value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

function partHead(field: FormField, boundary: string): Buffer {
  const disposition = `Content-Disposition: form-data; name="${quoted(field.name)}"${field.filename !== undefined ? `; filename="${quoted(field.filename)}"` : ''}`;
  const type = field.contentType ? `\r\nContent-Type: ${field.contentType}` : '';
  return Buffer.from(`--${boundary}\r\n${disposition}${type}\r\n\r\n`, 'utf8');
}

/** multipart/form-data as chunks; every field's bytes go on the wire exactly as given. */
export async function* multipartChunks(fields: readonly FormField[], boundary: string): AsyncIterable<Buffer> {
  for (const field of fields) {
    yield partHead(field, boundary);
    if (isStreamed(field.value)) yield* field.value.stream();
    else yield bytesOf(field.value);
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

/** The whole multipart body in memory (needed when the body itself is signed). */
export async function multipartBuffer(fields: readonly FormField[], boundary: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of multipartChunks(fields, boundary)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function isStreamedBody(fields: readonly FormField[]): boolean {
  return fields.some((field) => isStreamed(field.value));
}

/**
 * One POST. Credentials in the URL (`https://user:password@host/…`) go out as basic auth, as an
 * HTTP client does with such a URL. A streamed body stops being sent once an answer arrives (a
 * server may answer 406 or 413 before reading everything).
 */
export function httpPost(url: string, headers: Record<string, string>, body: Buffer | AsyncIterable<Buffer>): Promise<HttpAnswer> {
  // ASSUMED: the vendors' HTTP clients keep connections alive (Mailgun's User-Agent is Twisted treq, which does).
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise<HttpAnswer>((resolve) => {
    let answered = false;
    const outgoing = request(
      new URL(url),
      { method: 'POST', agent, headers: Buffer.isBuffer(body) ? { ...headers, 'Content-Length': String(body.length) } : headers },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
          outgoing.destroy();
        });
        res.on('error', (error) => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, error: error.message }));
      },
    );
    // A server that answers early (413, 406) and closes makes our next write fail; its answer may
    // still be in flight on the socket, so give it a moment before reporting no answer.
    outgoing.on('error', (error) => {
      if (!answered) setTimeout(() => !answered && resolve({ status: 0, body: '', headers: {}, error: error.message }), 1000).unref();
    });
    if (Buffer.isBuffer(body)) outgoing.end(body);
    else void pump(outgoing, body, () => answered);
  }).finally(() => agent.destroy());
}

function drainedOrClosed(outgoing: ReturnType<typeof request>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off('drain', done).off('close', done);
      resolve();
    };
    outgoing.on('drain', done).on('close', done);
  });
}

async function pump(outgoing: ReturnType<typeof request>, chunks: AsyncIterable<Buffer>, answered: () => boolean): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (answered() || outgoing.destroyed) return;
      if (!outgoing.write(chunk)) await drainedOrClosed(outgoing);
    }
    if (!outgoing.destroyed) outgoing.end();
  } catch {
    // The server closed the connection: its answer (if any) is what counts.
  }
}

/** Delays of a vendor's retry schedule, scaled (0 in tests: retry at once). */
export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

export interface DeliveryAttempt {
  status: number;
  body: string;
  error?: string;
}

/** What became of one delivery: accepted, refused for good (no retry), or retries exhausted. */
export interface DeliveryResult {
  outcome: 'accepted' | 'rejected' | 'gave_up';
  attempts: DeliveryAttempt[];
  /** The last answer's status and parsed JSON body (when JSON). */
  status: number;
  json: unknown;
}

export function deliveryResult(outcome: DeliveryResult['outcome'], attempts: DeliveryAttempt[]): DeliveryResult {
  const last = attempts[attempts.length - 1]!;
  let json: unknown = null;
  try {
    json = JSON.parse(last.body) as unknown;
  } catch {
    json = null;
  }
  return { outcome, attempts, status: last.status, json };
}
