/**
 * Text ⇄ Help Scout thread bodies. Help Scout stores a thread's `text` as HTML, so we send our
 * plain text escaped (newlines as <br>) and read bodies back as plain text. `sameText` is what
 * findWrite uses to recognise a write of ours: it must not care how Help Scout re-wraps the HTML.
 */

export function textToHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/\r?\n/g, '<br>');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6]|tr|blockquote)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
      if (entity[0] === '#') {
        const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[entity.toLowerCase()] ?? whole;
    })
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Whitespace-insensitive form for comparing what we sent with what Help Scout holds. */
export function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function sameText(vendorHtml: string | null | undefined, sentText: string): boolean {
  return normaliseText(htmlToText(vendorHtml ?? '')) === normaliseText(sentText);
}

const TRUNCATED = '\n\n[… truncated by Support Hub: the full message is in the hub]';

/**
 * The longest prefix of `text` whose HTML, JSON-encoded, fits `maxBytes` (Help Scout answers 413
 * over its request-size limit). Deterministic, so a retry and findWrite compute the same text.
 */
export function fitText(text: string, maxBytes: number): string {
  const size = (t: string) => Buffer.byteLength(JSON.stringify(textToHtml(t)));
  if (size(text) <= maxBytes) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (size(text.slice(0, mid) + TRUNCATED) <= maxBytes) low = mid;
    else high = mid - 1;
  }
  // Never cut a surrogate pair in half.
  if (low > 0 && /[\ud800-\udbff]/.test(text.charAt(low - 1))) low--;
  return text.slice(0, low) + TRUNCATED;
}
