/**
 * Putting text we do not control (what customers wrote, staff names) into GitHub Flavored
 * Markdown without letting it act: no @mentions (they notify people and teams, and `@everyone`
 * style pings would reach whoever GitHub resolves), no HTML, no links of its own making.
 */

/**
 * `@` becomes the fullwidth `＠` (U+FF20): still readable, but GitHub's mention syntax only
 * matches ASCII `@`, so `@everyone` or `@acme/oncall` notify no one. Applied everywhere, even
 * inside code blocks (where GitHub does not resolve mentions), in case a block is ever broken.
 */
export function neutraliseMentions(text: string): string {
  return text.replaceAll('@', '＠');
}

/** Control characters other than tab and newline, which only hide or garble text. */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;

function clean(text: string): string {
  return neutraliseMentions(text.replace(/\r\n?/g, '\n').replace(CONTROL, ''));
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/**
 * A fenced code block holding `text` verbatim: GitHub renders no Markdown, HTML, links or
 * mentions inside. The fence is longer than any backtick run in the text (CommonMark §4.5), so the
 * text cannot close it early.
 */
export function fencedBlock(text: string, info = 'text'): string {
  const body = clean(text);
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/** An inline code span (CommonMark §6.1): one line, delimited by more backticks than it holds. */
export function codeSpan(text: string): string {
  const body = clean(text).replace(/\s+/g, ' ').trim();
  const ticks = '`'.repeat(longestRun(body, '`') + 1);
  // A span that starts or ends with a backtick needs a space of padding, which GitHub strips.
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${body}${pad}${ticks}`;
}

/** Markdown and HTML metacharacters, backslash-escaped where they appear (CommonMark §2.4). */
const META = /[\\`*_{}[\]()<>#+!|~&-]/g;

/** One line of text with mentions neutralised, for places GitHub shows verbatim (issue titles). */
export function plainLine(text: string): string {
  return clean(text).replace(/\s+/g, ' ').trim();
}

/** One line of plain text with every Markdown/HTML metacharacter escaped. */
export function inlineText(text: string): string {
  return plainLine(text).replace(META, (c) => `\\${c}`);
}

/**
 * A Markdown link to one of our own URLs. Only http(s); the destination goes in `<…>` after
 * URL normalisation has percent-encoded spaces and angle brackets, so no character can end it.
 */
export function link(label: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return `[${inlineText(label)}](<${parsed.href}>)`;
}

/** A Markdown blockquote of several lines, escaped like `inlineText` but keeping line breaks. */
export function quote(text: string): string {
  return clean(text)
    .split('\n')
    .map((line) => `> ${line.replace(META, (c) => `\\${c}`)}`)
    .join('\n');
}
