/**
 * Removes quoted history and signatures from a message body, so that what someone wrote in an
 * earlier message ("> the site is DOWN") or in a signature ("Head of Outage Response") is not
 * read as part of today's message. Shared by the triage classifier and the email channel. Line
 * based: each rule says where the writer's own words end.
 */

// A line that starts an earlier message: everything from it on is history.
const HISTORY_STARTS: RegExp[] = [
  // "-----Original Message-----" (Outlook), "---------- Forwarded message ---------" (Gmail),
  // and the German / French / Spanish / Dutch forms Outlook writes in localized installs.
  /^-{2,}\s*(?:original|forwarded|ursprüngliche|weitergeleitete|message d'origine|mensaje original|oorspronkelijk bericht)\s*(?:message|nachricht|bericht)?\s*-{2,}$/i,
  /^_{10,}$/, // Outlook's rule above its header block
  /^begin forwarded message:?$/i, // Apple Mail
];

// Attribution lines that end a reply: Gmail "On Mon, 3 Jun 2024 at 10:02, Ann <a@x.io> wrote:",
// Apple Mail "On 3 Jun 2024, at 10:02, Ann <a@x.io> wrote:", and their common translations.
// Clients wrap them over up to three lines, so a line is also tried joined with the next two.
const ATTRIBUTION: RegExp[] = [
  /^on\b.{4,300}\bwrote:\s*$/i,
  /^am\b.{4,300}\bschrieb\b.{0,200}:\s*$/i, // German
  /^le\b.{4,300}\ba écrit\s*:\s*$/i, // French
  /^el\b.{4,300}\bescribió\s*:\s*$/i, // Spanish
  /^op\b.{4,300}\bschreef\b.{0,200}:\s*$/i, // Dutch
  /^il\b.{4,300}\bha scritto\s*:\s*$/i, // Italian
  /^em\b.{4,300}\bescreveu\s*:\s*$/i, // Portuguese
];
const ATTRIBUTION_OPENER = /^(?:on|am|le|el|op|il|em)\b/i;

// Outlook header block: "From: …" followed within a few lines by "Sent:" or "Date:" (also
// bold-marked "*From:*" from HTML, and the German, French and Spanish labels).
const HEADER_FROM = /^\*?(?:from|von|de|van)\s?:\*?\s+\S/i;
const HEADER_NEXT = /^\*?(?:sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|à|objet|enviado(?: el)?|fecha|para|asunto|verzonden|aan|onderwerp)\s?:\*?\s/i;

// RFC 3676 §4.3 signature separator "-- " (some clients drop the trailing space).
const SIGNATURE_DELIMITER = /^--\s?$/;
// Footers mobile and desktop clients append on their own.
const CLIENT_FOOTER =
  /^(?:sent from my [\w\s-]{2,40}|sent from (?:outlook|mail|yahoo mail)\b.{0,40}|get outlook for (?:ios|android)|von meinem [\w\s-]{2,40} gesendet|envoyé de mon [\w\s-]{2,40})$/i;

// A sign-off alone on its line ("Best regards," / "Thanks!") ends the message when only a short
// block (name, title, phone) follows it.
const SIGN_OFF =
  /^(?:(?:best|kind|warm|many)?\s*(?:regards|wishes)|best|cheers|thanks(?: again| so much| in advance)?|thank you(?: so much| in advance)?|many thanks|sincerely|yours(?: sincerely| truly)?|respectfully|br|mit freundlichen grüßen|viele grüße|cordialement|saludos|met vriendelijke groet)[,.!]?$/i;
const MAX_SIGNATURE_LINES = 6;

export function stripQuotedAndSignature(body: string): string {
  const lines = body.split(/\r\n|\r|\n/);
  // The writer's part ends at the first history line, signature delimiter or client footer; a
  // sign-off is then judged by what is left above that point, not by the length of the history.
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (startsHistory(lines, i) || SIGNATURE_DELIMITER.test(line.trimEnd()) || CLIENT_FOOTER.test(line.trim())) {
      end = i;
      break;
    }
  }
  const kept: string[] = [];
  for (let i = 0; i < end; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (SIGN_OFF.test(trimmed) && end - 1 - i <= MAX_SIGNATURE_LINES && kept.some((k) => k.trim() !== '')) break;
    if (/^\s*>/.test(line)) continue;
    kept.push(line);
  }
  // A horizontal rule (Outlook's <hr> above its header block, as text) left at the end is not content.
  while (kept.length > 0 && /^\s*(?:[-_=*]{10,})?\s*$/.test(kept.at(-1)!)) kept.pop();
  return kept.join('\n').trim();
}

/**
 * The message a forward carries ("Fwd: payslip in app" over "From: … Sent: … Subject: …" and the
 * original text): the lines after the first history start, its header block and attribution left
 * out and "> " quoting removed, stripped in turn (a forwarded thread keeps only its newest
 * message). Null when the body holds no history. For a forward, that history is what the sender
 * wants read: the triage classifier reads it; a reply's history it does not.
 */
export function forwardedMessage(body: string): string | null {
  const lines = body.split(/\r\n|\r|\n/);
  const at = lines.findIndex((_, i) => startsHistory(lines, i));
  if (at < 0) return null;
  let i = at;
  // The separator or attribution itself ("On … wrote:" may wrap over three lines).
  if (HISTORY_STARTS.some((re) => re.test(lines[i]!.trim()))) i++;
  else if (!HEADER_FROM.test(lines[i]!.trim())) {
    while (i < lines.length && !/:\s*$/.test(lines[i]!.trim())) i++;
    i++;
  }
  // The header block: From/Sent/To/Subject/Cc lines (and blank lines between them).
  while (i < lines.length && (lines[i]!.trim() === '' || HEADER_FROM.test(lines[i]!.trim()) || HEADER_NEXT.test(lines[i]!.trim()))) i++;
  const rest = lines.slice(i).map((line) => line.replace(/^\s*>\s?/, ''));
  const text = stripQuotedAndSignature(rest.join('\n'));
  return text === '' ? null : text;
}

function startsHistory(lines: string[], i: number): boolean {
  const trimmed = lines[i]!.trim();
  if (HISTORY_STARTS.some((re) => re.test(trimmed))) return true;
  if (isAttribution(trimmed)) return true;
  if (ATTRIBUTION_OPENER.test(trimmed)) {
    const next = lines[i + 1]?.trim() ?? '';
    if (isAttribution(`${trimmed} ${next}`)) return true;
    const afterNext = lines[i + 2]?.trim() ?? '';
    if (next !== '' && isAttribution(`${trimmed} ${next} ${afterNext}`)) return true;
  }
  if (HEADER_FROM.test(trimmed)) {
    for (let j = i + 1; j < Math.min(lines.length, i + 4); j++) {
      if (HEADER_NEXT.test(lines[j]!.trim())) return true;
    }
  }
  return false;
}

function isAttribution(line: string): boolean {
  return ATTRIBUTION.some((re) => re.test(line));
}
