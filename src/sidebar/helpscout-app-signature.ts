import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Help Scout's App Developer Platform signs the iframe's URL, not a body
 * (developer.helpscout.com/apps/guides/signature-validation): `X-HelpScout-Signature` is a query
 * parameter, base64 HMAC-SHA1(app secret key, data), where data is what the guide's PHP sample
 * signs — `json_encode($_REQUEST)` after removing the signature and any parameter that was already
 * part of the configured callback URL. So the signed bytes are PHP's, not JavaScript's:
 *
 * - an object of name → value in the order the query string gives them (PHP arrays are ordered);
 * - PHP's default json_encode escapes: `/` as `\/`, every non-ASCII character as `\uxxxx`
 *   (lowercase hex, UTF-16 surrogate pairs above U+FFFF), no spaces; `JSON.stringify` differs
 *   whenever a value holds `/` or non-ASCII;
 * - PHP's request parsing: `.` and space in a name become `_`, a repeated name keeps its first
 *   place and its last value, and an array whose keys are 0…n-1 (no parameters: `[]`) is encoded
 *   as a JSON list.
 *
 * The last two points and the escapes are our reading of PHP, not stated by Help Scout (see
 * ../shared/data/vendor/official/helpscout/apps-platform-notes.md §1, "inference"); the test
 * vectors in test/sidebar/helpscout-app-signature.test.ts were computed with PHP 8.2's own
 * json_encode. Names in brackets (`a[]`, `a[b]`), which PHP turns into nested arrays, are refused.
 */

export const SIGNATURE_PARAM = 'X-HelpScout-Signature';

export type SignedParams = { ok: true; params: [string, string][] } | { ok: false; reason: string };

/**
 * The parameters Help Scout signed, in order, as PHP's `$_REQUEST` holds them: the query string
 * without the signature and without the names in `excluded` (the configured callback URL's own).
 */
export function signedParams(search: string, excluded: ReadonlySet<string> = new Set()): SignedParams {
  const query = search.startsWith('?') ? search.slice(1) : search;
  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const rawName = at < 0 ? pair : pair.slice(0, at);
    const rawValue = at < 0 ? '' : pair.slice(at + 1);
    const name = phpDecode(rawName);
    const value = phpDecode(rawValue);
    if (name === null || value === null) return { ok: false, reason: 'a query parameter is not valid UTF-8 once decoded' };
    if (name === SIGNATURE_PARAM) continue;
    if (name.includes('[')) return { ok: false, reason: `query parameter "${name.slice(0, 40)}" uses PHP array syntax, which Help Scout does not send` };
    const phpName = phpVariableName(name);
    if (phpName === '' || excluded.has(name) || excluded.has(phpName)) continue;
    params.set(phpName, value);
  }
  return { ok: true, params: [...params] };
}

/** PHP's urldecode: `+` is a space, `%xx` a byte; null when the bytes are not UTF-8 (json_encode would fail). */
function phpDecode(text: string): string | null {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  // Raw bytes above 0x7F (a client that did not percent-encode) take the byte-wise path below.
  const ascii = /^[\x00-\x7f]*$/.test(spaced);
  if (ascii && !spaced.includes('%')) return spaced;
  // Every % starts a valid escape: decodeURIComponent decodes the same bytes and refuses non-UTF-8.
  if (ascii && !/%(?![0-9a-fA-F]{2})/.test(spaced)) {
    try {
      return decodeURIComponent(spaced);
    } catch {
      return null;
    }
  }
  // A stray % stays a literal % in PHP.
  const bytes = Buffer.from(spaced.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  const decoded = bytes.toString('utf8');
  return Buffer.from(decoded, 'utf8').equals(bytes) ? decoded : null;
}

/** PHP (main/php_variables.c): leading spaces dropped, then `.` and space become `_`. */
function phpVariableName(name: string): string {
  return name.replace(/^ +/, '').replace(/[. ]/g, '_');
}

/** PHP's `json_encode($array)` with default flags, for an array of string values. */
export function phpJsonEncode(params: readonly (readonly [string, string])[]): string {
  const isList = params.every(([name], i) => name === String(i));
  if (isList) return `[${params.map(([, value]) => phpJsonString(value)).join(',')}]`;
  return `{${params.map(([name, value]) => `${phpJsonString(name)}:${phpJsonString(value)}`).join(',')}}`;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function phpJsonString(text: string): string {
  let out = '"';
  // Code units, so a character above U+FFFF comes out as its surrogate pair, as PHP writes it.
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const code = text.charCodeAt(i);
    const short = SHORT_ESCAPES[char];
    if (short) out += short;
    else if (code < 0x20 || code > 0x7e) out += code === 0x7f ? char : `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** The signature Help Scout puts on a URL with these parameters (what the fake sidebar host uses too). */
export function helpScoutAppSignature(secret: string, params: readonly (readonly [string, string])[]): string {
  return createHmac('sha1', secret).update(phpJsonEncode(params), 'utf8').digest('base64');
}

export type SignatureCheck = { ok: true; params: Map<string, string> } | { ok: false; reason: string };

/** Checks a request's query string; constant-time over the base64 text. */
export function verifyHelpScoutAppQuery(secret: string, search: string, excluded: ReadonlySet<string> = new Set()): SignatureCheck {
  const given = new URLSearchParams(search).getAll(SIGNATURE_PARAM);
  if (given.length === 0 || !given[0]) return { ok: false, reason: `missing ${SIGNATURE_PARAM} query parameter` };
  if (given.length > 1) return { ok: false, reason: `more than one ${SIGNATURE_PARAM} query parameter` };
  const signed = signedParams(search, excluded);
  if (!signed.ok) return signed;
  const expected = Buffer.from(helpScoutAppSignature(secret, signed.params));
  // A `+` in base64 arrives as a space when the URL did not percent-encode it; URLSearchParams decoded it so.
  const received = Buffer.from(given[0].replace(/ /g, '+'));
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return { ok: false, reason: `invalid ${SIGNATURE_PARAM}` };
  return { ok: true, params: new Map(signed.params) };
}
