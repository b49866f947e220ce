/**
 * The behaviour suite: hand-written support messages, each with the level a support lead would
 * set, the words that should explain it, and what the hub knows besides the text (channel, plan,
 * a repeat contact). YAML, because its cases are read and reviewed by people; the evaluation
 * tools read it beside the CSV files (`readLabelled`).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { TriageInput, UrgencyLevel } from '../classify.js';
import { CsvError, parseLabelledTickets, type LabelledTicket } from './csv.js';
import { levelToPriority } from './metrics.js';

const LevelSchema = z.enum(['urgent', 'high', 'normal', 'low']);

const ORDER: readonly UrgencyLevel[] = ['urgent', 'high', 'normal', 'low'];

const CaseSchema = z
  .object({
    id: z.string().min(1),
    theme: z.string().min(1),
    /** The rule the case checks, for cases written from a rule rather than a message. */
    rule: z.string().optional(),
    subject: z.string().optional(),
    text: z.string().min(1),
    /** The level, or the adjacent levels a lead would accept ([urgent, high]: either is right). */
    level: z.union([LevelSchema, z.array(LevelSchema).min(1)]),
    /** Words of the subject or text that should explain the level (required unless normal is right). */
    evidence: z.string().min(1).optional(),
    /** The evidence's category, and whether it must be negated, when the case pins them. */
    category: z.string().optional(),
    negated: z.boolean().optional(),
    /** Words that must not be evidence (alarm words in quoted history, say). */
    absent: z.array(z.string().min(1)).optional(),
    channel: z.enum(['chat', 'email']).optional(),
    plan: z.enum(['free', 'trial', 'paid', 'enterprise']).optional(),
    repeat: z.boolean().optional(),
    why: z.string().optional(),
  })
  .refine((c) => levelsOf(c).includes('normal') || c.evidence !== undefined, { message: 'evidence is required unless normal is a right level' })
  .refine(
    (c) => {
      const at = levelsOf(c).map((l) => ORDER.indexOf(l)).sort((a, b) => a - b);
      return at.every((v, i) => i === 0 || v === at[i - 1]! + 1);
    },
    { message: 'a list of levels must be adjacent ([urgent, high], [normal, low])' },
  )
  .refine((c) => c.evidence === undefined || `${c.subject ?? ''}\n${c.text}`.includes(c.evidence), {
    message: 'evidence must be words copied from the subject or the text',
  });

const SuiteSchema = z.object({ cases: z.array(CaseSchema).min(1) });

export type SuiteCase = z.infer<typeof CaseSchema>;

/** The levels a case accepts, most urgent first. */
export function levelsOf(c: { level: UrgencyLevel | UrgencyLevel[] }): UrgencyLevel[] {
  const list = Array.isArray(c.level) ? c.level : [c.level];
  return [...new Set(list)].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
}

/** The classifier's input for a case: chats (no subject) default to the chat channel. */
export function caseInput(c: SuiteCase): TriageInput {
  const input: TriageInput = { text: c.text, channel: c.channel ?? (c.subject === undefined ? 'chat' : 'email') };
  if (c.subject !== undefined) input.subject = c.subject;
  if (c.plan !== undefined) input.planTier = c.plan;
  if (c.repeat !== undefined) input.repeatContactWithin24h = c.repeat;
  return input;
}

export function parseSuite(text: string, origin: string): SuiteCase[] {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new CsvError(`${origin}: not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const parsed = SuiteSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path[0] === 'cases' && typeof issue.path[1] === 'number' ? (data as { cases: { id?: unknown }[] }).cases[issue.path[1]]?.id : undefined;
    throw new CsvError(`${origin}: ${at ? `case ${String(at)}: ` : ''}${issue.path.slice(2).join('.') || issue.path.join('.')}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const c of parsed.data.cases) {
    if (seen.has(c.id)) throw new CsvError(`${origin}: case id ${c.id} appears twice`);
    seen.add(c.id);
  }
  return parsed.data.cases;
}

/** A suite case as a labelled ticket: its exact level, signals and expected evidence kept. */
export function caseTicket(c: SuiteCase): LabelledTicket {
  const levels = levelsOf(c);
  // The datasets' label: urgent or high is `high`; a case accepting normal counts as `medium`.
  const priority = levels.every((l) => l === 'urgent' || l === 'high') ? 'high' : levels.includes('normal') ? 'medium' : levelToPriority(levels[0]!);
  return { subject: c.subject ?? '', body: c.text, priority, levels, input: caseInput(c), evidence: c.evidence, id: c.id };
}

/** Labelled tickets from a CSV file (subject, body, priority) or a YAML behaviour suite. */
export function readLabelled(path: string): LabelledTicket[] {
  const text = readFileSync(path, 'utf8');
  return /\.ya?ml$/i.test(path) ? parseSuite(text, path).map(caseTicket) : parseLabelledTickets(text);
}

export type { UrgencyLevel };
