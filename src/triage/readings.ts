/**
 * How a support lead reads a whole message, after its phrases are found: an automatic reply
 * reports nothing; what a customer says has recovered is not a new alarm; "urgent", a deadline
 * or "all 300 staff" amplify a problem but are not one; "ok" alone is an acknowledgement. Each
 * reading lowers the weight of the evidence it concerns and says so on it (`reading`), so the
 * evidence still adds up to the score and staff see why an alarm word did not count.
 */
import type { Evidence } from './classify.js';
import type { CompiledLexicon, Role } from './lexicon.js';
import type { Token } from './tokens.js';

/** Roles of the evidence the classifier adds besides the lexicon's categories. */
const SIGNAL_ROLES: Record<string, Role> = {
  intensity: 'amplifier',
  repeat_contact: 'amplifier',
  channel: 'amplifier',
  deadline: 'amplifier',
  duration: 'amplifier',
  many_people: 'amplifier',
  not_happening: 'problem',
  deadline_far: 'calm',
  acknowledgement: 'calm',
};

export function roleOf(category: string, lexicon: CompiledLexicon): Role {
  return lexicon.roles.get(category) ?? SIGNAL_ROLES[category] ?? 'amplifier';
}

// Problem evidence adding up to less than this (a question about an outage) reports no problem.
const PROBLEM_REPORTED = 1;

/** Lowers an item and says why. The classifier's evidence items are its own, so in place. */
function discount(e: Evidence, factor: number, reading: NonNullable<Evidence['reading']>): Evidence {
  const weight = Math.round(e.weight * factor * 1000) / 1000;
  e.weight = weight === 0 ? 0 : weight; // never -0 in what staff see
  e.reading = reading;
  return e;
}

/**
 * An automatic reply (out-of-office, bounce, read receipt, ticket confirmation) reports nothing,
 * whatever it quotes ("For urgent payroll matters…", "Critical: certificate expires"): every
 * alarm in it counts 0.
 */
export function readAutomaticReply(evidence: Evidence[]): Evidence[] {
  if (!evidence.some((e) => e.category === 'auto_reply' && e.weight < 0)) return evidence;
  return evidence.map((e) => (e.weight > 0 ? discount(e, 0, 'automatic reply') : e));
}

/**
 * A recovery ("it's working again now", "false alarm", "all good now") resolves what was reported
 * before it — in the subject, earlier sentences, the same clause — so those alarms count only
 * `resolvedFactor`. What comes after the last recovery is a new problem and counts in full
 * ("the export works again. However the net pay is now different…"), and then the recovery and
 * the calm words before it ("Thanks, …") count nothing: they were about the old problem.
 */
export function readResolution(evidence: Evidence[], lexicon: CompiledLexicon): Evidence[] {
  let recovery = -1;
  for (const e of evidence) if (e.category === 'resolution' && e.weight < 0 && !e.negated && e.start !== null) recovery = Math.max(recovery, e.start);
  if (recovery < 0) return evidence;
  const factor = lexicon.source.scoring.resolvedFactor;
  // A problem reported after the recovery is new: the message is about it, not about the recovery.
  const newProblem = evidence.some((e) => e.weight > 0 && e.start !== null && e.start > recovery && roleOf(e.category, lexicon) === 'problem');
  return evidence.map((e) => {
    if (e.weight > 0 && e.start !== null && e.start < recovery) return discount(e, factor, 'resolved');
    // With a new problem after it, the recovery and the calm words that went with it ("Thanks,
    // the export works again") were about the old problem.
    const wentWithRecovery = e.category === 'resolution' || (e.start !== null && e.start < recovery && !e.negated && roleOf(e.category, lexicon) === 'calm');
    if (newProblem && e.weight < 0 && wentWithRecovery) return discount(e, 0, 'a new problem follows');
    return e;
  });
}

/**
 * Amplifiers — many people, deadlines, "urgent", shouting, chasing, a live chat — make a reported
 * problem more urgent; with no problem reported ("URGENT!!! where do I change the logo colour?")
 * they count only `amplifierWithoutProblem`, and calm evidence (the question, the thanks, the
 * feature wish) counts `calmWithoutProblem` times: it is what the message is.
 */
export function readAmplifiers(evidence: Evidence[], lexicon: CompiledLexicon): Evidence[] {
  const problem = evidence.reduce((sum, e) => sum + (e.weight > 0 && roleOf(e.category, lexicon) === 'problem' ? e.weight : 0), 0);
  if (problem >= PROBLEM_REPORTED) return evidence;
  const { amplifierWithoutProblem, calmWithoutProblem } = lexicon.source.scoring;
  return evidence.map((e) => {
    if (e.reading) return e;
    const role = roleOf(e.category, lexicon);
    if (e.weight > 0 && role === 'amplifier') return discount(e, amplifierWithoutProblem, 'no problem reported');
    if (e.weight < 0 && role === 'calm') return discount(e, calmWithoutProblem, 'no problem reported');
    return e;
  });
}

const ACKNOWLEDGEMENT_WORDS = new Set(
  'ok okay k kk thx thanks thank you ty great perfect cool got it noted that worked works sounds good super awesome brilliant cheers many'.split(' '),
);
const MAX_ACKNOWLEDGEMENT_WORDS = 4;

/**
 * A message that is only an acknowledgement ("ok", "thx", "great, thanks 👍"): where it starts
 * and ends in `text`, or null. Words only from a small list, at most four of them.
 */
export function findAcknowledgement(text: string, bodyStart: number): { start: number; end: number } | null {
  // Four short words fit in 60 characters; anything longer is not an acknowledgement alone.
  if (text.length - bodyStart > 60) return null;
  const body = text.slice(bodyStart);
  const words = body.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  if (words.length === 0 || words.length > MAX_ACKNOWLEDGEMENT_WORDS) return null;
  if (!words.every((w) => ACKNOWLEDGEMENT_WORDS.has(w))) return null;
  const first = body.search(/\S/);
  return { start: bodyStart + first, end: bodyStart + body.trimEnd().length };
}

// After "can't", "doesn't", "won't", "isn't", "unable to": words that do not name something the
// customer needs to happen ("I'm not sure", "don't know", "didn't change anything", "not a").
const NOT_AN_ACTION = new Set(
  'sure yet really a an the that this it any very too so much more quite always just know think want like mind need have had see understand remember be been find seem get hesitate'.split(' '),
);
const AUXILIARIES = new Set('can could do does did is are was were will would has have had should shall'.split(' '));

/**
 * Something does not happen: "can't open", "won't load", "doesn't show", "hasn't arrived",
 * "isn't syncing", "unable to submit" — a failure in words the lexicon does not list. Where a
 * lexicon phrase already covers the words ("can't log in"), the phrase speaks instead.
 */
export function findNotHappening(tokens: readonly Token[], covered: Uint8Array): { first: number; last: number }[] {
  const found: { first: number; last: number }[] = [];
  for (let i = 1; i + 1 < tokens.length; i++) {
    const token = tokens[i]!;
    let verb = -1;
    if (token.norm === 'not' && AUXILIARIES.has(tokens[i - 1]!.norm)) verb = i + 1;
    else if (token.norm === 'unable' && tokens[i + 1]!.norm === 'to') verb = i + 2;
    else if ((token.norm === 'fails' || token.norm === 'failed') && tokens[i + 1]!.norm === 'to') verb = i + 2;
    if (verb < 0 || verb >= tokens.length) continue;
    const start = token.norm === 'not' ? i - 1 : i;
    const action = tokens[verb]!;
    if (action.clause !== token.clause || NOT_AN_ACTION.has(action.norm) || /^\d/.test(action.norm)) continue;
    let free = true;
    for (let t = start; t <= verb && free; t++) free = covered[t] === 0;
    if (free) found.push({ first: start, last: verb });
  }
  return found;
}
