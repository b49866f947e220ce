/**
 * Links on a card: an href only for http(s) URLs, so `javascript:` and friends never reach an
 * attribute. (Escaping of every other value is EJS's `<%= %>`; see render.ts.)
 */
export function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}
