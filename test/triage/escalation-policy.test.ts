/**
 * Escalation titles and the `until` option, as the people reading them see them: a title names the
 * level once, and a policy says what ends its remaining steps (a reply by default; an incident
 * keeps paging until acknowledged).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, escalationSchema, stopWhen } from '../../src/triage/escalation/config.js';
import { escalationTitle, withoutLevelPrefix } from '../../src/triage/escalation/title.js';

describe('escalation titles', () => {
  it('do not repeat a level the customer already wrote ("Urgent: the payroll…", not Urgent: "Urgent: …")', () => {
    expect(escalationTitle('urgent', null, 'Urgent: the payroll export fails for all our employees')).toBe('Urgent: "the payroll export fails for all our employees"');
    expect(escalationTitle('urgent', 'URGENT - payroll down', 'text')).toBe('Urgent: "payroll down"');
    expect(escalationTitle('urgent', '[urgent] payroll down', 'text')).toBe('Urgent: "payroll down"');
    expect(escalationTitle('urgent', 'Urgent!!! payroll down', 'text')).toBe('Urgent: "payroll down"');
    expect(escalationTitle('urgent', 'Urgent: URGENT: payroll down', 'text')).toBe('Urgent: "payroll down"');
  });

  it('works for every level word, whatever its case', () => {
    expect(escalationTitle('high', 'high: exports are slow', 'x')).toBe('High: "exports are slow"');
    expect(escalationTitle('normal', '(Normal) question about invoices', 'x')).toBe('Normal: "question about invoices"');
    expect(escalationTitle('low', 'LOW – typo on the pricing page', 'x')).toBe('Low: "typo on the pricing page"');
  });

  it('keeps what the customer wrote when the word is part of a sentence, or another level', () => {
    expect(escalationTitle('urgent', 'Urgent help needed with payroll', 'x')).toBe('Urgent: "Urgent help needed with payroll"');
    expect(escalationTitle('high', 'Urgent: payroll down', 'x')).toBe('High: "Urgent: payroll down"');
    expect(escalationTitle('urgent', 'Urgent:', 'x')).toBe('Urgent: "Urgent:"');
  });

  it('shortens long text at a word, after the prefix is gone', () => {
    const title = escalationTitle('urgent', null, `Urgent: ${'payroll '.repeat(30)}`);
    expect(title.startsWith('Urgent: "payroll payroll')).toBe(true);
    expect(title.endsWith('…"')).toBe(true);
    expect(title.length).toBeLessThanOrEqual(100);
  });

  it('mail subjects built from a title say the level once ("[Urgent] \\"the payroll…\\"")', () => {
    expect(`[Urgent] ${withoutLevelPrefix('Urgent: "the payroll export"', 'urgent')}`).toBe('[Urgent] "the payroll export"');
    expect(`[Urgent] ${withoutLevelPrefix('Urgent: incident #3, Service outage', 'urgent')}`).toBe('[Urgent] incident #3, Service outage');
  });
});

describe('escalation policy `until`', () => {
  const parse = (policy: Record<string, unknown>) => escalationSchema.parse({ policies: [{ name: 'p', steps: [{ after: 0, targets: ['github'] }, { after: 15, targets: ['email'] }], ...policy }] }).policies[0]!;

  it('defaults to replied for a conversation and to acknowledged for an incident', () => {
    const policy = parse({});
    expect(policy.steps.map((s) => stopWhen(policy, s, 'conversation'))).toEqual(['replied', 'replied']);
    expect(policy.steps.map((s) => stopWhen(policy, s, 'incident'))).toEqual(['acknowledged', 'acknowledged']);
    expect(DEFAULT_POLICY.steps.map((s) => stopWhen(DEFAULT_POLICY, s, 'conversation'))).toEqual(['replied', 'replied', 'replied']);
    expect(DEFAULT_POLICY.steps.map((s) => stopWhen(DEFAULT_POLICY, s, 'incident'))).toEqual(['acknowledged', 'acknowledged', 'acknowledged']);
  });

  it('a policy’s own until applies to both; a step’s own until wins', () => {
    const policy = parse({ until: 'resolved' });
    expect(stopWhen(policy, policy.steps[0]!, 'conversation')).toBe('resolved');
    expect(stopWhen(policy, policy.steps[0]!, 'incident')).toBe('resolved');
    const mixed = escalationSchema.parse({ policies: [{ name: 'p', until: 'replied', steps: [{ after: 0, targets: ['github'], until: 'acknowledged' }] }] }).policies[0]!;
    expect(stopWhen(mixed, mixed.steps[0]!, 'incident')).toBe('acknowledged');
  });

  it('anything else is a configuration error naming the key and the choices', () => {
    const result = escalationSchema.safeParse({ policies: [{ name: 'p', until: 'answered', steps: [{ after: 0, targets: ['github'] }] }] });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path).toEqual(['policies', 0, 'until']);
    expect(issue.message).toMatch(/replied.*acknowledged.*resolved/);
  });
});
