/**
 * The ledger behind the relay conformance suites (test/conformance/{postmark,mailgun,sendgrid}):
 * every comparison is one check; a difference is a mismatch unless a written reason allows it.
 * Summary: `conformance vendor=<id> artefacts=N validated=M mismatches=K`, where N = official
 * files read, M = checks made, K = checks that failed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

export const OFFICIAL_RELAYS = fileURLToPath(new URL('../../../../shared/data/vendor/official/email-relays/', import.meta.url));

export class RelayLedger {
  private readonly files = new Set<string>();
  private checks = 0;
  readonly mismatches: string[] = [];

  constructor(readonly vendor: string) {}

  /** Reads an official file (counted once as an artefact). */
  read(path: string): string {
    this.files.add(path);
    return readFileSync(OFFICIAL_RELAYS + path, 'utf8');
  }

  json<T = Record<string, unknown>>(path: string): T {
    return JSON.parse(this.read(path)) as T;
  }

  /** One value compared. */
  check(what: string, actual: unknown, expected: unknown): void {
    this.checks++;
    if (!isDeepStrictEqual(actual, expected)) this.mismatches.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }

  /** One set of names compared; `allowed` maps a name that may differ to the reason it may. */
  names(what: string, actual: Iterable<string>, expected: Iterable<string>, allowed: Record<string, string> = {}): void {
    this.checks++;
    const got = new Set(actual);
    const want = new Set(expected);
    const extra = [...got].filter((name) => !want.has(name) && !(name in allowed));
    const missing = [...want].filter((name) => !got.has(name) && !(name in allowed));
    if (extra.length || missing.length) this.mismatches.push(`${what}: extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`);
  }

  line(): string {
    return `conformance vendor=${this.vendor} artefacts=${this.files.size} validated=${this.checks} mismatches=${this.mismatches.length}`;
  }
}
