/**
 * The deadline reader: when something is due, and how long something has been wrong. "Payroll is
 * due today", "runs at 3pm", "by tomorrow morning", "before payroll runs on Thursday" put pressure
 * on a message; "within 30 days", "by the end of next month", "sometime next quarter" take it
 * away; "since Friday", "for 3 days" say how long a problem has lasted (a stoppage nobody noticed
 * is worse the longer it runs). A time that starts something ("since 7am", "started at 6") is a
 * duration, not a deadline. Regular expressions over the classified text, so every hit has the
 * offsets staff see highlighted.
 */
import { tokenize, type Token } from './tokens.js';

export type TimeKind = 'today' | 'clock' | 'tomorrow' | 'soon' | 'far' | 'since';

export interface TimeHit {
  kind: TimeKind;
  start: number;
  end: number;
}

/** The evidence category each kind shows as. */
export const TIME_CATEGORY: Record<TimeKind, 'deadline' | 'deadline_far' | 'duration'> = {
  today: 'deadline',
  clock: 'deadline',
  tomorrow: 'deadline',
  soon: 'deadline',
  far: 'deadline_far',
  since: 'duration',
};

const WEEKDAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(?:january|february|march|april|may|june|july|august|september|october|november|december)';
const FEW = '(?:\\d+|a|an|one|two|three|four|five|six|several|a few|a couple of|few)';
const CLOCK = '(?:\\d{1,2}(?::\\d{2})?\\s?(?:am|pm|a\\.m\\.|p\\.m\\.)|\\d{1,2}:\\d{2}|noon|midday|midnight)';

// Each pattern with the words it can start with, tried (sticky) only where a token is one of them:
// most words start no time expression, and the classifier's budget is microseconds per message.
const DIGIT = '#digit';
const PATTERNS: [TimeKind, string[], RegExp][] = [
  // Durations first: "since 7am" is when a problem started, not when something is due.
  ['since', ['since'], new RegExp(`\\bsince (?:about |around |approximately )?(?:${CLOCK}|yesterday(?: \\w+)?|last \\w+|this morning|${WEEKDAY}|the (?:last |latest |recent )?(?:update|fix|release|upgrade|change|weekend|migration)|(?:a )?few days|\\d+ (?:minutes|mins|hours|days|weeks))\\b`, 'iy')],
  ['since', ['for'], new RegExp(`\\bfor (?:the (?:last|past) )?(?:about |around |over |almost )?${FEW} (?:days?|weeks?|hours?)\\b`, 'iy')],
  ['since', ['it', 'has', 'have'], new RegExp(`\\b(?:it has|it's|it is|has|have) been (?:about |over )?${FEW} (?:days?|weeks?|hours?)\\b`, 'iy')],
  ['since', ['started', 'starting', 'from'], new RegExp(`\\b(?:started|starting|from) (?:about |around )?(?:at )?${CLOCK}`, 'iy')],
  // Far: weeks or months away.
  ['far', ['within'], new RegExp(`\\bwithin (?:the next )?(?:\\d{2,}|[5-9]|seven|ten|fourteen|thirty) days\\b|\\bwithin ${FEW} (?:weeks?|months?)\\b`, 'iy')],
  ['far', ['in'], new RegExp(`\\bin (?:the next )?${FEW} (?:days|weeks?|months?)\\b`, 'iy')],
  ['far', ['by', 'before', 'until', 'the', 'end', 'sometime', 'next'], new RegExp(`\\b(?:by |before |until )?(?:the )?end of (?:the )?next (?:week|month|quarter|year)\\b|\\b(?:sometime )?next (?:month|quarter|year)\\b|\\bsometime\\b`, 'iy')],
  // A month is a deadline only when something is due by it: "until May", "from 1 September",
  // "renewal in March"; "we deactivated 25 leavers in February" is the past.
  ['far', ['by', 'until', 'before', 'from'], new RegExp(`\\b(?:by|until|before|from) (?:the )?(?:\\d{1,2}(?:st|nd|rd|th)? (?:of )?)?${MONTH}\\b`, 'iy')],
  ['far', ['renewal', 'renewals', 'contract', 'contracts', 'term', 'terms', 'review', 'reviews', 'rollout', 'rollouts', 'go', 'launch', 'deadline', 'deadlines', 'audit', 'audits'], new RegExp(`\\b(?:renewal|contract|term|review|rollout|go-live|launch|deadline|audit)s? (?:is |starts |ends )?(?:in|on|by) (?:the )?(?:\\d{1,2}(?:st|nd|rd|th)? (?:of )?)?${MONTH}\\b`, 'iy')],
  ['far', [DIGIT, 'a', 'an', 'one', 'two', 'three', 'four', 'five', 'six', 'several', 'few'], new RegExp(`\\b${FEW} months? to (?:respond|reply|answer)\\b`, 'iy')],
  // Near: today, a time of day, within hours.
  ['today', ['today', 'tonight', 'this', 'end', 'eod', 'cob', 'within'], /\b(?:today|tonight|this (?:afternoon|evening)|end of (?:the )?(?:day|business)|eod|cob|within the hour)\b/iy],
  ['today', ['in', 'within'], new RegExp(`\\b(?:in|within) (?:the next )?(?:\\d+|an?|one|two|three|a few|a couple of) (?:hours?|minutes?|mins?)\\b`, 'iy')],
  ['clock', [DIGIT, 'at', 'by', 'before', 'until', 'till', 'noon', 'midday', 'midnight'], new RegExp(`\\b(?:at |by |before |until |till )?${CLOCK}`, 'iy')],
  ['clock', ['is', 'are', 'run', 'runs', 'close', 'closes', 'start', 'starts', 'open', 'opens', 'due', 'goes'], /\b(?:is|are|runs?|closes?|starts?|opens?|due|goes out) (?:\w+ )?at \d{1,2}\b(?![.:,]?\d)/iy],
  ['tomorrow', ['by', 'before', 'until', 'tomorrow'], /\b(?:by |before |until )?tomorrow(?: (?:morning|afternoon|evening|night|at noon))?\b/iy],
  // Soon: a weekday something is due on, or the next payroll run.
  ['soon', ['by', 'before', 'due', 'is', 'are', 'close', 'closes', 'run', 'runs', 'pay', 'paid', 'until', 'till'], new RegExp(`\\b(?:by|before|due|is|are|closes?|runs?|pay|paid|until|till)(?: on)? (?:this |next )?${WEEKDAY}\\b`, 'iy')],
  ['soon', ['before'], /\bbefore (?:the )?(?:payroll|pay ?day|(?:the )?run|month[- ]end|the deadline|the shift|shift change)\w*(?: (?:runs?|closes?|goes out))?\b/iy],
];

/** Pattern indexes by the word they can start with. */
const BY_START = new Map<string, number[]>();
PATTERNS.forEach(([, words], index) => {
  for (const word of words) BY_START.set(word, [...(BY_START.get(word) ?? []), index]);
});

/**
 * Every time expression in the text, longest first where two overlap; earlier patterns win ties.
 * `tokens` are the text's tokens (tokenize), which say where a pattern may start.
 */
export function readTimeWords(text: string, tokens: readonly Token[] = tokenize(text).tokens): TimeHit[] {
  const found: (TimeHit & { order: number })[] = [];
  let previousStart = -1;
  for (const token of tokens) {
    // Both halves of a contraction ("it's") share one start: try it once, by its first word.
    if (token.start === previousStart) continue;
    previousStart = token.start;
    const first = token.norm.charCodeAt(0);
    const candidates = BY_START.get(first >= 0x30 && first <= 0x39 ? DIGIT : token.norm);
    if (candidates === undefined) continue;
    for (const order of candidates) {
      const [kind, , pattern] = PATTERNS[order]!;
      pattern.lastIndex = token.start;
      const m = pattern.exec(text);
      if (m === null) continue;
      const end = token.start + m[0].trimEnd().length;
      if (end > token.start) found.push({ kind, start: token.start, end, order });
    }
  }
  found.sort((a, b) => b.end - b.start - (a.end - a.start) || a.order - b.order || a.start - b.start);
  const hits: TimeHit[] = [];
  for (const hit of found) {
    if (hits.some((h) => h.start < hit.end && hit.start < h.end)) continue;
    // A bare number with am/pm is a time only if it is not part of a larger number ("1,200").
    if (hit.kind === 'clock' && /[\d,.]/.test(text[hit.start - 1] ?? '')) continue;
    hits.push({ kind: hit.kind, start: hit.start, end: hit.end });
  }
  return hits.sort((a, b) => a.start - b.start);
}

/** "240 employees", "all 1,200 staff", "about 40 managers": how many people a message says are affected. */
const PEOPLE =
  /\b(\d{1,3}(?:,\d{3})+|\d+)\s+(?:[a-z-]+\s+){0,2}?(?:employees|staff|people|persons|managers|workers|users|drivers|agents|team leads|hires|starters|colleagues|nurses|stores|shops|sites|locations|factories|entities)\b/gi;

export interface PeopleHit {
  count: number;
  start: number;
  end: number;
}

export function readPeopleCounts(text: string): PeopleHit[] {
  const hits: PeopleHit[] = [];
  PEOPLE.lastIndex = 0;
  for (let m = PEOPLE.exec(text); m !== null; m = PEOPLE.exec(text)) {
    const count = Number(m[1]!.replace(/,/g, ''));
    if (count >= 10) hits.push({ count, start: m.index, end: m.index + m[0].length });
  }
  return hits;
}
