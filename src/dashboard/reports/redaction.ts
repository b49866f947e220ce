import type { HubConfig } from '../../config.js';
import { pathMatches, REDACTED } from '../../config/secrets.js';

/**
 * Report pages show text the hub did not write: vendor error messages, re-auth reasons, audit
 * details. A vendor may echo a credential back ("invalid token abc…"), so every such text passes
 * through a redactor that knows the configured secret values and replaces them.
 *
 * Which values are secret: those the schemas mark (`secret()`, core and every integration's: the
 * loaded config's `secretPaths`). Credentials inside URLs (`smtp://user:password@host`) count on
 * their own too, and so do bearer-looking tokens in any text.
 */

/** Shorter values would blank out ordinary words; every secret the config accepts is longer. */
const MIN_SECRET_LENGTH = 6;
const BEARER = /\b(bearer|basic|token)(\s+|=|:\s*)[A-Za-z0-9._~+/=-]{12,}/gi;

export type Redactor = (text: string) => string;

/** Every configured string value that is (or holds) a secret. */
export function secretValues(config: HubConfig, secretPaths: readonly string[][]): string[] {
  const found = new Set<string>();
  const add = (value: string) => {
    if (value.length >= MIN_SECRET_LENGTH) found.add(value);
    // `user:password` (basic-auth settings): the password alone.
    const colon = value.indexOf(':');
    if (colon > 0 && !value.includes('://') && value.length - colon - 1 >= MIN_SECRET_LENGTH) found.add(value.slice(colon + 1));
    // Credentials in a URL may appear on their own in an error message.
    try {
      const url = new URL(value);
      for (const part of [url.password, url.username]) {
        const decoded = safeDecode(part);
        if (decoded.length >= MIN_SECRET_LENGTH) found.add(decoded);
        if (part.length >= MIN_SECRET_LENGTH) found.add(part);
      }
    } catch {
      // not a URL
    }
  };
  const walk = (node: unknown, path: string[], secret: boolean) => {
    if (typeof node === 'string') {
      if (secret) add(node);
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, String(i)], secret));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
        const childPath = [...path, key];
        walk(value, childPath, secret || secretPaths.some((pattern) => pathMatches(pattern, childPath)));
      }
    }
  };
  walk(config, [], false);
  return [...found].sort((a, b) => b.length - a.length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A redactor for the configured secrets (longest first, so a URL goes before its password). */
export function redactorFor(config: HubConfig, secretPaths: readonly string[][]): Redactor {
  const secrets = secretValues(config, secretPaths);
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out.replace(BEARER, (_match, scheme: string, gap: string) => `${scheme}${gap}${REDACTED}`);
  };
}
