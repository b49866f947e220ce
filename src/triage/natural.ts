/**
 * The one door to `natural` (pinned at 8.1.1). Deep imports only: the package root costs ~450 ms,
 * opens database clients and runs `dotenv.config()` (see ../shared/STACK-NOTES.md). The deep paths
 * are private to natural, hence the pin and this single module, with the few types we use.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface RegexpTokenizerInstance {
  tokenize(text: string): string[] | null;
}
interface TokenizersModule {
  RegexpTokenizer: new (options: { pattern: RegExp; gaps: boolean }) => RegexpTokenizerInstance;
}
interface PorterStemmerModule {
  stem(token: string): string;
}
export interface NaturalBayesClassifier {
  addDocument(text: string | string[], label: string): void;
  train(): void;
  classify(text: string | string[]): string;
  /** Every label with its (unnormalised) posterior, most likely first. */
  getClassifications(text: string | string[]): { label: string; value: number }[];
}
interface TfIdfTerm {
  term: string;
  tf: number;
  idf: number;
  tfidf: number;
}
export interface NaturalTfIdf {
  addDocument(document: string | string[]): void;
  listTerms(documentIndex: number): TfIdfTerm[];
  idf(term: string): number;
}

const tokenizers = require('natural/lib/natural/tokenizers') as TokenizersModule;
const porter = require('natural/lib/natural/stemmers/porter_stemmer') as PorterStemmerModule;
const BayesClassifier = require('natural/lib/natural/classifiers/bayes_classifier') as new () => NaturalBayesClassifier;
const TfIdf = require('natural/lib/natural/tfidf/tfidf') as new () => NaturalTfIdf;
const stopwords = require('natural/lib/natural/util/stopwords') as { words: string[] };

/** natural's English stop-word list (the one its Bayes classifier drops). */
export const stopWords: ReadonlySet<string> = new Set(stopwords.words);

/**
 * Words as natural's RegexpTokenizer finds them, with a Unicode pattern that keeps contractions
 * ("isn't", "I'm") whole so negation can be read from them; natural's WordTokenizer would split
 * "isn't" into "isn" + "t" and cut accented words apart.
 */
export const WORD_PATTERN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;
const wordTokenizer = new tokenizers.RegexpTokenizer({ pattern: WORD_PATTERN, gaps: false });

export function tokenizeWords(text: string): string[] {
  return wordTokenizer.tokenize(text) ?? [];
}

/** Uncached Porter stemming caps the pipeline near 9,000 messages/s (STACK-NOTES); words repeat, so cache them. */
const stemCache = new Map<string, string>();
const STEM_CACHE_LIMIT = 50_000;

export function stem(lowercaseWord: string): string {
  let stemmed = stemCache.get(lowercaseWord);
  if (stemmed === undefined) {
    stemmed = porter.stem(lowercaseWord);
    // A bounded cache: arbitrary input (ids, typos) must not grow memory without limit.
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(lowercaseWord, stemmed);
  }
  return stemmed;
}

/** natural's BayesClassifier with its defaults (Porter stemmer, stop words removed). */
export function createBayesClassifier(): NaturalBayesClassifier {
  return new BayesClassifier();
}

export function createTfIdf(): NaturalTfIdf {
  return new TfIdf();
}
