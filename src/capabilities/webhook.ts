import type { IncomingHttpHeaders } from 'node:http';

/** An inbound request as signature checks need it: the exact bytes, before any JSON parser. */
export interface RawRequest {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  /** Path and query string, for schemes that sign the URL. */
  url: string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };
