import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';

/**
 * Pseudonymous logs: no email address reaches a log line. Each is replaced by `email:` and 12 hex
 * digits of an HMAC of the lower-cased address under the install's key, so support can still see
 * that two lines concern the same person, and find a given person's lines (`pseudonymOf` with the
 * key), while a leaked log names nobody and cannot be matched against a list of addresses without
 * the key.
 *
 * It works on the finished line (pino's JSON), so it covers every field, message, error message
 * and stack alike — including text a vendor or mail server sent back ("550 <a@b.example>: no such
 * user") that no field-level redaction would know to look in.
 */

// RFC 5322's dot-atom local part as addresses are written in practice, and a domain with a dot.
// JSON escapes (`\"`, `\u003c`) end a match, which is what they are around an address.
const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;

export function pseudonymOf(address: string, key: Buffer): string {
  return `email:${createHmac('sha256', key).update(address.toLowerCase()).digest('hex').slice(0, 12)}`;
}

/** `text` with every email address in it replaced by its pseudonym. */
export function pseudonymizeEmails(text: string, key: Buffer): string {
  if (!text.includes('@')) return text;
  return text.replace(EMAIL, (address) => pseudonymOf(address, key));
}

type Flushable = DestinationStream & { flush?(callback?: (error?: Error) => void): void; flushSync?(): void };

/** A pino destination that writes each line with its addresses replaced (and flushes as the one it wraps). */
export function pseudonymousDestination(destination: DestinationStream, key: Buffer): DestinationStream {
  const inner = destination as Flushable;
  const wrapped: Flushable = { write: (line: string) => inner.write(pseudonymizeEmails(line, key)) };
  if (inner.flush) wrapped.flush = (callback) => inner.flush!(callback);
  if (inner.flushSync) wrapped.flushSync = () => inner.flushSync!();
  return wrapped;
}

const KEY_FILE = 'log-pseudonym.key';

/**
 * The install's key: LOG_PSEUDONYM_KEY when set (the same on every process, so pseudonyms match
 * across machines), else a random key kept in the data directory, made on first start. Where that
 * directory cannot be written (a server deployment with a read-only file system), a key for this
 * process alone: addresses are still never logged, only their pseudonyms change at each start.
 */
export function logPseudonymKey(config: { log: { pseudonymKey?: string | undefined }; store: { dataDir: string } }): Buffer {
  if (config.log.pseudonymKey) return Buffer.from(config.log.pseudonymKey, 'utf8');
  try {
    return keptKey(config.store.dataDir);
  } catch {
    return randomBytes(32);
  }
}

function keptKey(dataDir: string): Buffer {
  const file = join(dataDir, KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    // Written whole under another name, then linked into place: of two processes starting at once,
    // one links and the other (EEXIST) reads the complete key the first one wrote.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    try {
      linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(draft, { force: true });
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
}
