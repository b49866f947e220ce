/**
 * Slack mrkdwn helpers. Slack parses `<…>` sequences in mrkdwn text as links and mentions
 * (`<!channel>`, `<@U024BE7LH>`, `<https://…|label>`), so text we did not write — a customer's
 * words, a person's name — is escaped: `&`, `<` and `>` become entities, the only three Slack
 * decodes (docs.slack.dev/messaging/formatting-message-text#escaping). Nothing else is escaped:
 * `*` or `_` in customer text may format, but cannot ping anyone or hide a link.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => ENTITIES[c]!);
}

/**
 * Escaped text of at most `max` characters, cut between characters of the original (never
 * inside an entity such as `&lt;`), ending in "…" when cut. Slack refuses blocks over their
 * limits (section text 3,000) with `invalid_blocks`, so long customer text is shortened here.
 */
export function escapeTruncated(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const char of text) {
    const piece = ENTITIES[char] ?? char;
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** Plain text (header blocks) is not parsed for mentions; it only has to fit. */
export function truncatePlain(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * A link in mrkdwn: `<url|label>`. The URL is one the hub made (link back, acknowledge link), but
 * a `|` or `>` in it would end the link early, so those are percent-encoded and `&` written as
 * an entity like everywhere else in mrkdwn.
 */
export function mrkdwnLink(url: string, label: string): string {
  const safeUrl = url.replace(/&/g, '&amp;').replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
  return `<${safeUrl}|${escapeMrkdwn(label)}>`;
}
