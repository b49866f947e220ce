/**
 * Reads a relay's form post with bounded memory. The body is streamed through a push parser;
 * small fields stay in memory (at most MEMORY_FORM_BYTES per request), anything larger is spooled
 * to a temporary file, so an unauthenticated 100 MB post costs disk up to the size limit, never
 * memory. Sizes are checked while streaming (whole body, each part, number of parts), and a relay
 * may stop the read early from `onSmallField` (Mailgun's signature is itself a form field).
 * Bytes are never decoded: a field is what was posted, byte for byte.
 */
import type { IncomingMessage } from 'node:http';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { badRequest, HubError } from '../../../errors.js';
import { multipartParser, urlencodedParser, type FormEvent, type FormParser, type PartHead } from './form-parsers.js';

export interface FormLimits {
  maxBodyBytes: number;
  maxPartBytes: number;
  maxParts: number;
}

export interface FormPart extends PartHead {
  size: number;
  /** The bytes as posted (read back from the spool file for a large part). */
  bytes(): Promise<Buffer>;
}

export interface RelayForm {
  readonly parts: readonly FormPart[];
  /** The first part of that name. */
  get(name: string): FormPart | undefined;
  /** The first part of that name as UTF-8 text. */
  text(name: string): Promise<string | undefined>;
  /** Deletes the spool files. */
  dispose(): Promise<void>;
}

export interface ReadFormOptions {
  limits: FormLimits;
  /** Sees every body chunk as it arrives (a signature over the raw bytes). */
  onChunk?(chunk: Buffer): void;
  /** A complete part of at most SMALL_FIELD_BYTES; may throw to stop reading (the error is the answer). */
  onSmallField?(name: string, value: Buffer): void;
}

const payloadTooLarge = (message: string) => new HubError(413, 'payload_too_large', message);
const DRAIN_MS = 5000;

/**
 * After an early answer (413, a forged signature) the client may still be sending. What it sends
 * is read into nothing (no memory kept). A client that asked to close the connection gets its
 * answer only once the body has ended (or after a few seconds): Node closes such a connection
 * right after the answer, and data still arriving then makes the kernel reset it, which can
 * discard the answer before the client reads it. On a kept-alive connection the answer goes at once.
 */
async function drain(req: IncomingMessage): Promise<void> {
  req.resume();
  const closing = req.httpVersion === '1.0' || /\bclose\b/i.test(req.headers.connection ?? '');
  if (!closing || req.complete || req.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      req.off('end', done).off('close', done);
      resolve();
    };
    const timer = setTimeout(done, DRAIN_MS);
    req.on('end', done).on('close', done);
  });
}

const MEMORY_PART_BYTES = 64 * 1024;
const MEMORY_FORM_BYTES = 512 * 1024;
const SMALL_FIELD_BYTES = 4 * 1024;

class Spool {
  private dir: Promise<string> | null = null;
  inMemory = 0;
  files = 0;

  directory(): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'hub-relay-'));
    return this.dir;
  }

  async dispose(): Promise<void> {
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
  }
}

async function writeAll(file: FileHandle, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) offset += (await file.write(bytes, offset, bytes.length - offset)).bytesWritten;
}

class SpooledPart implements FormPart {
  readonly name: string;
  readonly filename: string | null;
  readonly contentType: string | null;
  size = 0;
  private chunks: Buffer[] = [];
  private path: string | null = null;
  private file: FileHandle | null = null;

  constructor(
    head: PartHead,
    private readonly spool: Spool,
    private readonly maxBytes: number,
  ) {
    this.name = head.name;
    this.filename = head.filename;
    this.contentType = head.contentType;
  }

  async write(bytes: Buffer): Promise<void> {
    this.size += bytes.length;
    if (this.size > this.maxBytes) throw payloadTooLarge(`the form field ${this.name} is larger than ${this.maxBytes} bytes`);
    if (this.path === null && this.size <= MEMORY_PART_BYTES && this.spool.inMemory + bytes.length <= MEMORY_FORM_BYTES) {
      this.chunks.push(Buffer.from(bytes));
      this.spool.inMemory += bytes.length;
      return;
    }
    if (this.path === null) {
      this.path = join(await this.spool.directory(), `part-${++this.spool.files}`);
      this.file = await open(this.path, 'w');
      for (const chunk of this.chunks) await writeAll(this.file, chunk);
      this.spool.inMemory -= this.size - bytes.length;
      this.chunks = [];
    }
    await writeAll(this.file!, bytes);
  }

  async end(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }

  inMemory(): Buffer | null {
    return this.path === null ? Buffer.concat(this.chunks, this.size) : null;
  }

  async bytes(): Promise<Buffer> {
    return this.path === null ? Buffer.concat(this.chunks, this.size) : readFile(this.path);
  }
}

function parserFor(contentType: string | undefined): FormParser {
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
    const value = boundary?.[1] ?? boundary?.[2];
    if (!value || value.length > 200) throw badRequest('multipart/form-data without a boundary', 'invalid_request');
    return multipartParser(value);
  }
  if (type.startsWith('application/x-www-form-urlencoded')) return urlencodedParser();
  throw badRequest('expected a multipart/form-data or urlencoded body', 'invalid_request');
}

export async function readRelayForm(req: IncomingMessage, options: ReadFormOptions): Promise<RelayForm> {
  const { limits } = options;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    await drain(req);
    throw payloadTooLarge(`the body is larger than ${limits.maxBodyBytes} bytes`);
  }
  const spool = new Spool();
  const parts: SpooledPart[] = [];
  let current: SpooledPart | null = null;

  const handle = async (events: FormEvent[]) => {
    for (const event of events) {
      if (event.kind === 'start') {
        if (parts.length >= limits.maxParts) throw payloadTooLarge(`more than ${limits.maxParts} form fields`);
        current = new SpooledPart(event.head, spool, limits.maxPartBytes);
        parts.push(current);
      } else if (event.kind === 'data') await current!.write(event.bytes);
      else {
        const part: SpooledPart = current!;
        current = null;
        await part.end();
        const small = part.size <= SMALL_FIELD_BYTES ? part.inMemory() : null;
        if (small) options.onSmallField?.(part.name, small);
      }
    }
  };

  try {
    const parser = parserFor(req.headers['content-type']);
    let received = 0;
    // Not destroyed when we stop early: the answer still has to go out on this connection.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > limits.maxBodyBytes) throw payloadTooLarge(`the body is larger than ${limits.maxBodyBytes} bytes`);
      options.onChunk?.(chunk);
      await handle(parser.push(chunk));
    }
    await handle(parser.finish());
  } catch (error) {
    await drain(req);
    for (const part of parts) await part.end().catch(() => undefined);
    await spool.dispose();
    if (error instanceof HubError) throw error;
    // The client went away mid-body: its problem, not a 5xx of ours. A spool that cannot be
    // written (disk full) is ours, and passing: the relay should retry.
    if (req.errored || req.destroyed) throw badRequest('the request body could not be read to its end', 'invalid_request');
    throw new HubError(503, 'temporarily_unavailable', 'the relayed mail could not be taken in now; retry later', { 'Retry-After': '60' });
  }

  return {
    parts,
    get: (name) => parts.find((part) => part.name === name),
    text: async (name) => (await parts.find((part) => part.name === name)?.bytes())?.toString('utf8'),
    dispose: () => spool.dispose(),
  };
}

/** A form field holding JSON (Mailgun's message-headers, SendGrid's charsets…), or null when absent or not of that shape. */
export async function jsonField<T>(form: RelayForm, name: string, schema: z.ZodType<T>): Promise<T | null> {
  const text = await form.text(name);
  if (text === undefined) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
