/**
 * The two baselines the classifier must beat, run on the same folds: natural's bag-of-words
 * Naive Bayes (trained per fold) and the naive keyword regex.
 */
import { createBayesClassifier, type NaturalBayesClassifier } from '../natural.js';
import type { LabelledTicket, Priority } from './csv.js';

/** The naive keyword rule: any of these words anywhere means urgent; nothing is ever low. */
export const NAIVE_URGENT_REGEX = /urgent|asap|immediately|critical|emergency|outage|down/i;

export function ticketText(ticket: Pick<LabelledTicket, 'subject' | 'body'>): string {
  return `${ticket.subject}\n${ticket.body}`;
}

export function regexPriority(text: string): Priority {
  return NAIVE_URGENT_REGEX.test(text) ? 'high' : 'medium';
}

export function trainBayes(tickets: readonly LabelledTicket[]): NaturalBayesClassifier {
  const bayes = createBayesClassifier();
  for (const ticket of tickets) bayes.addDocument(ticketText(ticket), ticket.priority);
  bayes.train();
  return bayes;
}

/** natural's label as one of the file's priorities. */
function priorityOf(label: string | undefined): Priority {
  return label === 'high' || label === 'low' ? label : 'medium';
}

export function bayesPriority(bayes: NaturalBayesClassifier, text: string): Priority {
  return priorityOf(bayes.classify(text));
}

/**
 * natural's label (its `classify()` is the first of `getClassifications()`) and, from the same
 * posteriors, how much more it believes "high" than "low", to rank tickets by.
 */
export function bayesJudgement(bayes: NaturalBayesClassifier, text: string): { priority: Priority; urgency: number } {
  const classes = bayes.getClassifications(text);
  const total = classes.reduce((sum, c) => sum + c.value, 0);
  const share = (l: string) => (total === 0 ? 0 : (classes.find((c) => c.label === l)?.value ?? 0) / total);
  return { priority: priorityOf(classes[0]?.label), urgency: share('high') - share('low') };
}
