/**
 * Proposes lexicon terms from labelled tickets, for a person to review: words and phrases (stem
 * n-grams) whose share of tickets differs most between one class and the others — the log-odds
 * ratio of ticket proportions (with a 0.5 continuity correction) divided by its standard error —
 * with natural's TF-IDF beside it. Nothing here edits the lexicon: proposals need a human, because
 * a phrase that separates one dataset's rows is often an accident of that dataset.
 */
import { classifiedText } from './classify.js';
import { createTfIdf, stopWords } from './natural.js';
import { PRIORITIES, type LabelledTicket, type Priority } from './eval/csv.js';
import { tokenize } from './tokens.js';

export interface TermProposal {
  /** Stems joined by spaces. */
  term: string;
  /** The most frequent wording in the tickets, for the reviewer to read. */
  example: string;
  /** Log-odds ratio over its standard error: positive means typical of the class. */
  z: number;
  /** Tickets containing the term, per class. */
  tickets: Record<Priority, number>;
  /** Mean TF-IDF of the term over the class's tickets (natural's TfIdf). */
  meanTfIdf: number;
}

export interface SuggestOptions {
  /** Longest phrase, in words. */
  maxWords: number;
  /** Ignore terms found in fewer tickets than this. */
  minTickets: number;
  /** Proposals per class. */
  top: number;
}

interface TicketTerms {
  priority: Priority;
  terms: string[];
}

/** Stem n-grams of one ticket (within a clause; no n-gram starts or ends with a stop word). */
function ticketTerms(ticket: LabelledTicket, maxWords: number, examples: Map<string, Map<string, number>>): string[] {
  const text = classifiedText({ subject: ticket.subject, text: ticket.body });
  const { tokens } = tokenize(text);
  const terms: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (stopWords.has(tokens[i]!.norm)) continue;
    for (let n = 1; n <= maxWords && i + n <= tokens.length; n++) {
      const last = tokens[i + n - 1]!;
      if (last.clause !== tokens[i]!.clause) break;
      if (stopWords.has(last.norm) || /^\d+$/.test(last.norm)) continue;
      const term = tokens.slice(i, i + n).map((t) => t.stem).join(' ');
      terms.push(term);
      const wording = text.slice(tokens[i]!.start, last.end).toLowerCase();
      const forms = examples.get(term) ?? new Map<string, number>();
      forms.set(wording, (forms.get(wording) ?? 0) + 1);
      examples.set(term, forms);
    }
  }
  return terms;
}

export function suggestTerms(tickets: readonly LabelledTicket[], options: SuggestOptions): Record<Priority, TermProposal[]> {
  const examples = new Map<string, Map<string, number>>();
  const docs: TicketTerms[] = tickets.map((t) => ({ priority: t.priority, terms: ticketTerms(t, options.maxWords, examples) }));

  // Ticket frequency of each term per class: a term repeated in one ticket is one piece of evidence.
  const ticketCount = new Map<string, Record<Priority, number>>();
  for (const doc of docs) {
    for (const term of new Set(doc.terms)) {
      const counts = ticketCount.get(term) ?? { high: 0, medium: 0, low: 0 };
      counts[doc.priority]++;
      ticketCount.set(term, counts);
    }
  }
  const kept = [...ticketCount].filter(([, c]) => c.high + c.medium + c.low >= options.minTickets);

  const tfidf = createTfIdf();
  for (const doc of docs) tfidf.addDocument(doc.terms);
  const tfidfSum = new Map<string, Record<Priority, number>>();
  docs.forEach((doc, d) => {
    for (const { term, tfidf: value } of tfidf.listTerms(d)) {
      const sums = tfidfSum.get(term) ?? { high: 0, medium: 0, low: 0 };
      sums[doc.priority] += value;
      tfidfSum.set(term, sums);
    }
  });

  const classSize = Object.fromEntries(PRIORITIES.map((p) => [p, docs.filter((d) => d.priority === p).length])) as Record<Priority, number>;
  const CORRECTION = 0.5; // keeps terms seen in only one class finite

  const result = {} as Record<Priority, TermProposal[]>;
  for (const cls of PRIORITIES) {
    const inSize = classSize[cls];
    const outSize = docs.length - inSize;
    const proposals: TermProposal[] = kept.map(([term, counts]) => {
      const inClass = counts[cls];
      const outClass = counts.high + counts.medium + counts.low - inClass;
      const a = inClass + CORRECTION;
      const b = inSize - inClass + CORRECTION;
      const c = outClass + CORRECTION;
      const d = outSize - outClass + CORRECTION;
      const forms = [...(examples.get(term) ?? new Map<string, number>())].sort((x, y) => y[1] - x[1]);
      return {
        term,
        example: forms[0]?.[0] ?? term,
        z: Math.log((a * d) / (b * c)) / Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d),
        tickets: counts,
        meanTfIdf: (tfidfSum.get(term)?.[cls] ?? 0) / Math.max(1, inSize),
      };
    });
    // Equal evidence: the shorter term is the more general proposal.
    proposals.sort((x, y) => y.z - x.z || x.term.split(' ').length - y.term.split(' ').length || x.term.localeCompare(y.term));
    result[cls] = proposals.slice(0, options.top);
  }
  return result;
}
