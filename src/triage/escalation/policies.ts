import type { UrgencyLevel } from '../classify.js';
import { DEFAULT_POLICY, type EscalationConfig, type EscalationPolicy } from './config.js';

export interface ResolvedPolicies {
  policies: EscalationPolicy[];
  /** Problems naming the config key (start-up error). */
  problems: string[];
}

/**
 * The policies the engine runs, checked against the targets this hub has: an explicit policy
 * naming a target that is not configured is a start-up error naming the key; the built-in
 * default simply leaves unconfigured targets out (a hub with no GitHub still pages).
 */
export function resolvePolicies(config: EscalationConfig, targets: readonly string[]): ResolvedPolicies {
  const known = new Set(targets);
  if (config.policies.length === 0) {
    const steps = DEFAULT_POLICY.steps.map((s) => ({ ...s, targets: s.targets.filter((t) => known.has(t)) })).filter((s) => s.targets.length > 0);
    return { policies: [{ ...DEFAULT_POLICY, steps }], problems: [] };
  }
  const problems: string[] = [];
  config.policies.forEach((policy, p) =>
    policy.steps.forEach((step, s) =>
      step.targets.forEach((target, t) => {
        if (!known.has(target)) {
          problems.push(`escalation.policies.${p}.steps.${s}.targets.${t}: target "${target}" is not configured (configured: ${[...known].join(', ') || 'none'})`);
        }
      }),
    ),
  );
  return { policies: config.policies, problems };
}

/** The first policy that matches a conversation's level and category, or null (not escalated). */
export function policyFor(policies: readonly EscalationPolicy[], level: UrgencyLevel, category: string | null): EscalationPolicy | null {
  return (
    policies.find((p) => p.match.levels.includes(level) && (p.match.categories.length === 0 || (category !== null && p.match.categories.includes(category)))) ?? null
  );
}
