import type { Evidence, UrgencyLevel } from './classify.js';

/** Signals that are not about what the problem is. */
const NOT_A_TOPIC = new Set(['intensity', 'repeat_contact', 'channel', 'plan_tier', 'time_pressure', 'business_impact', 'confidence', 'negation', 'no_urgency', 'not_an_alarm']);

/**
 * The category a conversation is about: the one its strongest positive lexicon evidence belongs
 * to (urgency signals like "ASAP" or "!!!" say how much, not what). Routes on-call (security →
 * the security contact) and clusters outage reports; null when nothing names a topic.
 */
export function primaryCategory(evidence: readonly Pick<Evidence, 'category' | 'weight'>[]): string | null {
  let best: { category: string; weight: number } | null = null;
  for (const e of evidence) {
    if (e.weight <= 0 || NOT_A_TOPIC.has(e.category)) continue;
    if (!best || e.weight > best.weight) best = e;
  }
  return best?.category ?? null;
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
