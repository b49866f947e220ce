import type { IncomingHttpHeaders } from 'node:http';

/** An inbound request as signature checks need it: the exact bytes, before any JSON parser. */
export interface RawRequest {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  /** Path and query string, for schemes that sign the URL. */
  url: string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** A request header's first value, or null when absent or empty (Node lower-cases header names). */
export function headerValue(request: Pick<RawRequest, 'headers'>, name: string): string | null {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.length > 0 ? first : null;
}
