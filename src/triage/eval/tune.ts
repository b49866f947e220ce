/**
 * Fits how much each lexicon category counts, and the thresholds between levels, on labelled
 * tickets. The lexicon's phrases stay as written: only one multiplier per category is learned
 * (coordinate ascent over a small grid), which is few enough parameters for a thousand noisy rows.
 * Cross-validation calls this on training folds only.
 */
import { classify } from '../classify.js';
import { compileLexicon, type CompiledLexicon, type Lexicon } from '../lexicon.js';
import { PRIORITIES, type LabelledTicket, type Priority } from './csv.js';
import { scoresOf, type Confusion } from './metrics.js';

export interface Tuning {
  categoryScale: Record<string, number>;
  thresholds: Lexicon['thresholds'];
}

/** Per ticket: the score each category contributed with the lexicon as written, and the rest. */
export interface TicketFeatures {
  byCategory: Float64Array;
  other: number;
  priority: Priority;
}

// No zero: tuning may weaken a category but never delete what the lexicon's author wrote.
const SCALE_GRID = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3];
// A category seen in fewer training tickets than this keeps its written weight: too few to estimate.
const MIN_TICKETS_TO_TUNE = 25;
const PASSES = 2;
const THRESHOLD_CANDIDATES = 48;

/** What tuning maximises: the urgent class and the three-way split count equally. */
export function objective(confusion: Confusion): number {
  const scores = scoresOf(confusion);
  return 0.5 * scores.urgent.f1 + 0.5 * scores.macroF1;
}

export function featuresOf(tickets: readonly LabelledTicket[], lexicon: CompiledLexicon): TicketFeatures[] {
  const categories = Object.keys(lexicon.source.categories);
  return tickets.map((ticket) => {
    const byCategory = new Float64Array(categories.length);
    let other = 0;
    for (const e of classify({ subject: ticket.subject, text: ticket.body }, lexicon).evidence) {
      const index = categories.indexOf(e.category);
      if (index >= 0) byCategory[index]! += e.weight;
      else other += e.weight;
    }
    return { byCategory, other, priority: ticket.priority };
  });
}

function scoreAll(features: readonly TicketFeatures[], scale: Float64Array): Float64Array {
  const scores = new Float64Array(features.length);
  features.forEach((f, i) => {
    let s = f.other;
    for (let c = 0; c < scale.length; c++) s += scale[c]! * f.byCategory[c]!;
    scores[i] = s;
  });
  return scores;
}

/**
 * Best (low, high) thresholds for fixed scores: sort once, then read every candidate pair's
 * confusion matrix from prefix counts of each label.
 */
export function bestThresholds(
  scores: Float64Array,
  labels: readonly Priority[],
  value: (confusion: Confusion) => number = objective,
): { low: number; high: number; value: number } {
  const order = [...scores.keys()].sort((a, b) => scores[a]! - scores[b]!);
  const n = order.length;
  const prefix = PRIORITIES.map(() => new Int32Array(n + 1));
  order.forEach((row, i) => {
    PRIORITIES.forEach((p, k) => (prefix[k]![i + 1] = prefix[k]![i]! + (labels[row] === p ? 1 : 0)));
  });
  // Cut points only between different scores, spread over the quantiles.
  const cuts = new Set<number>([0, n]);
  for (let q = 1; q < THRESHOLD_CANDIDATES; q++) {
    let cut = Math.round((q * n) / THRESHOLD_CANDIDATES);
    while (cut > 0 && cut < n && scores[order[cut]!] === scores[order[cut - 1]!]) cut++;
    cuts.add(cut);
  }
  const sortedCuts = [...cuts].sort((a, b) => a - b);
  const between = (cut: number): number =>
    cut === 0 ? scores[order[0]!]! - 1 : cut === n ? scores[order[n - 1]!]! + 1 : (scores[order[cut - 1]!]! + scores[order[cut]!]!) / 2;
  const count = (k: number, from: number, to: number): number => prefix[k]![to]! - prefix[k]![from]!;
  let best = { low: -Infinity, high: Infinity, value: -1 };
  for (const lowCut of sortedCuts) {
    for (const highCut of sortedCuts) {
      if (highCut < lowCut) continue;
      // Rows [0, lowCut) are predicted low, [lowCut, highCut) medium, [highCut, n) high.
      const confusion = PRIORITIES.map((_, k) => [count(k, highCut, n), count(k, lowCut, highCut), count(k, 0, lowCut)]);
      const v = value(confusion);
      if (v > best.value + 1e-9) best = { low: between(lowCut), high: between(highCut), value: v };
    }
  }
  return best;
}

export function tune(features: readonly TicketFeatures[], lexicon: CompiledLexicon): Tuning {
  const categories = Object.keys(lexicon.source.categories);
  const labels = features.map((f) => f.priority);
  const scale = new Float64Array(categories.length).fill(1);
  const used = categories.map((_, c) => features.filter((f) => f.byCategory[c] !== 0).length >= MIN_TICKETS_TO_TUNE);
  let best = bestThresholds(scoreAll(features, scale), labels);
  for (let pass = 0; pass < PASSES; pass++) {
    for (let c = 0; c < categories.length; c++) {
      if (!used[c]) continue;
      let bestScale = scale[c]!;
      for (const candidate of SCALE_GRID) {
        if (candidate === bestScale) continue;
        scale[c] = candidate;
        const result = bestThresholds(scoreAll(features, scale), labels);
        // Only a real improvement moves a weight away from what the lexicon's author wrote.
        if (result.value > best.value + 1e-4) {
          best = result;
          bestScale = candidate;
        }
      }
      scale[c] = bestScale;
    }
  }
  const gap = lexicon.source.thresholds.urgent - lexicon.source.thresholds.high;
  return {
    categoryScale: Object.fromEntries(categories.map((c, i) => [c, scale[i]!])),
    thresholds: { urgent: best.high + gap, high: best.high, low: Math.min(best.low, best.high - 1e-3) },
  };
}

/** The lexicon with tuned category weights and thresholds, ready for `classify`. */
export function applyTuning(lexicon: CompiledLexicon, tuning: Tuning): CompiledLexicon {
  const source = lexicon.source;
  const categories = Object.fromEntries(
    Object.entries(source.categories).map(([name, category]) => {
      const scale = tuning.categoryScale[name] ?? 1;
      return [name, { ...category, terms: Object.fromEntries(Object.entries(category.terms).map(([p, w]) => [p, w * scale])) }];
    }),
  );
  return compileLexicon({ ...source, thresholds: tuning.thresholds, categories });
}
