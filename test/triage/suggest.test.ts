/**
 * The lexicon aid proposes words typical of each class for a person to review.
 */
import { describe, expect, it } from 'vitest';
import type { LabelledTicket } from '../../src/triage/eval/csv.js';
import { suggestTerms } from '../../src/triage/suggest.js';

const tickets: LabelledTicket[] = [
  ...Array.from({ length: 12 }, (_, i) => ({ subject: `Case ${i}`, body: `Total meltdown of the billing engine, invoices stuck (${i}).`, priority: 'high' as const })),
  ...Array.from({ length: 12 }, (_, i) => ({ subject: `Case ${i}`, body: `Please explain the billing engine settings page (${i}).`, priority: 'medium' as const })),
  ...Array.from({ length: 12 }, (_, i) => ({ subject: `Case ${i}`, body: `Someday a prettier billing engine logo would be lovely (${i}).`, priority: 'low' as const })),
];

describe('lexicon suggestions', () => {
  const proposals = suggestTerms(tickets, { maxWords: 3, minTickets: 5, top: 5 });

  it('proposes words and phrases found mostly in urgent tickets, with their wording and counts', () => {
    const top = proposals.high.map((p) => p.example);
    expect(top.some((w) => w.includes('meltdown'))).toBe(true);
    const meltdown = proposals.high.find((p) => p.example === 'meltdown')!;
    expect(meltdown.tickets).toEqual({ high: 12, medium: 0, low: 0 });
    expect(meltdown.z).toBeGreaterThan(0);
    expect(meltdown.meanTfIdf).toBeGreaterThan(0);
  });

  it('proposes low-priority wording for the low class', () => {
    expect(proposals.low.some((p) => p.example.includes('lovely') || p.example.includes('someday'))).toBe(true);
  });

  it('never proposes words every class shares', () => {
    for (const list of Object.values(proposals)) expect(list.map((p) => p.example)).not.toContain('billing engine');
  });
});
