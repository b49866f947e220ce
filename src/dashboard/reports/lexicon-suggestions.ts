import { sql } from 'kysely';
import type { Store } from '../../store/store.js';
import { classify, type UrgencyLevel } from '../../triage/classify.js';
import { PRIORITIES, type LabelledTicket, type Priority } from '../../triage/eval/csv.js';
import { suggestTerms } from '../../triage/suggest.js';
import type { Redactor } from './redaction.js';

/**
 * Lexicon term proposals from staff corrections: each corrected conversation (staff's latest
 * word on it) is a labelled ticket — the text the classifier read, labelled with the level staff
 * chose — and `suggestTerms` (the `triage:suggest` tool) finds the wording most typical of each
 * class. A person reviews these before anything goes into src/triage/lexicon.yaml.
 */

/** Staff's level as the evaluation tools' three classes. */
export const PRIORITY_OF: Record<UrgencyLevel, Priority> = { urgent: 'high', high: 'high', normal: 'medium', low: 'low' };
/** Corrections are few, so a wording seen in two of them is already worth a look. */
const OPTIONS = { top: 15, minTickets: 2, maxWords: 3 };
/** Corrections read (the most recent): enough for proposals, bounded for the page. */
const MAX_CORRECTIONS = 5000;

export interface Suggestion {
  /** The most frequent wording of the term. */
  wording: string;
  /** Stems, as `suggestTerms` matched them. */
  term: string;
  z: number;
  /** Corrected conversations containing it, per class. */
  tickets: Record<Priority, number>;
  /** Lexicon categories that already fire on the wording; empty: a new proposal. */
  coveredBy: string[];
}

export interface SuggestionReport {
  corrections: number;
  perClass: Record<Priority, number>;
  suggestions: Record<Priority, Suggestion[]>;
  minTickets: number;
}

/** Which lexicon categories already fire on this wording (as `triage:suggest` reports it). */
export function lexiconCoverage(wording: string): string[] {
  return [...new Set(classify({ text: wording }).evidence.filter((e) => e.start !== null).map((e) => e.category))].sort();
}

/** The classified text is "subject\nbody"; split back so the tool reads it as it was classified. */
export function ticketOf(classifiedText: string, level: UrgencyLevel): LabelledTicket {
  const newline = classifiedText.indexOf('\n');
  return {
    subject: newline < 0 ? '' : classifiedText.slice(0, newline),
    body: newline < 0 ? classifiedText : classifiedText.slice(newline + 1),
    priority: PRIORITY_OF[level],
  };
}

/** Staff's latest level per corrected conversation, newest first, as labelled tickets. */
async function latestCorrections(store: Store): Promise<(LabelledTicket & { conversationId: string })[]> {
  const rows = await sql<{ conversation_id: string; to_level: UrgencyLevel; classified_text: string }>`
    SELECT conversation_id, to_level, classified_text FROM (
      SELECT DISTINCT ON (conversation_id) conversation_id, to_level, classified_text, created_at
      FROM triage_overrides ORDER BY conversation_id, seq DESC
    ) latest ORDER BY created_at DESC LIMIT ${MAX_CORRECTIONS}`.execute(store.db);
  return rows.rows.map((r) => ({ conversationId: r.conversation_id, ...ticketOf(r.classified_text, r.to_level) }));
}

/**
 * The corrections as a CSV in the evaluation's format (`subject`, `body`, `priority`), so staff
 * judgements feed the same tools as the development set: `npm run triage:eval -- corrections.csv`
 * measures the lexicon on them, `npm run triage:suggest -- corrections.csv` proposes terms.
 */
export async function correctionsCsv(store: Store): Promise<{ csv: string; rows: number }> {
  const tickets = await latestCorrections(store);
  const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const lines = ['conversation_id,subject,body,priority', ...tickets.map((t) => [t.conversationId, t.subject, t.body, t.priority].map(field).join(','))];
  return { csv: `${lines.join('\n')}\n`, rows: tickets.length };
}

export async function lexiconSuggestions(deps: { store: Store; redact: Redactor }): Promise<SuggestionReport> {
  const { store, redact } = deps;
  const tickets = await latestCorrections(store);
  const perClass = Object.fromEntries(PRIORITIES.map((p) => [p, tickets.filter((t) => t.priority === p).length])) as Record<Priority, number>;
  const empty = Object.fromEntries(PRIORITIES.map((p) => [p, []])) as unknown as Record<Priority, Suggestion[]>;
  if (tickets.length === 0) return { corrections: 0, perClass, suggestions: empty, minTickets: OPTIONS.minTickets };
  const proposals = suggestTerms(tickets, OPTIONS);
  const suggestions = Object.fromEntries(
    PRIORITIES.map((p) => [
      p,
      // Only wording typical of the class (positive z); with few corrections the rest is noise.
      (perClass[p] > 0 ? proposals[p] : [])
        .filter((s) => s.z > 0 && s.tickets[p] > 0)
        .map((s) => ({ wording: redact(s.example), term: s.term, z: s.z, tickets: s.tickets, coveredBy: lexiconCoverage(s.example) })),
    ]),
  ) as Record<Priority, Suggestion[]>;
  return { corrections: tickets.length, perClass, suggestions, minTickets: OPTIONS.minTickets };
}
