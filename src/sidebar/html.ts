/**
 * Escaped-by-default HTML: the `html` tag escapes every interpolated value unless it is markup
 * this module built itself, so no string from a data source can become markup. (EJS's `<%= %>`
 * gives the same guarantee; a tagged template keeps it without a template engine.)
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (ch) => ESCAPES[ch]!);
}

/** Markup produced by `html` (never constructed from outside this module's callers' templates). */
export class SafeHtml {
  readonly #markup: string;
  constructor(markup: string, token: typeof BUILT) {
    if (token !== BUILT) throw new Error('SafeHtml is only built by the html tag');
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}
const BUILT = Symbol('html');

export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

function interpolate(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map((v: HtmlValue) => interpolate(v)).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += interpolate(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out, BUILT);
}

/** An href only for http(s) URLs: `javascript:` and friends never reach an attribute. */
export function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}
