/**
 * The evaluation tools decide whether a lexicon change ships: their CSV reading, scoring and
 * cross-validation must be right, and tuning must never see the tickets it is scored on.
 */
import { describe, expect, it } from 'vitest';
import { defaultLexicon } from '../../src/triage/lexicon.js';
import { parseCsv, parseLabelledTickets, type LabelledTicket, type Priority } from '../../src/triage/eval/csv.js';
import { crossValidate } from '../../src/triage/eval/evaluate.js';
import { stratifiedFolds } from '../../src/triage/eval/folds.js';
import { confusionOf, levelToPriority, precisionAtRecall, rocAuc, scoresOf } from '../../src/triage/eval/metrics.js';
import { regexPriority } from '../../src/triage/eval/baselines.js';
import { bagOfWords, trainLogistic } from '../../src/triage/eval/logistic.js';
import { bestThresholds } from '../../src/triage/eval/tune.js';

describe('reading labelled tickets (RFC 4180 CSV)', () => {
  it('handles quoted commas, doubled quotes, line breaks inside quotes and CRLF', () => {
    const csv = 'id,subject,body\r\n1,"Hi, there","He said ""down""\r\nthen left"\r\n2,x,y\r\n';
    expect(parseCsv(csv)).toEqual([
      ['id', 'subject', 'body'],
      ['1', 'Hi, there', 'He said "down"\r\nthen left'],
      ['2', 'x', 'y'],
    ]);
  });

  it('finds the columns by name and normalises priorities', () => {
    const tickets = parseLabelledTickets('priority,body,subject,language\nHIGH,It is down,Help,en\nlow,"thanks, all good",,en\n');
    expect(tickets).toEqual([
      { subject: 'Help', body: 'It is down', priority: 'high' },
      { subject: '', body: 'thanks, all good', priority: 'low' },
    ]);
  });

  it('names the record with an unknown priority', () => {
    expect(() => parseLabelledTickets('subject,body,priority\na,b,high\nc,d,critical\n')).toThrow(/record 2: priority must be high, medium or low, got "critical"/);
  });

  it('names a missing column', () => {
    expect(() => parseLabelledTickets('subject,text,priority\na,b,high\n')).toThrow(/no "body" column/);
  });

  it('refuses a file that ends inside a quoted field', () => {
    expect(() => parseCsv('a,"b\n')).toThrow(/inside a quoted field/);
  });
});

describe('scoring', () => {
  it('maps the four levels onto the three labels: urgent and high are both "high"', () => {
    expect(['urgent', 'high', 'normal', 'low'].map((l) => levelToPriority(l as 'urgent'))).toEqual(['high', 'high', 'medium', 'low']);
  });

  it('computes urgent precision/recall/F1 and macro-F1 from the confusion matrix', () => {
    const actual: Priority[] = ['high', 'high', 'medium', 'low', 'low'];
    const predicted: Priority[] = ['high', 'medium', 'high', 'low', 'low'];
    const scores = scoresOf(confusionOf(actual, predicted));
    expect(scores.urgent).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(scores.perClass.medium.f1).toBe(0);
    expect(scores.perClass.low.f1).toBe(1);
    expect(scores.macroF1).toBeCloseTo(0.5, 10);
    expect(scores.confusion).toEqual([
      [1, 1, 0],
      [1, 0, 0],
      [0, 0, 2],
    ]);
  });

  it('compares methods at the same recall: precision at the first cut that reaches it', () => {
    const urgency = [0.9, 0.8, 0.7, 0.6, 0.5];
    const isUrgent = [true, false, true, false, true];
    expect(precisionAtRecall(urgency, isUrgent, 1 / 3)).toBe(1);
    expect(precisionAtRecall(urgency, isUrgent, 0.6)).toBeCloseTo(2 / 3, 10);
    expect(precisionAtRecall(urgency, isUrgent, 1)).toBeCloseTo(3 / 5, 10);
  });

  it('AUC: the chance an urgent ticket ranks above another, ties counting half', () => {
    const isUrgent = [true, false, true, false];
    expect(rocAuc([4, 3, 2, 1], isUrgent)).toBeCloseTo(3 / 4, 10); // pairs (u,o): 4>3 4>1 2<3 2>1
    expect(rocAuc([4, 1, 3, 2], isUrgent)).toBe(1);
    expect(rocAuc([1, 4, 2, 3], isUrgent)).toBe(0);
    expect(rocAuc([5, 5, 5, 5], isUrgent)).toBe(0.5);
    expect(rocAuc([1, 2], [true, true])).toBe(0.5); // one class only: no pairs to order
  });

  it('best thresholds can maximise another objective (macro-F1 alone, for the bound)', () => {
    const labels: Priority[] = ['low', 'low', 'medium', 'medium', 'high', 'high'];
    const best = bestThresholds(Float64Array.from([1, 2, 3, 4, 5, 6]), labels, (c) => scoresOf(c).macroF1);
    expect(best.value).toBe(1);
    expect(best.low).toBeGreaterThan(2);
    expect(best.low).toBeLessThan(3);
    expect(best.high).toBeGreaterThan(4);
    expect(best.high).toBeLessThan(5);
  });

  it('the naive regex baseline flags its keywords anywhere and never predicts low', () => {
    expect(regexPriority('Please download the report')).toBe('high'); // "down" inside "download": the naivety it measures
    expect(regexPriority('No rush at all')).toBe('medium');
  });
});

describe('the supervised reference (logistic regression on words and pairs)', () => {
  it('reads stemmed words and adjacent pairs, once each', () => {
    expect(bagOfWords({ subject: 'Servers', body: 'crashed, servers crashed' })).toEqual(['server', 'crash', 'server_crash', 'crash_server']);
  });

  it('learns which words go with the label, deterministically, ignoring one-off words', () => {
    const docs = [
      ['outage', 'today'],
      ['outage', 'again'],
      ['outage', 'ever'],
      ['question', 'today'],
      ['question', 'again'],
      ['question', 'once'],
    ];
    const targets = [1, 1, 1, 0, 0, 0] as const;
    const model = trainLogistic(docs, [...targets], { l2: 0.1 });
    expect(model.score(['outage'])).toBeGreaterThan(1);
    expect(model.score(['question'])).toBeLessThan(-1);
    expect(model.score(['ever'])).toBeCloseTo(model.score([]), 10); // seen in one document: dropped
    expect(trainLogistic(docs, [...targets], { l2: 0.1 }).score(['outage', 'today'])).toBe(model.score(['outage', 'today']));
  });
});

describe('folds', () => {
  const labels = [...Array(50).fill('high'), ...Array(30).fill('medium'), ...Array(20).fill('low')] as Priority[];

  it('spreads every label evenly over the folds', () => {
    const fold = stratifiedFolds(labels, 5);
    for (let f = 0; f < 5; f++) {
      const inFold = labels.filter((_, i) => fold[i] === f);
      expect(inFold.length).toBe(20);
      expect(inFold.filter((l) => l === 'high').length).toBe(10);
      expect(inFold.filter((l) => l === 'low').length).toBe(4);
    }
  });

  it('gives the same folds for the same seed, so every method is compared on the same split', () => {
    expect(stratifiedFolds(labels, 5, 7)).toEqual(stratifiedFolds(labels, 5, 7));
    expect(stratifiedFolds(labels, 5, 7)).not.toEqual(stratifiedFolds(labels, 5, 8));
  });

  it('refuses fewer than two folds', () => {
    expect(() => stratifiedFolds(labels, 1)).toThrow(RangeError);
  });
});

describe('cross-validation', () => {
  const phrasings: [string, Priority][] = [
    ['The server crashed and all users are affected', 'high'],
    ['Outage: nothing works since the update, urgent', 'high'],
    ['Data loss after the migration, records are missing', 'high'],
    ['We were hacked, unauthorized access to admin', 'high'],
    ['The export fails with an error sometimes', 'medium'],
    ['How do I change the invoice address?', 'medium'],
    ['Could you share information about your API limits?', 'medium'],
    ['The report shows a small discrepancy in totals', 'medium'],
    ['Feature request: dark mode would be nice', 'low'],
    ['No rush, just a typo on the pricing page', 'low'],
  ];
  const tickets: LabelledTicket[] = Array.from({ length: 60 }, (_, i) => {
    const [body, priority] = phrasings[i % phrasings.length]!;
    return { subject: `Ticket ${i}`, body, priority };
  });
  const fold = tickets.map((_, i) => Math.floor(i / 20)); // three contiguous folds

  it('tunes each fold on the other folds only: relabelling a fold does not change its own tuning', () => {
    const lexicon = defaultLexicon();
    const original = crossValidate(tickets, lexicon, fold, 3);
    const relabelled = tickets.map((t, i) => (fold[i] === 0 ? { ...t, priority: 'high' as const } : t));
    const after = crossValidate(relabelled, lexicon, fold, 3);
    expect(after.tunings[0]).toEqual(original.tunings[0]);
    // The other folds train on fold 0, so their tuning may move; at least one must see the change.
    expect(after.tunings.slice(1)).not.toEqual(original.tunings.slice(1));
  });

  it('scores every ticket exactly once', () => {
    const { confusion } = crossValidate(tickets, defaultLexicon(), fold, 3);
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(tickets.length);
  });
});
