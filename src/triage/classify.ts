/**
 * The urgency classifier: a pure, deterministic function from a customer message (plus what we
 * know of the account) to a level, a score, a confidence and the evidence behind them, so staff
 * can see why a message was called urgent and correct it.
 */
import { findExclamations, findShouting } from './intensity.js';
import { defaultLexicon, type CompiledLexicon } from './lexicon.js';
import { findPhrases, type PhraseHit } from './match.js';
import { findAcknowledgement, findNotHappening, readAmplifiers, readAutomaticReply, readResolution } from './readings.js';
import { stripQuotedAndSignature } from './strip.js';
import { readPeopleCounts, readTimeWords, TIME_CATEGORY, type TimeHit } from './time-words.js';
import { forwardedMessage } from '../text/quoted.js';
import { tokenize, type Token, type TokenizedText } from './tokens.js';

export type UrgencyLevel = 'urgent' | 'high' | 'normal' | 'low';
export type Confidence = 'high' | 'medium' | 'low';
export type PlanTier = 'free' | 'trial' | 'paid' | 'enterprise';
export type Channel = 'chat' | 'email' | 'helpdesk';

export interface TriageInput {
  subject?: string | null;
  text: string;
  planTier?: PlanTier | null;
  channel?: Channel;
  repeatContactWithin24h?: boolean;
}

export interface Evidence {
  /** The words as written (for a non-text signal, a short description such as "plan: enterprise"). */
  phrase: string;
  /** Lexicon category, or a signal: intensity, repeat_contact, plan_tier, channel. */
  category: string;
  /** What this piece added to the score (negative: made it less urgent). */
  weight: number;
  /** Offsets into `text`; null for signals that are not in the text (plan, channel, repeat contact). */
  start: number | null;
  end: number | null;
  /** Set when a negation ("not", "isn't", "no") turned an alarm phrase around. */
  negated?: true;
  /**
   * Set when a reading of the whole message lowered this item (readings.ts): an alarm in a
   * hypothetical clause or in one that puts it weeks away, one reported before a recovery, anything in an automatic reply, an
   * amplifier with no problem reported.
   */
  reading?: 'hypothetical' | 'far off' | 'resolved' | 'a new problem follows' | 'automatic reply' | 'no problem reported';
}

export interface TriageResult {
  level: UrgencyLevel;
  score: number;
  confidence: Confidence;
  evidence: Evidence[];
  /** The classified text (subject + "\n" + body without quoted history or signature); evidence offsets index into it. */
  text: string;
}

// NFKC folds full-width letters, ligatures and compatibility forms ("ＵＲＧＥＮＴ", "ﬁx") into
// plain ones; ASCII is already in that form, and skipping it is most of the cost.
const NON_ASCII = /[^\x00-\x7f]/;
function nfkc(text: string): string {
  return NON_ASCII.test(text) ? text.normalize('NFKC') : text;
}

// "Fwd:", "FW:" and their translations (WG, TR, VS, RV): the quoted message is what is sent to be read.
const FORWARD_SUBJECT = /^(?:(?:re|aw|sv)\s*:\s*)*(?:fwd?|wg|tr|vs|rv)\s*:/i;

/**
 * Subject and body after Unicode NFKC and stripping: what the classifier reads and staff see. A
 * reply's quoted history is left out; a forward's forwarded message is kept after the sender's note.
 */
export function classifiedText(input: Pick<TriageInput, 'subject' | 'text'>): string {
  const subject = nfkc(input.subject ?? '').replace(/\s+/g, ' ').trim();
  const raw = nfkc(input.text);
  let body = stripQuotedAndSignature(raw);
  if (FORWARD_SUBJECT.test(subject)) {
    const forwarded = forwardedMessage(raw);
    if (forwarded !== null) body = body === '' ? forwarded : `${body}\n${forwarded}`;
  }
  return `${subject}\n${body}`;
}

/** Per-hit contribution before per-category decay: negation flips, questions and reply subjects damp. */
function hitWeight(hit: PhraseHit, start: number, replySubjectEnd: number, lexicon: CompiledLexicon): number {
  const { negation, questionFactor, replySubjectFactor } = lexicon.source.scoring;
  let weight = hit.phrase.weight;
  if (start < replySubjectEnd) weight *= replySubjectFactor;
  if (hit.negatedBy !== null) return weight > 0 ? -negation.flip * weight : 0;
  if ((hit.hypothetical || hit.farOff) && weight > 0) weight *= lexicon.source.scoring.hypothetical.factor;
  return hit.inQuestion && weight > 0 ? weight * questionFactor : weight;
}

/**
 * A subject names the topic; the body says what about it. When every body mention of a subject
 * phrase's category asks ("Crash course" over "Do you have a crash course video?") or denies it
 * ("Data loss" over "there was no data loss"), the subject is read the same way. A subject the
 * body does not mention keeps its full weight ("Site down" over "Please help").
 */
function readSubjectsByBody(hits: PhraseHit[], tokens: Token[], subjectEnd: number): PhraseHit[] {
  const bodyByCategory = new Map<string, PhraseHit[]>();
  let subjectHits = 0;
  for (const hit of hits) {
    if (hit.phrase.weight <= 0) continue;
    if (tokens[hit.first]!.start < subjectEnd) {
      subjectHits++;
      continue;
    }
    const list = bodyByCategory.get(hit.phrase.category) ?? [];
    list.push(hit);
    bodyByCategory.set(hit.phrase.category, list);
  }
  // No subject phrase (every chat message has no subject): nothing to read.
  if (subjectHits === 0) return hits;
  return hits.map((hit) => {
    if (tokens[hit.first]!.start >= subjectEnd || hit.phrase.weight <= 0 || hit.negatedBy !== null || hit.inQuestion) return hit;
    const body = bodyByCategory.get(hit.phrase.category);
    if (!body) return hit;
    if (body.every((b) => b.negatedBy !== null)) return { ...hit, negatedBy: hit.first };
    if (body.every((b) => b.inQuestion && b.negatedBy === null)) return { ...hit, inQuestion: true };
    return hit;
  });
}

// "Re:", "Fwd:" and their common translations (AW, WG, SV, VS, RV, TR) mark an inherited subject.
const REPLY_SUBJECT = /^(?:(?:re|fwd?|aw|wg|sv|vs|rv|tr)\s*(?:\[\d+\])?\s*:\s*)+/i;

/**
 * Hits of one category add up with decay (each further one counts `repeatDecay` of the previous),
 * so ten mentions of "error" do not outweigh one "data breach".
 */
function decayedEvidence(hits: PhraseHit[], tokens: Token[], text: string, replySubjectEnd: number, lexicon: CompiledLexicon): Evidence[] {
  const decay = lexicon.source.scoring.repeatDecay;
  const scored = hits
    .map((hit) => ({ hit, weight: hitWeight(hit, tokens[hit.first]!.start, replySubjectEnd, lexicon) }))
    .filter((s) => s.weight !== 0);
  const byCategory = new Map<string, { hit: PhraseHit; weight: number }[]>();
  for (const s of scored) {
    const list = byCategory.get(s.hit.phrase.category) ?? [];
    list.push(s);
    byCategory.set(s.hit.phrase.category, list);
  }
  const evidence: Evidence[] = [];
  for (const list of byCategory.values()) {
    // Strongest first within each sign, so decay never discounts the best piece of evidence.
    list.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
    let positive = 1;
    let negative = 1;
    for (const { hit, weight } of list) {
      const factor = weight > 0 ? positive : negative;
      if (weight > 0) positive *= decay;
      else negative *= decay;
      const start = tokens[hit.negatedBy ?? hit.first]!.start;
      const end = tokens[hit.last]!.end;
      const item: Evidence = { phrase: text.slice(start, end), category: hit.phrase.category, weight: round(weight * factor), start, end };
      if (hit.negatedBy !== null) item.negated = true;
      else if (hit.hypothetical && hit.phrase.weight > 0) item.reading = 'hypothetical';
      else if (hit.farOff && hit.phrase.weight > 0) item.reading = 'far off';
      evidence.push(item);
    }
  }
  return evidence;
}

export function classify(input: TriageInput, lexicon: CompiledLexicon = defaultLexicon()): TriageResult {
  const text = classifiedText(input);
  const { signals, thresholds, scoring } = lexicon.source;
  const subjectEnd = text.indexOf('\n');
  const replySubjectEnd = REPLY_SUBJECT.test(text) ? subjectEnd : 0;
  const tokenized = tokenize(text);
  const hits = readSubjectsByBody(findPhrases(tokenized, lexicon), tokenized.tokens, subjectEnd);
  const times = readTimeWords(text, tokenized.tokens);
  markFarOff(hits, tokenized.tokens, times);
  const evidence = decayedEvidence(hits, tokenized.tokens, text, replySubjectEnd, lexicon);
  evidence.push(...notHappeningEvidence(tokenized, hits, text, replySubjectEnd, lexicon));

  const shouting = findShouting(text, tokenized.tokens);
  if (shouting && signals.allCaps !== 0) {
    const weight = shouting.start < replySubjectEnd ? round(signals.allCaps * scoring.replySubjectFactor) : signals.allCaps;
    evidence.push({ phrase: text.slice(shouting.start, shouting.end), category: 'intensity', weight, ...shouting });
  }
  const exclamations = findExclamations(text);
  if (exclamations && signals.exclamations !== 0) {
    evidence.push({ phrase: text.slice(exclamations.start, exclamations.end), category: 'intensity', weight: signals.exclamations, ...exclamations });
  }
  if (input.repeatContactWithin24h && signals.repeatContact !== 0) {
    evidence.push({ phrase: 'contacted again within 24 h', category: 'repeat_contact', weight: signals.repeatContact, start: null, end: null });
  }
  const channelWeight = input.channel ? signals.channel[input.channel] : 0;
  if (input.channel && channelWeight !== 0) {
    evidence.push({ phrase: `channel: ${input.channel}`, category: 'channel', weight: channelWeight, start: null, end: null });
  }
  evidence.push(...timeEvidence(text, times, lexicon), ...peopleEvidence(text, lexicon));
  const acknowledgement = findAcknowledgement(text, subjectEnd + 1);
  if (acknowledgement && signals.acknowledgement !== 0) {
    evidence.push({ phrase: text.slice(acknowledgement.start, acknowledgement.end), category: 'acknowledgement', weight: signals.acknowledgement, ...acknowledgement });
  }

  const read = readAmplifiers(readResolution(readAutomaticReply(evidence), lexicon), lexicon);
  const scaled = scaleEvidence(read, lexicon.scales);
  let score = scaled.reduce((sum, e) => sum + e.weight, 0);
  // Plan tier scales urgency that is there; it never makes a calm message urgent by itself.
  if (input.planTier && score > 0) {
    const boost = score * (signals.planTier[input.planTier] - 1);
    if (boost !== 0) {
      scaled.push({ phrase: `plan: ${input.planTier}`, category: 'plan_tier', weight: round(boost), start: null, end: null });
      score += boost;
    }
  }
  score = round(score);
  // Strongest reasons first; among equals, in reading order (signals outside the text last).
  scaled.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || (a.start ?? Infinity) - (b.start ?? Infinity));

  const level: UrgencyLevel =
    score >= thresholds.urgent ? 'urgent' : score >= thresholds.high ? 'high' : score <= thresholds.low ? 'low' : 'normal';
  return { level, score, confidence: confidenceOf(score, level, scaled.length, lexicon), evidence: scaled, text };
}

/** Decay within a category, as for phrases: the strongest counts in full, each further one half as much. */
function decayed(items: Evidence[], decay: number): Evidence[] {
  const factor = new Map<string, number>();
  return [...items]
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || (a.start ?? 0) - (b.start ?? 0))
    .map((e) => {
      const f = factor.get(e.category) ?? 1;
      factor.set(e.category, f * decay);
      return f === 1 ? e : { ...e, weight: round(e.weight * f) };
    });
}

/**
 * "can't open", "won't load", "hasn't arrived" where no lexicon phrase covers the words
 * (readings.ts findNotHappening), as `not_happening` evidence: asked about, it counts as a
 * question does; in a hypothetical clause or a reply's subject, as those do.
 */
function notHappeningEvidence(tokenized: TokenizedText, hits: readonly PhraseHit[], text: string, replySubjectEnd: number, lexicon: CompiledLexicon): Evidence[] {
  const weight = lexicon.source.signals.notHappening;
  if (weight === 0) return [];
  const { tokens } = tokenized;
  const covered = new Uint8Array(tokens.length);
  for (const hit of hits) for (let t = hit.first; t <= hit.last; t++) covered[t] = 1;
  const { questionFactor, replySubjectFactor, hypothetical } = lexicon.source.scoring;
  const items = findNotHappening(tokens, covered).map(({ first, last }): Evidence => {
    const start = tokens[first]!.start;
    let w = weight;
    if (start < replySubjectEnd) w *= replySubjectFactor;
    if (tokenized.questionClauses[tokens[first]!.clause]) w *= questionFactor;
    const inHypothetical = lexicon.hypotheticals.some((words) => {
      for (let t = first - 1; t >= 0 && tokens[t]!.clause === tokens[first]!.clause; t--) if (words.every((stem, k) => tokens[t + k]?.stem === stem)) return true;
      return false;
    });
    const item: Evidence = { phrase: text.slice(start, tokens[last]!.end), category: 'not_happening', weight: round(inHypothetical ? w * hypothetical.factor : w), start, end: tokens[last]!.end };
    if (inHypothetical) item.reading = 'hypothetical';
    return item;
  });
  return decayed(items, lexicon.source.scoring.repeatDecay);
}

/**
 * An alarm in the same clause as a time weeks or months away is something planned or coming, not
 * happening now: "our SAML certificate expires on the 30th of next month", "the contract ends
 * next quarter". It counts as a hypothetical one does. A clause ends at , ; : and "but"
 * (tokens.ts), so "the export is broken, and our audit is next month" keeps its alarm.
 */
function markFarOff(hits: PhraseHit[], tokens: readonly Token[], times: readonly TimeHit[]): void {
  if (hits.length === 0) return;
  let farClauses: Set<number> | null = null;
  for (const time of times) {
    if (time.kind !== 'far') continue;
    for (const token of tokens) if (token.start < time.end && token.end > time.start) (farClauses ??= new Set()).add(token.clause);
  }
  if (farClauses === null) return;
  for (const hit of hits) {
    if (hit.phrase.weight > 0 && hit.negatedBy === null && farClauses.has(tokens[hit.first]!.clause)) hit.farOff = true;
  }
}

/** Deadlines near and far, and how long a problem has lasted (time-words.ts), as evidence. */
function timeEvidence(text: string, times: readonly TimeHit[], lexicon: CompiledLexicon): Evidence[] {
  const weights = lexicon.source.signals.timeWords;
  const items = times.flatMap((hit): Evidence[] => {
    const weight = weights[hit.kind];
    return weight === 0 ? [] : [{ phrase: text.slice(hit.start, hit.end), category: TIME_CATEGORY[hit.kind], weight, start: hit.start, end: hit.end }];
  });
  return decayed(items, lexicon.source.scoring.repeatDecay);
}

/** "240 employees", "all 1,200 staff": a count of people affected, as evidence. */
function peopleEvidence(text: string, lexicon: CompiledLexicon): Evidence[] {
  const { ten, hundred } = lexicon.source.signals.manyPeople;
  const items = readPeopleCounts(text).flatMap((hit): Evidence[] => {
    const weight = hit.count >= 100 ? hundred : ten;
    return weight === 0 ? [] : [{ phrase: text.slice(hit.start, hit.end), category: 'many_people', weight, start: hit.start, end: hit.end }];
  });
  return decayed(items, lexicon.source.scoring.repeatDecay);
}

/**
 * Each evidence item counts its written weight times its category's fitted scale (weights.yaml),
 * so the evidence staff see still adds up to the score. A category scaled to 0 drops out.
 */
function scaleEvidence(evidence: Evidence[], scales: ReadonlyMap<string, number>): Evidence[] {
  if (scales.size === 0) return evidence;
  // The items are this call's own: scaled in place (a copy per item costs more than the rest).
  const out: Evidence[] = [];
  for (const e of evidence) {
    const scale = scales.get(e.category);
    if (scale !== undefined && scale !== 1) e.weight = round(e.weight * scale);
    if (e.weight !== 0 || e.reading) out.push(e);
  }
  return out;
}

/** Distance to the nearest level boundary: a score that sits right on one could easily be the other level. */
function confidenceOf(score: number, level: UrgencyLevel, evidenceCount: number, lexicon: CompiledLexicon): Confidence {
  if (evidenceCount === 0) return 'low';
  const { thresholds, scoring } = lexicon.source;
  const bounds: Record<UrgencyLevel, [number, number]> = {
    urgent: [thresholds.urgent, Infinity],
    high: [thresholds.high, thresholds.urgent],
    normal: [thresholds.low, thresholds.high],
    low: [-Infinity, thresholds.low],
  };
  const [lower, upper] = bounds[level];
  const margin = Math.min(score - lower, upper - score);
  if (margin >= scoring.confidence.highMargin) return 'high';
  return margin >= scoring.confidence.mediumMargin ? 'medium' : 'low';
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
