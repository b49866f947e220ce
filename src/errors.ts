/**
 * Errors with a user-facing message. The HTTP layer maps them to `{ error: { code, message } }`
 * with their status; anything else is an internal fault (500, logged with the request id).
 */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HubError';
  }
}

export const badRequest = (message: string, code = 'bad_request') => new HubError(400, code, message);
export const unauthorized = (message: string, code = 'unauthorized') => new HubError(401, code, message);
export const forbidden = (message: string, code = 'forbidden') => new HubError(403, code, message);
export const notFound = (message: string, code = 'not_found') => new HubError(404, code, message);
export const conflict = (message: string, code = 'conflict') => new HubError(409, code, message);
export const payloadTooLarge = (message: string) => new HubError(413, 'payload_too_large', message);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new HubError(429, 'rate_limited', message, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/** JSON from a raw body (read raw for a signature check); not JSON → 400 `${what} is not valid JSON`. */
export function parseJsonBody(rawBody: Buffer, what: string, code: string): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8')) as unknown;
  } catch {
    throw badRequest(`${what} is not valid JSON`, code);
  }
}

/** Parses input at the edge; a mismatch becomes a 400 naming each bad field. */
export function parseInput<T extends { parse(input: unknown): unknown }>(schema: T, input: unknown, what: string, code: string): ReturnType<T['parse']> {
  try {
    return schema.parse(input) as ReturnType<T['parse']>;
  } catch (error) {
    const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    const detail = issues ? issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ') : String(error);
    throw badRequest(`invalid ${what}: ${detail}`, code);
  }
}
