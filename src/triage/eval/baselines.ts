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

export function bayesPriority(bayes: NaturalBayesClassifier, text: string): Priority {
  const label = bayes.classify(text);
  return label === 'high' || label === 'low' ? label : 'medium';
}

/** How much more natural's Bayes believes "high" than "low" (posterior shares), to rank tickets by. */
export function bayesUrgency(bayes: NaturalBayesClassifier, text: string): number {
  const classes = bayes.getClassifications(text);
  const total = classes.reduce((sum, c) => sum + c.value, 0);
  if (total === 0) return 0;
  const share = (label: string) => (classes.find((c) => c.label === label)?.value ?? 0) / total;
  return share('high') - share('low');
}
