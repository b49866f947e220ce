import { sql } from 'kysely';
import type { Store } from '../../store/store.js';
import type { Evidence, UrgencyLevel } from '../../triage/classify.js';
import { stopWords } from '../../triage/natural.js';
import { tokenize } from '../../triage/tokens.js';
import { isoWeekOf, recentWeeks, type IsoWeek } from './recent-weeks.js';
import type { Redactor } from './redaction.js';

/**
 * What staff corrections say about the classifier, over the reporting period (the last 12 ISO
 * weeks in the team's zone):
 *  - corrections per week, raised vs lowered (relative to the classifier's call);
 *  - precision of urgent calls: of the conversations it called urgent, the share staff did not
 *    lower (staff's latest correction of each conversation counts);
 *  - false-positive phrases: evidence that pushed a call up where staff then lowered it;
 *  - false-negative wording: words and word pairs the lexicon did not match in conversations
 *    staff raised (counted once per conversation; stop words and numbers left out).
 */

const RANK: Record<UrgencyLevel, number> = { urgent: 0, high: 1, normal: 2, low: 3 };
export const isRaise = (from: UrgencyLevel, to: UrgencyLevel) => RANK[to] < RANK[from];
export const isLower = (from: UrgencyLevel, to: UrgencyLevel) => RANK[to] > RANK[from];

/** Fewer urgent calls than this and a precision figure would mislead. */
export const MIN_CALLS_FOR_PRECISION = 5;
const TOP_TERMS = 20;
const LATEST_OVERRIDES = 50;
/** Corrections read for the phrase lists (the most recent ones in the period). */
const MAX_OVERRIDES_READ = 5000;

export interface OverrideWeek {
  week: IsoWeek;
  count: number;
  raised: number;
  lowered: number;
}

export interface Precision {
  /** Conversations the classifier called urgent in the period. */
  urgentCalls: number;
  /** …of which staff lowered. */
  lowered: number;
  /** 1 − lowered / urgent calls; null under MIN_CALLS_FOR_PRECISION calls. */
  value: number | null;
}

export interface PhraseCount {
  /** Lower-cased wording. */
  phrase: string;
  /** Corrected conversations it appears in. */
  count: number;
  /** Lexicon categories (or signals) it was evidence for; empty for unmatched wording. */
  categories: string[];
}

export interface OverrideRow {
  id: string;
  at: Date;
  conversationId: string;
  subject: string | null;
  from: UrgencyLevel;
  to: UrgencyLevel;
  reason: string;
  by: string;
}

export interface ClassifierReport {
  since: Date;
  weekCount: number;
  weeks: OverrideWeek[];
  totals: { count: number; raised: number; lowered: number };
  precision: Precision;
  falsePositives: PhraseCount[];
  falseNegatives: PhraseCount[];
  /** Corrected conversations the phrase lists rest on. */
  loweredConversations: number;
  raisedConversations: number;
  latest: OverrideRow[];
}

export async function classifierFeedback(deps: { store: Store; zone: string; now: Date; redact: Redactor }, weekCount = 12): Promise<ClassifierReport> {
  const { store, zone, now, redact } = deps;
  const { weeks, since } = await recentWeeks(store, zone, now, weekCount);
  const [weekly, precision, corrections, latest] = await Promise.all([
    sql<{ week: string; count: number | string; raised: number | string; lowered: number | string }>`
      SELECT ${isoWeekOf('created_at', zone)} AS week, count(*) AS count,
        count(*) FILTER (WHERE ${rank('to_level')} < ${rank('from_level')}) AS raised,
        count(*) FILTER (WHERE ${rank('to_level')} > ${rank('from_level')}) AS lowered
      FROM triage_overrides WHERE created_at >= ${since}
      GROUP BY 1`.execute(store.db),
    urgentPrecision(store, since),
    sql<{ from_level: UrgencyLevel; to_level: UrgencyLevel; classified_text: string; evidence: unknown }>`
      SELECT * FROM (
        SELECT DISTINCT ON (conversation_id) conversation_id, from_level, to_level, classified_text, evidence, created_at
        FROM triage_overrides WHERE created_at >= ${since}
        ORDER BY conversation_id, seq DESC
      ) latest ORDER BY created_at DESC LIMIT ${MAX_OVERRIDES_READ}`.execute(store.db),
    store.db
      .selectFrom('triage_overrides as o')
      .innerJoin('conversations as c', 'c.id', 'o.conversation_id')
      .select(['o.id', 'o.created_at', 'o.conversation_id', 'c.subject', 'o.from_level', 'o.to_level', 'o.reason', 'o.staff_email'])
      .orderBy('o.created_at', 'desc')
      .orderBy('o.seq', 'desc')
      .limit(LATEST_OVERRIDES)
      .execute(),
  ]);

  const perWeek = weeks.map((week): OverrideWeek => {
    const row = weekly.rows.find((r) => r.week === week.key);
    return { week, count: Number(row?.count ?? 0), raised: Number(row?.raised ?? 0), lowered: Number(row?.lowered ?? 0) };
  });
  const lowered = corrections.rows.filter((r) => isLower(r.from_level, r.to_level));
  const raised = corrections.rows.filter((r) => isRaise(r.from_level, r.to_level));
  return {
    since,
    weekCount,
    weeks: perWeek,
    totals: {
      count: perWeek.reduce((n, w) => n + w.count, 0),
      raised: perWeek.reduce((n, w) => n + w.raised, 0),
      lowered: perWeek.reduce((n, w) => n + w.lowered, 0),
    },
    precision,
    // Free text (customers' words, staff's reasons) passes the redactor like every other report text.
    falsePositives: falsePositivePhrases(lowered.map((r) => evidenceOf(r.evidence))).map((p) => ({ ...p, phrase: redact(p.phrase) })),
    falseNegatives: unmatchedWording(raised.map((r) => ({ text: r.classified_text, evidence: evidenceOf(r.evidence) }))).map((p) => ({ ...p, phrase: redact(p.phrase) })),
    loweredConversations: lowered.length,
    raisedConversations: raised.length,
    latest: latest.map((r) => ({
      id: r.id,
      at: new Date(r.created_at),
      conversationId: r.conversation_id,
      subject: r.subject === null ? null : redact(r.subject),
      from: r.from_level,
      to: r.to_level,
      reason: redact(r.reason),
      by: r.staff_email,
    })),
  };
}

const rank = (column: string) => sql<number>`CASE ${sql.ref(column)} WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`;

/**
 * Urgent calls in the period: conversations whose current call is urgent (classified in the
 * period), and those corrected in the period from an urgent call (the classifier may have
 * changed its call since). Lowered: staff's latest correction of the conversation takes it from
 * urgent to a lower level.
 */
async function urgentPrecision(store: Store, since: Date): Promise<Precision> {
  const result = await sql<{ calls: number | string; lowered: number | string }>`
    WITH calls AS (
      SELECT conversation_id FROM triage_results WHERE level = 'urgent' AND classified_at >= ${since}
      UNION
      SELECT conversation_id FROM triage_overrides WHERE from_level = 'urgent' AND created_at >= ${since}
    ), latest AS (
      SELECT DISTINCT ON (o.conversation_id) o.conversation_id, o.from_level, o.to_level
      FROM triage_overrides o JOIN calls USING (conversation_id)
      ORDER BY o.conversation_id, o.seq DESC
    )
    SELECT count(*) AS calls, count(*) FILTER (WHERE l.from_level = 'urgent' AND l.to_level <> 'urgent') AS lowered
    FROM calls LEFT JOIN latest l USING (conversation_id)`.execute(store.db);
  const row = result.rows[0];
  const urgentCalls = Number(row?.calls ?? 0);
  const lowered = Number(row?.lowered ?? 0);
  return { urgentCalls, lowered, value: urgentCalls >= MIN_CALLS_FOR_PRECISION ? 1 - lowered / urgentCalls : null };
}

/** jsonb arrives parsed; anything that is not an evidence list counts as none. */
export function evidenceOf(value: unknown): Evidence[] {
  const list = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!Array.isArray(list)) return [];
  return list.filter((e): e is Evidence => typeof e === 'object' && e !== null && typeof (e as Evidence).phrase === 'string' && typeof (e as Evidence).weight === 'number');
}

const normalise = (phrase: string) => phrase.toLowerCase().replace(/\s+/g, ' ').trim();

function ranked(counts: Map<string, { count: number; categories: Set<string> }>): PhraseCount[] {
  return [...counts]
    .map(([phrase, c]) => ({ phrase, count: c.count, categories: [...c.categories].sort() }))
    .sort((a, b) => b.count - a.count || b.phrase.split(' ').length - a.phrase.split(' ').length || a.phrase.localeCompare(b.phrase))
    .slice(0, TOP_TERMS);
}

/** Evidence with positive weight in conversations staff lowered, counted once per conversation. */
export function falsePositivePhrases(lowered: readonly Evidence[][]): PhraseCount[] {
  const counts = new Map<string, { count: number; categories: Set<string> }>();
  for (const evidence of lowered) {
    const seen = new Set<string>();
    for (const e of evidence) {
      if (!(e.weight > 0)) continue;
      const phrase = normalise(e.phrase);
      if (!phrase) continue;
      const entry = counts.get(phrase) ?? { count: 0, categories: new Set<string>() };
      entry.categories.add(e.category);
      if (!seen.has(phrase)) entry.count++;
      seen.add(phrase);
      counts.set(phrase, entry);
    }
  }
  return ranked(counts);
}

/**
 * Words and adjacent word pairs (within a clause) of the classified text that no evidence
 * covers, in conversations staff raised: the wording the lexicon missed. Stop words, numbers
 * and words under three letters ("hi", "ok") are left out; each counts once per conversation.
 */
export function unmatchedWording(raised: readonly { text: string; evidence: readonly Evidence[] }[]): PhraseCount[] {
  const counts = new Map<string, { count: number; categories: Set<string> }>();
  for (const { text, evidence } of raised) {
    const spans = evidence.filter((e) => e.start !== null && e.end !== null) as (Evidence & { start: number; end: number })[];
    const { tokens } = tokenize(text);
    const usable = tokens.map(
      (t) => !stopWords.has(t.norm) && t.norm.length > 2 && !/^\d+$/.test(t.norm) && !spans.some((s) => t.start < s.end && s.start < t.end),
    );
    const seen = new Set<string>();
    const count = (wording: string) => {
      const phrase = normalise(wording);
      if (!phrase || seen.has(phrase)) return;
      seen.add(phrase);
      const entry = counts.get(phrase) ?? { count: 0, categories: new Set<string>() };
      entry.count++;
      counts.set(phrase, entry);
    };
    tokens.forEach((t, i) => {
      if (!usable[i]) return;
      count(text.slice(t.start, t.end));
      const next = tokens[i + 1];
      if (next && usable[i + 1] && next.clause === t.clause && next.start > t.start) count(text.slice(t.start, next.end));
    });
  }
  return ranked(counts);
}
