/**
 * Finds lexicon phrases in tokenised text: longest phrase wins where phrases overlap, then the
 * negation window ("not urgent", "isn't down", "no data loss") and the question damping apply.
 */
import type { CompiledLexicon, CompiledPhrase, PhraseWord } from './lexicon.js';
import type { Token, TokenizedText } from './tokens.js';

export interface PhraseHit {
  phrase: CompiledPhrase;
  /** Token index range [first, last]. */
  first: number;
  last: number;
  /** When the hit is negated: the negating token's index (or the hit's own first, for a subject its body denies). */
  negatedBy: number | null;
  inQuestion: boolean;
  /** In a clause a hypothetical opens ("what happens if a payroll run fails"): not a report. */
  hypothetical: boolean;
  /** In a clause that puts it weeks or months away ("our certificate expires next month"): not happening yet. */
  farOff?: true;
}

// `*` spans up to this many words.
const WILDCARD_MAX = 2;

/** Token index just after the phrase if it matches at `at` (within one sentence), else -1. */
function matchAt(tokens: Token[], at: number, words: (PhraseWord | null)[], k: number): number {
  if (k === words.length) return at;
  const want = words[k]!;
  if (want === null) {
    // Longest wildcard first, so "lost * data" prefers "lost all our data" over "lost all".
    for (let skip = WILDCARD_MAX; skip >= 0; skip--) {
      const next = at + skip;
      if (next >= tokens.length || tokens[next]!.sentence !== tokens[at - 1]!.sentence) continue;
      const end = matchAt(tokens, next, words, k + 1);
      if (end >= 0) return end;
    }
    return -1;
  }
  const token = tokens[at];
  if (token === undefined || token.stem !== want.stem || (want.exact !== null && token.norm !== want.exact)) return -1;
  if (k > 0 && token.sentence !== tokens[at - 1]!.sentence) return -1;
  return matchAt(tokens, at + 1, words, k + 1);
}

/** The phrases of `phrases` that match at token `i`, added to `out`. */
function collect(text: TokenizedText, i: number, phrases: readonly CompiledPhrase[], out: PhraseHit[]): void {
  const { tokens } = text;
  for (const phrase of phrases) {
    const end = matchAt(tokens, i, phrase.words, 0);
    if (end < 0) continue;
    out.push({ phrase, first: i, last: end - 1, negatedBy: null, inQuestion: text.questionClauses[tokens[i]!.clause] === true, hypothetical: false });
  }
}

export function findPhrases(text: TokenizedText, lexicon: CompiledLexicon): PhraseHit[] {
  const { tokens } = text;
  const candidates: PhraseHit[] = [];
  const last = tokens.length - 1;
  for (let i = 0; i <= last; i++) {
    const stem = tokens[i]!.stem;
    const single = lexicon.byFirstStem.get(stem);
    if (single !== undefined) collect(text, i, single, candidates);
    if (i < last) {
      const pairs = lexicon.byFirstTwo.get(stem);
      if (pairs !== undefined) {
        const double = pairs.get(tokens[i + 1]!.stem);
        if (double !== undefined) collect(text, i, double, candidates);
      }
    }
  }
  // Longest first, then the stronger weight, then the earlier: "down for maintenance" beats "down".
  candidates.sort(
    (a, b) => b.last - b.first - (a.last - a.first) || Math.abs(b.phrase.weight) - Math.abs(a.phrase.weight) || a.first - b.first,
  );
  const taken = new Uint8Array(tokens.length);
  const hits: PhraseHit[] = [];
  for (const hit of candidates) {
    let free = true;
    for (let t = hit.first; t <= hit.last && free; t++) free = taken[t] === 0;
    if (!free) continue;
    for (let t = hit.first; t <= hit.last; t++) taken[t] = 1;
    hits.push(hit);
  }
  hits.sort((a, b) => a.first - b.first);
  applyNegation(tokens, hits, taken, lexicon);
  markHypothetical(tokens, hits, lexicon);
  return hits;
}

/**
 * A hit is hypothetical when a hypothetical opener ("if", "in case", "what if") comes before it
 * in its clause — "if an employee's phone is stolen, what can they do" asks about a policy.
 */
function markHypothetical(tokens: Token[], hits: PhraseHit[], lexicon: CompiledLexicon): void {
  if (lexicon.hypotheticals.length === 0 || hits.length === 0) return;
  // Where a hypothetical opener starts, once per message; then each hit looks back in its clause.
  // (Bounds are checked before reading: reading past an array's end is V8's slow path.)
  let openers: number[] | null = null;
  const first = lexicon.hypotheticalStarts;
  for (let t = 0; t < tokens.length; t++) {
    const stem = tokens[t]!.stem;
    if (!first.has(stem)) continue;
    for (const words of lexicon.hypotheticals) {
      if (words[0] !== stem || t + words.length > tokens.length) continue;
      let k = 1;
      while (k < words.length && tokens[t + k]!.stem === words[k]) k++;
      if (k === words.length) {
        (openers ??= []).push(t);
        break;
      }
    }
  }
  if (openers === null) return;
  for (const hit of hits) {
    const clause = tokens[hit.first]!.clause;
    for (const t of openers) if (t < hit.first && tokens[t]!.clause === clause) hit.hypothetical = true;
  }
}

/**
 * A negator ("not", "no", "never", "isn't") within the window before a hit, in the same clause,
 * negates it — unless the negator belongs to a phrase of its own ("not working", "no longer").
 */
function applyNegation(tokens: Token[], hits: PhraseHit[], taken: Uint8Array, lexicon: CompiledLexicon): void {
  const window = lexicon.source.scoring.negation.window;
  for (const hit of hits) {
    if (hit.phrase.containsNegator) continue;
    const clause = tokens[hit.first]!.clause;
    for (let t = hit.first - 1; t >= Math.max(0, hit.first - window); t--) {
      const token = tokens[t]!;
      if (token.clause !== clause) break;
      if (taken[t] === 0 && lexicon.negators.has(token.stem)) {
        hit.negatedBy = t;
        break;
      }
    }
  }
}
