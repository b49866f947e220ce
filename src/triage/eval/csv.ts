/**
 * Labelled tickets from a CSV file (RFC 4180: quoted fields may hold commas, quotes and line
 * breaks), with the `subject`, `body` and `priority` columns the evaluation tools need.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { TriageInput, UrgencyLevel } from '../classify.js';

export const PRIORITIES = ['high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface LabelledTicket {
  subject: string;
  body: string;
  priority: Priority;
  /** Behaviour-suite cases (suite.ts) carry more than a CSV row: the levels of four a lead accepts, */
  levels?: UrgencyLevel[];
  /** what the hub knows besides the text (channel, plan, repeat contact), */
  input?: TriageInput;
  /** the words that should explain the level, */
  evidence?: string | undefined;
  /** and a name to report it by. */
  id?: string;
}

/** What the classifier reads of a ticket: a suite case's full input, or a CSV row's subject and body. */
export function ticketInput(ticket: LabelledTicket): TriageInput {
  return ticket.input ?? { subject: ticket.subject, text: ticket.body };
}

export class CsvError extends Error {
  override readonly name = 'CsvError';
}

/** Rows of fields. RFC 4180 §2: fields in double quotes, a doubled quote inside is one quote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte-order mark is not data
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new CsvError('CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

const PrioritySchema = z.enum(PRIORITIES);

export function parseLabelledTickets(text: string): LabelledTicket[] {
  const [header, ...records] = parseCsv(text);
  if (!header) throw new CsvError('CSV is empty');
  const column = (name: string): number => {
    const index = header.findIndex((h) => h.trim().toLowerCase() === name);
    if (index < 0) throw new CsvError(`CSV has no "${name}" column (columns: ${header.join(', ')})`);
    return index;
  };
  const subjectAt = column('subject');
  const bodyAt = column('body');
  const priorityAt = column('priority');
  return records.map((record, n) => {
    const priority = PrioritySchema.safeParse((record[priorityAt] ?? '').trim().toLowerCase());
    if (!priority.success) {
      throw new CsvError(`CSV record ${n + 1}: priority must be high, medium or low, got "${record[priorityAt] ?? ''}"`);
    }
    return { subject: record[subjectAt] ?? '', body: record[bodyAt] ?? '', priority: priority.data };
  });
}

export function readLabelledTickets(path: string): LabelledTicket[] {
  return parseLabelledTickets(readFileSync(path, 'utf8'));
}
