import type { Request } from 'express';

/**
 * A cookie's value from the request, or undefined. Browsers and attackers send what they like: a
 * value that is not valid percent-encoding (`%E0%A4%A`) is treated as absent, never an error
 * (decodeURIComponent throws URIError, which would fail every dashboard page with a 500).
 */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}
