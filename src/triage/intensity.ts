/**
 * How loudly a message is written: shouting in capitals and runs of exclamation marks. Each is
 * found once per message (the loudest span is the evidence) so a long rant does not outweigh
 * what it is about.
 */
import type { Token } from './tokens.js';

export interface Span {
  start: number;
  end: number;
}

// Shouting is several capitalised words in a row; one "API" or "URGENT" alone is not.
const MIN_CAPS_RUN = 3;
const MIN_CAPS_LETTERS = 2;

function isCapsWord(text: string, token: Token): boolean {
  const raw = text.slice(token.start, token.end);
  let letters = 0;
  for (const ch of raw) {
    if (ch >= 'a' && ch <= 'z') return false;
    if (ch !== ch.toLowerCase()) letters++;
    else if (/\p{Ll}/u.test(ch)) return false;
  }
  return letters >= MIN_CAPS_LETTERS;
}

/** The longest run of consecutive ALL-CAPS words (at least three), or null. */
export function findShouting(text: string, tokens: Token[]): Span | null {
  let best: Span | null = null;
  let bestLength = 0;
  let runStart = -1;
  let runLength = 0;
  let previousStart = -1;
  for (let i = 0; i <= tokens.length; i++) {
    const token = tokens[i];
    // Both halves of a contraction share one written word: count it once.
    if (token !== undefined && token.start === previousStart) continue;
    if (token !== undefined && isCapsWord(text, token)) {
      if (runLength === 0) runStart = i;
      runLength++;
      previousStart = token.start;
      continue;
    }
    if (runLength >= MIN_CAPS_RUN && runLength > bestLength) {
      best = { start: tokens[runStart]!.start, end: tokens[i - 1]!.end };
      bestLength = runLength;
    }
    runLength = 0;
    previousStart = token?.start ?? -1;
  }
  return best;
}

/** The first run of two or more exclamation marks ("!!", "!!!", "?!!"), or null. */
export function findExclamations(text: string): Span | null {
  const match = /[!?]*!{2,}[!?]*|!\?!|\?!\?/.exec(text);
  return match ? { start: match.index, end: match.index + match[0].length } : null;
}
