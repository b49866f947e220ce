import type { UrgencyLevel } from '../classify.js';
import { LEVEL_LABEL } from '../problem.js';

const LEVEL_WORDS = Object.values(LEVEL_LABEL).map((label) => label.toLowerCase());

/**
 * The text without a leading level word the customer (or an earlier title) already put there:
 * "Urgent: …", "URGENT - …", "[urgent] …", "(High) …", "Low!! …". Only a word set apart by
 * punctuation or brackets counts: "Urgent help needed" is what they wrote, not a prefix.
 */
export function withoutLevelPrefix(text: string, level: UrgencyLevel): string {
  const word = LEVEL_LABEL[level].toLowerCase();
  if (!LEVEL_WORDS.includes(word)) return text;
  const pattern = new RegExp(`^\\s*(?:[\\[(]\\s*${word}\\s*[\\])]\\s*[:\\-–—!]*|${word}\\s*(?:[:\\-–—]+|!+))\\s*`, 'i');
  let rest = text;
  // "Urgent: URGENT: …" (a forwarded or re-sent subject) loses every repeat.
  for (let stripped = rest.replace(pattern, ''); stripped !== rest && stripped.trim() !== ''; stripped = rest.replace(pattern, '')) rest = stripped;
  return rest;
}

/** `Urgent: "the payroll export fails…"`: the level, then the customer's subject or first words, once. */
export function escalationTitle(level: UrgencyLevel, subject: string | null, text: string): string {
  const raw = (subject?.trim() || text.replace(/\s+/g, ' ').trim()) || 'a customer message';
  const source = withoutLevelPrefix(raw, level).trim() || raw;
  const quoted = source.length > 90 ? `"${source.slice(0, 87).replace(/\s+\S*$/, '')}…"` : `"${source}"`;
  return `${LEVEL_LABEL[level]}: ${quoted}`;
}
