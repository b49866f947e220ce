/**
 * Scores the classifier on labelled tickets, either as shipped (how unseen data is measured) or
 * cross-validated with category weights and thresholds tuned on the training folds only, beside
 * the baselines on the same folds.
 */
import { classify } from '../classify.js';
import type { CompiledLexicon } from '../lexicon.js';
import { bayesPriority, regexPriority, ticketText, trainBayes } from './baselines.js';
import type { LabelledTicket, Priority } from './csv.js';
import { stratifiedFolds } from './folds.js';
import { addToConfusion, emptyConfusion, levelToPriority, scoresOf, type Confusion, type Scores } from './metrics.js';
import { applyTuning, featuresOf, tune, type Tuning } from './tune.js';

export interface EvaluationOptions {
  /** Cross-validate with this many folds; null scores the lexicon as shipped. */
  folds: number | null;
  baseline: boolean;
  seed?: number;
}

export interface MethodResult {
  name: string;
  /** For sentences: "natural Bayes", "the regex". */
  shortName: string;
  scores: Scores;
  note?: string;
}

export interface Evaluation {
  ours: MethodResult;
  /** Per ticket, how far its score is above the (fold's) high threshold: our urgency ranking. */
  urgency: number[];
  baselines: MethodResult[];
  /** One per fold, when cross-validated. */
  tunings: Tuning[];
}

// natural's Bayes has to be trained, so without --folds it is cross-validated with this many.
const BAYES_DEFAULT_FOLDS = 5;

/** The predicted label, and the score's distance above the high threshold (for ranking). */
function predictWith(lexicon: CompiledLexicon, ticket: LabelledTicket): { priority: Priority; urgency: number } {
  const result = classify({ subject: ticket.subject, text: ticket.body }, lexicon);
  return { priority: levelToPriority(result.level), urgency: result.score - lexicon.source.thresholds.high };
}

function crossValidatedBayes(tickets: readonly LabelledTicket[], fold: readonly number[], k: number): Scores {
  const confusion = emptyConfusion();
  for (let f = 0; f < k; f++) {
    const bayes = trainBayes(tickets.filter((_, i) => fold[i] !== f));
    tickets.forEach((t, i) => {
      if (fold[i] === f) addToConfusion(confusion, t.priority, bayesPriority(bayes, ticketText(t)));
    });
  }
  return scoresOf(confusion);
}

function regexScores(tickets: readonly LabelledTicket[]): Scores {
  const confusion = emptyConfusion();
  for (const t of tickets) addToConfusion(confusion, t.priority, regexPriority(ticketText(t)));
  return scoresOf(confusion);
}

/**
 * For each fold: tune category weights and thresholds on the other folds' tickets only, then
 * classify the fold's tickets with the tuned lexicon. Returns the pooled confusion matrix.
 */
export function crossValidate(
  tickets: readonly LabelledTicket[],
  lexicon: CompiledLexicon,
  fold: readonly number[],
  k: number,
): { confusion: Confusion; tunings: Tuning[]; urgency: number[] } {
  // Features depend only on the lexicon as written (not on labels), so compute them once.
  const features = featuresOf(tickets, lexicon);
  const confusion = emptyConfusion();
  const tunings: Tuning[] = [];
  const urgency = new Array<number>(tickets.length).fill(0);
  for (let f = 0; f < k; f++) {
    const tuning = tune(
      features.filter((_, i) => fold[i] !== f),
      lexicon,
    );
    tunings.push(tuning);
    const tuned = applyTuning(lexicon, tuning);
    tickets.forEach((t, i) => {
      if (fold[i] !== f) return;
      const predicted = predictWith(tuned, t);
      addToConfusion(confusion, t.priority, predicted.priority);
      urgency[i] = predicted.urgency;
    });
  }
  return { confusion, tunings, urgency };
}

export function evaluate(tickets: readonly LabelledTicket[], lexicon: CompiledLexicon, options: EvaluationOptions): Evaluation {
  const labels = tickets.map((t) => t.priority);
  const k = options.folds ?? BAYES_DEFAULT_FOLDS;
  const fold = stratifiedFolds(labels, k, options.seed);
  const tunings: Tuning[] = [];
  let ours: MethodResult;
  let urgency: number[];

  if (options.folds === null) {
    const confusion = emptyConfusion();
    urgency = tickets.map((t) => {
      const predicted = predictWith(lexicon, t);
      addToConfusion(confusion, t.priority, predicted.priority);
      return predicted.urgency;
    });
    ours = { name: 'lexicon classifier (as shipped)', shortName: 'lexicon classifier', scores: scoresOf(confusion) };
  } else {
    const cv = crossValidate(tickets, lexicon, fold, k);
    tunings.push(...cv.tunings);
    urgency = cv.urgency;
    ours = { name: `lexicon classifier (${k}-fold CV, tuned on training folds)`, shortName: 'lexicon classifier', scores: scoresOf(cv.confusion) };
  }

  const baselines: MethodResult[] = [];
  if (options.baseline) {
    baselines.push({
      name: `natural BayesClassifier (${k}-fold CV)`,
      shortName: 'natural Bayes',
      scores: crossValidatedBayes(tickets, fold, k),
      ...(options.folds === null ? { note: `trained, so cross-validated with ${k} folds` } : {}),
    });
    baselines.push({ name: 'regex urgent|asap|immediately|critical|emergency|outage|down', shortName: 'the regex', scores: regexScores(tickets) });
  }
  return { ours, urgency, baselines, tunings };
}
