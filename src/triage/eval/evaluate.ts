/**
 * Scores the classifier on labelled tickets, either as shipped (how unseen data is measured) or
 * cross-validated with category weights and thresholds tuned on the training folds only, beside
 * the baselines on the same folds.
 */
import { classify } from '../classify.js';
import type { CompiledLexicon } from '../lexicon.js';
import { bayesJudgement, regexPriority, ticketText, trainBayes } from './baselines.js';
import { ticketInput, type LabelledTicket, type Priority } from './csv.js';
import { stratifiedFolds } from './folds.js';
import { bagOfWords, trainLogistic } from './logistic.js';
import { addToConfusion, emptyConfusion, levelToPriority, scoresOf, type Confusion, type Scores } from './metrics.js';
import { applyTuning, featuresOf, tune, type Tuning } from './tune.js';

export interface EvaluationOptions {
  /** Cross-validate with this many folds; null scores the lexicon as shipped. */
  folds: number | null;
  baseline: boolean;
  /** Also fit the supervised reference (logistic.ts) on the same folds. */
  reference?: boolean;
  seed?: number;
}

export interface MethodResult {
  name: string;
  /** For sentences: "natural Bayes", "the regex". */
  shortName: string;
  scores: Scores;
  /**
   * Per ticket, how urgent the method finds it (higher = more urgent). For the lexicon: how far the
   * score is above the (fold's) high threshold.
   */
  ranking: number[];
  note?: string;
}

export interface Evaluation {
  ours: MethodResult;
  baselines: MethodResult[];
  /** Not baselines to beat: models fitted to the labels, to show how much of them the text can explain. */
  references: MethodResult[];
  /** One per fold, when cross-validated. */
  tunings: Tuning[];
}

// natural's Bayes has to be trained, so without --folds it is cross-validated with this many.
const BAYES_DEFAULT_FOLDS = 5;

/** The predicted label, and the score's distance above the high threshold (for ranking). */
function predictWith(lexicon: CompiledLexicon, ticket: LabelledTicket): { priority: Priority; urgency: number } {
  const result = classify(ticketInput(ticket), lexicon);
  return { priority: levelToPriority(result.level), urgency: result.score - lexicon.source.thresholds.high };
}

function crossValidatedBayes(tickets: readonly LabelledTicket[], fold: readonly number[], k: number): { scores: Scores; ranking: number[] } {
  const confusion = emptyConfusion();
  const ranking = new Array<number>(tickets.length).fill(0);
  for (let f = 0; f < k; f++) {
    const bayes = trainBayes(tickets.filter((_, i) => fold[i] !== f));
    tickets.forEach((t, i) => {
      if (fold[i] !== f) return;
      const judged = bayesJudgement(bayes, ticketText(t));
      addToConfusion(confusion, t.priority, judged.priority);
      ranking[i] = judged.urgency;
    });
  }
  return { scores: scoresOf(confusion), ranking };
}

/**
 * The supervised reference (see logistic.ts): per fold, one model for "high" and one for "low"
 * fitted on the training folds; a ticket's urgency is the difference of their log-odds. Its
 * levels cut each test fold's ranking at the training folds' label shares (thresholds fitted on
 * training scores would not transfer: a model this size nearly separates its own training rows).
 */
function crossValidatedLogistic(tickets: readonly LabelledTicket[], fold: readonly number[], k: number): { scores: Scores; ranking: number[] } {
  const features = tickets.map(bagOfWords);
  const confusion = emptyConfusion();
  const ranking = new Array<number>(tickets.length).fill(0);
  for (let f = 0; f < k; f++) {
    const train = tickets.flatMap((_, i) => (fold[i] !== f ? [i] : []));
    const test = tickets.flatMap((_, i) => (fold[i] === f ? [i] : []));
    const model = (label: Priority) => trainLogistic(train.map((i) => features[i]!), train.map((i) => (tickets[i]!.priority === label ? 1 : 0)));
    const high = model('high');
    const low = model('low');
    for (const i of test) ranking[i] = high.score(features[i]!) - low.score(features[i]!);
    const share = (label: Priority) => train.filter((i) => tickets[i]!.priority === label).length / train.length;
    const ordered = [...test].sort((a, b) => ranking[b]! - ranking[a]!);
    const highCount = Math.round(share('high') * test.length);
    const lowCount = Math.round(share('low') * test.length);
    ordered.forEach((i, rank) =>
      addToConfusion(confusion, tickets[i]!.priority, rank < highCount ? 'high' : rank >= test.length - lowCount ? 'low' : 'medium'),
    );
  }
  return { scores: scoresOf(confusion), ranking };
}

function regexScores(tickets: readonly LabelledTicket[]): { scores: Scores; ranking: number[] } {
  const confusion = emptyConfusion();
  const ranking = tickets.map((t) => {
    const predicted = regexPriority(ticketText(t));
    addToConfusion(confusion, t.priority, predicted);
    return predicted === 'high' ? 1 : 0;
  });
  return { scores: scoresOf(confusion), ranking };
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
    const tuning = tune({ categories: features.categories, rows: features.rows.filter((_, i) => fold[i] !== f) }, lexicon);
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

  if (options.folds === null) {
    const confusion = emptyConfusion();
    const ranking = tickets.map((t) => {
      const predicted = predictWith(lexicon, t);
      addToConfusion(confusion, t.priority, predicted.priority);
      return predicted.urgency;
    });
    ours = { name: 'lexicon classifier (as shipped)', shortName: 'lexicon classifier', scores: scoresOf(confusion), ranking };
  } else {
    const cv = crossValidate(tickets, lexicon, fold, k);
    tunings.push(...cv.tunings);
    ours = { name: `lexicon classifier (${k}-fold CV, tuned on training folds)`, shortName: 'lexicon classifier', scores: scoresOf(cv.confusion), ranking: cv.urgency };
  }

  const baselines: MethodResult[] = [];
  if (options.baseline) {
    baselines.push({
      name: `natural BayesClassifier (${k}-fold CV)`,
      shortName: 'natural Bayes',
      ...crossValidatedBayes(tickets, fold, k),
      ...(options.folds === null ? { note: `trained, so cross-validated with ${k} folds` } : {}),
    });
    baselines.push({ name: 'regex urgent|asap|immediately|critical|emergency|outage|down', shortName: 'the regex', ...regexScores(tickets) });
  }
  const references: MethodResult[] = [];
  if (options.reference) {
    references.push({
      name: `logistic regression, words + pairs (${k}-fold CV)`,
      shortName: 'logistic regression',
      ...crossValidatedLogistic(tickets, fold, k),
      note: 'supervised reference',
    });
  }
  return { ours, baselines, references, tunings };
}
