/**
 * A supervised reference for the evaluation: L2-regularised logistic regression over every
 * stemmed word and word pair, fitted to the training folds' labels. It is not a candidate for
 * production (it cannot say why, and it learns the labels' noise); it answers a different
 * question: how much of the labels can *any* bag-of-words model recover from this text? When a
 * model fitted word by word to the labels ranks no better than the lexicon, the limit is the
 * labels, not the lexicon.
 */
import { stem, tokenizeWords } from '../natural.js';
import type { LabelledTicket } from './csv.js';
import { ticketText } from './baselines.js';

/** Distinct stemmed words and adjacent word pairs ("lost", "lost_data") of a ticket. */
export function bagOfWords(ticket: Pick<LabelledTicket, 'subject' | 'body'>): string[] {
  const words = tokenizeWords(ticketText(ticket).toLowerCase()).map(stem);
  const features = new Set<string>(words);
  for (let i = 1; i < words.length; i++) features.add(`${words[i - 1]}_${words[i]}`);
  return [...features];
}

export interface LogisticModel {
  /** The log-odds of the positive class. */
  score(features: readonly string[]): number;
}

export interface LogisticOptions {
  /** L2 penalty, in units of one example's loss. */
  l2: number;
  iterations: number;
  learningRate: number;
  /** Features seen in fewer training examples than this are dropped: one-off words only memorise. */
  minDocuments: number;
}

const DEFAULTS: LogisticOptions = { l2: 10, iterations: 300, learningRate: 0.5, minDocuments: 2 };

/**
 * Full-batch gradient descent from zero weights: deterministic (no shuffling, no seed), and a
 * thousand sparse rows converge well within the iterations.
 */
export function trainLogistic(examples: readonly (readonly string[])[], targets: readonly (0 | 1)[], options: Partial<LogisticOptions> = {}): LogisticModel {
  const { l2, iterations, learningRate, minDocuments } = { ...DEFAULTS, ...options };
  const documents = new Map<string, number>();
  for (const features of examples) for (const f of features) documents.set(f, (documents.get(f) ?? 0) + 1);
  const index = new Map<string, number>();
  for (const [feature, count] of documents) if (count >= minDocuments) index.set(feature, index.size);
  const rows = examples.map((features) => Int32Array.from(features.flatMap((f) => (index.has(f) ? [index.get(f)!] : []))));

  const weights = new Float64Array(index.size);
  let bias = 0;
  const n = rows.length;
  const gradient = new Float64Array(index.size);
  for (let iteration = 0; iteration < iterations; iteration++) {
    gradient.fill(0);
    let biasGradient = 0;
    rows.forEach((row, i) => {
      let z = bias;
      for (const j of row) z += weights[j]!;
      const error = 1 / (1 + Math.exp(-z)) - targets[i]!;
      biasGradient += error;
      for (const j of row) gradient[j]! += error;
    });
    for (let j = 0; j < weights.length; j++) weights[j]! -= (learningRate * (gradient[j]! + l2 * weights[j]!)) / n;
    bias -= (learningRate * biasGradient) / n;
  }
  return {
    score(features) {
      let z = bias;
      for (const f of features) {
        const j = index.get(f);
        if (j !== undefined) z += weights[j]!;
      }
      return z;
    },
  };
}
