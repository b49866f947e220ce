/**
 * Does the classifier say *why* the way a support lead would? A behaviour-suite case names the
 * words that should explain its level; the classifier's evidence explains it when an item
 * pushing towards that level (up for urgent/high, down for low, either way for normal) covers
 * some of those words in the text staff see.
 */
import { classify, type TriageResult, type UrgencyLevel } from '../classify.js';
import type { CompiledLexicon } from '../lexicon.js';
import { ticketInput, type LabelledTicket } from './csv.js';

export function evidenceExplains(result: TriageResult, phrase: string, levels: readonly UrgencyLevel[]): boolean {
  const up = levels.every((l) => l === 'urgent' || l === 'high');
  const down = levels.every((l) => l === 'low');
  const at = result.text.indexOf(phrase);
  // Words the classifier never read (quoted history, a signature) cannot explain anything.
  if (at < 0) return false;
  const end = at + phrase.length;
  return result.evidence.some(
    (e) =>
      e.start !== null &&
      e.end !== null &&
      e.start < end &&
      e.end > at &&
      (up ? e.weight > 0 : down ? e.weight < 0 : true),
  );
}

export interface CaseOutcome {
  id: string;
  /** The levels the case accepts; the first (most urgent) is its row in the confusion. */
  expected: UrgencyLevel[];
  right: boolean;
  got: UrgencyLevel;
  /** null when the case names no evidence (some normal cases). */
  explained: boolean | null;
  expectedEvidence: string | undefined;
  /** The strongest evidence, as staff would see it first. */
  strongest: string;
}

const LEVELS: readonly UrgencyLevel[] = ['urgent', 'high', 'normal', 'low'];

export function caseOutcomes(tickets: readonly LabelledTicket[], lexicon: CompiledLexicon): CaseOutcome[] {
  return tickets.flatMap((ticket, n) => {
    if (!ticket.levels) return [];
    const result = classify(ticketInput(ticket), lexicon);
    const top = result.evidence.slice(0, 2).map((e) => `"${e.phrase}" ${e.category} ${e.weight > 0 ? '+' : ''}${e.weight}`);
    return [
      {
        id: ticket.id ?? `#${n + 1}`,
        expected: ticket.levels,
        right: ticket.levels.includes(result.level),
        got: result.level,
        explained: ticket.evidence === undefined ? null : evidenceExplains(result, ticket.evidence, ticket.levels),
        expectedEvidence: ticket.evidence,
        strongest: top.length > 0 ? top.join(', ') : '(no evidence)',
      },
    ];
  });
}

/** confusion[expected][got] over the four levels, most urgent first. */
export function levelConfusion(outcomes: readonly CaseOutcome[]): number[][] {
  const confusion = LEVELS.map(() => LEVELS.map(() => 0));
  for (const o of outcomes) {
    // A case accepting several levels is counted where it landed when right, else at its first level.
    const row = o.right ? o.got : o.expected[0]!;
    confusion[LEVELS.indexOf(row)]![LEVELS.indexOf(o.got)]!++;
  }
  return confusion;
}

export { LEVELS };
