/**
 * Removes quoted history and signatures from a message body, so that alarm words someone wrote
 * in an earlier message ("> the site is DOWN") or in a signature ("Head of Outage Response") do
 * not make today's message look urgent. Line based: each rule says where the customer's own
 * words end.
 */

// A line that starts an earlier message: everything from it on is history.
const HISTORY_STARTS: RegExp[] = [
  /^-{2,}\s*(?:original|forwarded) message\s*-{2,}$/i,
  /^_{10,}$/, // Outlook's rule above its header block
  /^begin forwarded message:?$/i,
];

// Gmail / Apple Mail attribution: "On Mon, 3 Jun 2024 at 10:02, Ann <a@x.io> wrote:".
// Clients wrap it over two lines, so it is matched on a line joined with the next.
const ON_WROTE = /^on\b.{4,300}\bwrote:\s*$/i;

// Outlook header block: "From: …" followed within a few lines by "Sent:" or "Date:".
const HEADER_FROM = /^\*?from:\*?\s+\S/i;
const HEADER_NEXT = /^\*?(?:sent|date|to|subject|cc):\*?\s/i;

// RFC 3676 §4.3 signature separator "-- " (some clients drop the trailing space).
const SIGNATURE_DELIMITER = /^--\s?$/;
const MOBILE_FOOTER = /^sent from my [\w\s-]{2,40}$/i;

// A sign-off alone on its line ("Best regards," / "Thanks!") ends the message when only a short
// block (name, title, phone) follows it.
const SIGN_OFF =
  /^(?:(?:best|kind|warm|many)?\s*(?:regards|wishes)|best|cheers|thanks(?: again| so much| in advance)?|thank you(?: so much| in advance)?|many thanks|sincerely|yours(?: sincerely| truly)?|respectfully|br)[,.!]?$/i;
const MAX_SIGNATURE_LINES = 6;

export function stripQuotedAndSignature(body: string): string {
  const lines = body.split(/\r\n|\r|\n/);
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (startsHistory(lines, i)) break;
    if (SIGNATURE_DELIMITER.test(line.trimEnd()) || MOBILE_FOOTER.test(trimmed)) break;
    if (SIGN_OFF.test(trimmed) && lines.length - 1 - i <= MAX_SIGNATURE_LINES && kept.some((k) => k.trim() !== '')) break;
    if (/^\s*>/.test(line)) continue;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

function startsHistory(lines: string[], i: number): boolean {
  const trimmed = lines[i]!.trim();
  if (HISTORY_STARTS.some((re) => re.test(trimmed))) return true;
  if (ON_WROTE.test(trimmed)) return true;
  const next = lines[i + 1]?.trim() ?? '';
  if (/^on\b/i.test(trimmed) && ON_WROTE.test(`${trimmed} ${next}`)) return true;
  if (HEADER_FROM.test(trimmed)) {
    for (let j = i + 1; j < Math.min(lines.length, i + 4); j++) {
      if (HEADER_NEXT.test(lines[j]!.trim())) return true;
    }
  }
  return false;
}
