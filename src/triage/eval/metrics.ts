/**
 * Scores of an urgency classifier against labelled tickets: the urgent class (label `high`)
 * first, because precision there is what decides whether staff trust the flag.
 */
import { PRIORITIES, type Priority } from './csv.js';
import type { UrgencyLevel } from '../classify.js';

/** The classifier's four levels on the datasets' three labels: urgent and high both mean `high`. */
export function levelToPriority(level: UrgencyLevel): Priority {
  return level === 'urgent' || level === 'high' ? 'high' : level === 'normal' ? 'medium' : 'low';
}

/** confusion[actual][predicted], in PRIORITIES order. */
export type Confusion = number[][];

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Scores {
  n: number;
  perClass: Record<Priority, ClassScores>;
  urgent: ClassScores;
  macroF1: number;
  confusion: Confusion;
}

export function emptyConfusion(): Confusion {
  return PRIORITIES.map(() => PRIORITIES.map(() => 0));
}

export function addToConfusion(confusion: Confusion, actual: Priority, predicted: Priority): void {
  confusion[PRIORITIES.indexOf(actual)]![PRIORITIES.indexOf(predicted)]!++;
}

export function confusionOf(actual: readonly Priority[], predicted: readonly Priority[]): Confusion {
  const confusion = emptyConfusion();
  actual.forEach((a, i) => addToConfusion(confusion, a, predicted[i]!));
  return confusion;
}

function f1(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

export function scoresOf(confusion: Confusion): Scores {
  const classScores = (k: number): ClassScores => {
    const truePositives = confusion[k]![k]!;
    const predicted = confusion.reduce((sum, row) => sum + row[k]!, 0);
    const support = confusion[k]!.reduce((sum, v) => sum + v, 0);
    const precision = predicted === 0 ? 0 : truePositives / predicted;
    const recall = support === 0 ? 0 : truePositives / support;
    return { precision, recall, f1: f1(precision, recall), support };
  };
  const perClass = Object.fromEntries(PRIORITIES.map((p, k) => [p, classScores(k)])) as Record<Priority, ClassScores>;
  const macroF1 = PRIORITIES.reduce((sum, p) => sum + perClass[p].f1, 0) / PRIORITIES.length;
  const n = confusion.reduce((sum, row) => sum + row.reduce((s, v) => s + v, 0), 0);
  return { n, perClass, urgent: perClass.high, macroF1, confusion };
}

/**
 * Precision of the urgent class at the first cut of the ranking (most urgent first) that reaches
 * `recall`: compares methods at the same recall rather than at their own thresholds.
 */
export function precisionAtRecall(urgency: readonly number[], isUrgent: readonly boolean[], recall: number): number {
  const positives = isUrgent.filter(Boolean).length;
  if (positives === 0) return 0;
  const order = [...urgency.keys()].sort((a, b) => urgency[b]! - urgency[a]!);
  let truePositives = 0;
  for (let k = 0; k < order.length; k++) {
    if (isUrgent[order[k]!]) truePositives++;
    if (truePositives / positives >= recall) return truePositives / (k + 1);
  }
  return truePositives / order.length;
}

/**
 * Area under the ROC curve of a ranking (higher = more urgent): the chance that a random urgent
 * ticket ranks above a random other one (ties count half). Threshold-free, so it says how well a
 * method orders tickets at all, which bounds the precision any threshold can buy at a recall.
 */
export function rocAuc(urgency: readonly number[], isUrgent: readonly boolean[]): number {
  const order = [...urgency.keys()].sort((a, b) => urgency[a]! - urgency[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && urgency[order[j]!] === urgency[order[i]!]) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (isUrgent[order[k]!]) {
        positives++;
        positiveRankSum += midRank;
      }
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
