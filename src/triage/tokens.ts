/**
 * Turns the classified text into normalised, stemmed tokens that remember where they came from,
 * so every piece of evidence can be highlighted in the text staff see.
 */
import { stem, WORD_PATTERN } from './natural.js';

export interface Token {
  /** Lower-cased word, contractions expanded ("isn't" gives "is" then "not"). */
  norm: string;
  stem: string;
  /** Offsets of the whole written word in the classified text (both halves of a contraction share them). */
  start: number;
  end: number;
  /** Sentence number; sentences end at . ! ? or a line break. */
  sentence: number;
  /** Clause number; clauses also end at , ; : and "but" — negation never reaches past one. */
  clause: number;
}

export interface TokenizedText {
  tokens: Token[];
  /**
   * Per clause: does it ask? In a question sentence, the last clause does, and so does any clause
   * that opens with a question word ("Is it down, or is it me?"). A clause that states something
   * before the question ("Our site is down, can you help?") does not: that is a report, not a query.
   */
  questionClauses: boolean[];
}

// Words that open a question clause (after contraction expansion: "isn't" reads "is", "not").
const QUESTION_OPENERS = new Set(
  'is are am was were do does did can could will would should shall may might has have had how what why when where which who whose any anyone anybody'.split(' '),
);

// Contractions that matter for meaning (negation, "I'm"); the possessive "'s" is dropped.
const CONTRACTION_SUFFIXES: [suffix: string, expansion: string][] = [
  ["n't", 'not'],
  ["'m", 'am'],
  ["'re", 'are'],
  ["'ve", 'have'],
  ["'ll", 'will'],
  ["'d", 'would'],
];
const IRREGULAR_NEGATIONS: Record<string, string> = { "can't": 'can', "won't": 'will', "shan't": 'shall', "ain't": 'is' };
const IS_CONTRACTIONS = new Set(["it's", "that's", "what's", "there's", "here's", "he's", "she's", "who's", "where's"]);

// Chat lines often drop the apostrophe ("cant login", "isnt crashing"): the same negations.
const APOSTROPHE_LESS: Record<string, [string, string]> = {
  cant: ['can', 'not'],
  dont: ['do', 'not'],
  doesnt: ['does', 'not'],
  didnt: ['did', 'not'],
  isnt: ['is', 'not'],
  wasnt: ['was', 'not'],
  arent: ['are', 'not'],
  werent: ['were', 'not'],
  hasnt: ['has', 'not'],
  havent: ['have', 'not'],
  hadnt: ['had', 'not'],
  couldnt: ['could', 'not'],
  wouldnt: ['would', 'not'],
  shouldnt: ['should', 'not'],
  wont: ['will', 'not'],
  im: ['i', 'am'],
};

export function expandWord(word: string): string[] {
  const lower = word.toLowerCase().replace(/’/g, "'");
  if (lower === 'cannot') return ['can', 'not'];
  const bare = APOSTROPHE_LESS[lower];
  if (bare) return [...bare];
  if (!lower.includes("'")) return [lower];
  const irregular = IRREGULAR_NEGATIONS[lower];
  if (irregular) return [irregular, 'not'];
  if (lower === "let's") return ['let', 'us'];
  if (IS_CONTRACTIONS.has(lower)) return [lower.slice(0, -2), 'is'];
  for (const [suffix, expansion] of CONTRACTION_SUFFIXES) {
    if (lower.endsWith(suffix) && lower.length > suffix.length) return [lower.slice(0, -suffix.length), expansion];
  }
  if (lower.endsWith("'s")) return [lower.slice(0, -2)];
  // Quotes used as quotation marks around a word ("'urgent'") are not part of it.
  return [lower.replace(/'/g, '')].filter((w) => w !== '');
}

interface WordForm {
  norm: string;
  stem: string;
}

// Messages repeat the same words: remember each written word's expansion and stems. Bounded,
// because ids, typos and numbers in arbitrary input must not grow memory without limit.
const wordForms = new Map<string, readonly WordForm[]>();
const WORD_FORMS_LIMIT = 50_000;

function formsOf(word: string): readonly WordForm[] {
  let forms = wordForms.get(word);
  if (forms === undefined) {
    forms = expandWord(word).map((norm) => ({ norm, stem: stem(norm) }));
    if (wordForms.size >= WORD_FORMS_LIMIT) wordForms.clear();
    wordForms.set(word, forms);
  }
  return forms;
}

// Boundaries between words, weakest first.
const Boundary = { None: 0, Clause: 1, Sentence: 2, Question: 3 } as const;
type Boundary = (typeof Boundary)[keyof typeof Boundary];

/** The strongest boundary in text[from, to): a sentence end (. ! ? line break) or a clause end. */
function boundaryIn(text: string, from: number, to: number): Boundary {
  let found: Boundary = Boundary.None;
  for (let i = from; i < to; i++) {
    switch (text.charCodeAt(i)) {
      case 0x3f: // ?
        return Boundary.Question;
      case 0x21: // !
      case 0x0a: // line break
        found = Boundary.Sentence;
        break;
      case 0x2e: {
        // "." ends a sentence only before a space or the end: not in "3.5" or "example.com".
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0x20;
        if (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) found = Boundary.Sentence;
        break;
      }
      case 0x2c: // ,
      case 0x3b: // ;
      case 0x3a: // :
      case 0x28: // (
      case 0x29: // )
      case 0x2013: // en dash
      case 0x2014: // em dash
        if (found === Boundary.None) found = Boundary.Clause;
        break;
    }
  }
  return found;
}

// The very words natural's tokenizer finds (its pattern), read with their offsets in one pass.
const WORDS = new RegExp(WORD_PATTERN.source, WORD_PATTERN.flags);

export function tokenize(text: string): TokenizedText {
  const tokens: Token[] = [];
  const questionSentences: boolean[] = [false];
  let sentence = 0;
  let clause = 0;
  let cursor = 0;
  WORDS.lastIndex = 0;
  for (let match = WORDS.exec(text); match !== null; match = WORDS.exec(text)) {
    const word = match[0];
    const start = match.index;
    const boundary = tokens.length > 0 ? boundaryIn(text, cursor, start) : Boundary.None;
    if (boundary >= Boundary.Sentence) {
      if (boundary === Boundary.Question) questionSentences[sentence] = true;
      sentence++;
      clause++;
      questionSentences[sentence] = false;
    } else if (boundary === Boundary.Clause) {
      clause++;
    }
    const end = start + word.length;
    cursor = end;
    for (const form of formsOf(word)) {
      if (form.norm === 'but') clause++;
      tokens.push({ norm: form.norm, stem: form.stem, start, end, sentence, clause });
    }
  }
  if (boundaryIn(text, cursor, text.length) === Boundary.Question) questionSentences[sentence] = true;
  markUnpunctuatedQuestions(tokens, questionSentences);
  return { tokens, questionClauses: questionClausesOf(tokens, questionSentences) };
}

// Chat lines often ask without a question mark ("where do i change my bank details"). A sentence
// that opens with one of these, after at most a greeting, asks. Not "when" ("when I upload a file
// I get an error" reports) and not the yes/no openers ("is stuck", "can't log in").
const WH_OPENERS = new Set(['how', 'what', 'where', 'why', 'which', 'who']);
const GREETINGS = new Set(['hi', 'hello', 'hey', 'dear', 'ok', 'okay', 'so', 'also', 'and', 'btw', 'thanks']);

function markUnpunctuatedQuestions(tokens: readonly Token[], questionSentences: boolean[]): void {
  let sentence = -1;
  let checked = 0;
  for (const token of tokens) {
    if (token.sentence !== sentence) {
      sentence = token.sentence;
      checked = 0;
    }
    if (checked >= 2 || questionSentences[sentence]) continue;
    checked++;
    if (WH_OPENERS.has(token.norm)) questionSentences[sentence] = true;
    else if (!GREETINGS.has(token.norm)) checked = 2;
  }
}

/** Per clause: does it ask (see TokenizedText)? Decided by the clause's first token. */
function questionClausesOf(tokens: readonly Token[], questionSentences: readonly boolean[]): boolean[] {
  if (!questionSentences.includes(true)) return [];
  const lastClause: number[] = [];
  for (const token of tokens) lastClause[token.sentence] = token.clause;
  const asks: boolean[] = [];
  for (const token of tokens) {
    if (asks[token.clause] !== undefined || !questionSentences[token.sentence]) continue;
    asks[token.clause] = token.clause === lastClause[token.sentence] || QUESTION_OPENERS.has(token.norm);
  }
  return asks;
}
