import type { Evidence, UrgencyLevel } from './classify.js';
import { defaultLexicon, type CompiledLexicon } from './lexicon.js';

/** Signals that are not about what the problem is: how much, how many, how soon, how loud. */
const NOT_A_TOPIC = new Set([
  'intensity',
  'repeat_contact',
  'channel',
  'plan_tier',
  'time_pressure',
  'business_impact',
  'confidence',
  'negation',
  'no_urgency',
  'not_an_alarm',
  'deadline',
  'deadline_far',
  'duration',
  'many_people',
  'chasing',
  'core_process',
  'acknowledgement',
]);

/**
 * The topic a conversation is about: that of its strongest positive lexicon evidence (urgency
 * signals like "ASAP" or "!!!" say how much, not what), as routing knows it — a compromised
 * account or exposed payslips are `security`. Routes on-call (security → the security contact)
 * and clusters outage reports; null when nothing names a topic.
 */
export function primaryCategory(evidence: readonly Pick<Evidence, 'category' | 'weight'>[], lexicon: CompiledLexicon = defaultLexicon()): string | null {
  let best: { category: string; weight: number } | null = null;
  for (const e of evidence) {
    if (e.weight <= 0 || NOT_A_TOPIC.has(e.category)) continue;
    if (!best || e.weight > best.weight) best = e;
  }
  return best ? (lexicon.topics.get(best.category) ?? best.category) : null;
}

/** How an acknowledgement names a category's problem: "Thanks for contacting us about …". */
const PHRASES: Record<string, string> = {
  outage: 'the service being down',
  infrastructure: 'a problem with our service',
  data_loss: 'missing or lost data',
  security: 'a possible security issue',
  sensitive_data: 'a concern about sensitive data',
  payment_failure: 'a payment problem',
  locked_out: 'not being able to get into your account',
  legal_churn: 'your concerns about your account',
  malfunction: 'something not working as it should',
  troubleshooting_failed: 'a problem you have not been able to fix',
  account_admin: 'your account settings',
  feature_request: 'your suggestion',
  feedback: 'your feedback',
  presales: 'your question about our plans',
  information_request: 'your question',
  maintenance_question: 'your question about maintenance',
  minor_issue: 'the issue you noticed',
  silent_stoppage: 'something that stopped working',
  not_happening: 'something not working as it should',
  pay_error: 'a problem with pay',
  data_rights: 'a data-protection request',
};

/**
 * A short phrase naming the problem, for the acknowledgement: the subject when the customer gave
 * one (their own words), else the topic of the strongest evidence, else "your message".
 */
export function problemPhrase(subject: string | null, category: string | null): string {
  const cleaned = (subject ?? '')
    .replace(/^\s*((re|fwd?|aw|wg|sv|antw)\s*:\s*)+/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned.length >= 3) {
    const short = cleaned.length > 70 ? `${cleaned.slice(0, 67).replace(/\s+\S*$/, '')}…` : cleaned;
    return `"${short}"`;
  }
  return (category && PHRASES[category]) ?? 'your message';
}

export const LEVEL_LABEL: Record<UrgencyLevel, string> = { urgent: 'Urgent', high: 'High', normal: 'Normal', low: 'Low' };

/** "Jane" from "Jane Doe", to greet by; nothing from an address or a blank. */
export function firstName(name: string | null): string | null {
  const first = (name ?? '').trim().split(/\s+/)[0] ?? '';
  return first && !first.includes('@') && first.length <= 40 ? first : null;
}
