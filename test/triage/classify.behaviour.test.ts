/**
 * What staff can rely on from the urgency classifier, case by case: the rule cases in
 * test/triage/behaviour/rules.yaml (negation, quoted history, questions, intensity, everyday
 * phrasings), each held to its level, its evidence (phrase, category, negation) and the words that
 * must not be evidence. Written from the rules before any weight was fitted: a failing
 * case means fix the classifier, not the case. The hand-labelled suite is judged as a whole in
 * behaviour-suite.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, type Evidence, type TriageInput, type TriageResult } from '../../src/triage/classify.js';
import { loadLexicon, SHIPPED_LEXICON } from '../../src/triage/lexicon.js';
import { caseInput, levelsOf, parseSuite, type SuiteCase } from '../../src/triage/eval/suite.js';

const RULES = new URL('./behaviour/rules.yaml', import.meta.url);
const ruleCases = parseSuite(readFileSync(RULES, 'utf8'), 'rules.yaml');

function findEvidence(result: TriageResult, phrase: string): Evidence | undefined {
  return result.evidence.find((e) => e.phrase.toLowerCase() === phrase.toLowerCase());
}

function check(c: SuiteCase): void {
  const result = classify(caseInput(c));
  expect(levelsOf(c), JSON.stringify(result.evidence)).toContain(result.level);
  if (c.evidence && c.category) {
    const found = findEvidence(result, c.evidence);
    expect(found, `evidence "${c.evidence}" in ${JSON.stringify(result.evidence)}`).toBeDefined();
    expect(found!.category).toBe(c.category);
    expect(found!.negated === true).toBe(c.negated === true);
  }
  for (const word of c.absent ?? []) {
    expect(result.evidence.some((e) => e.phrase.toLowerCase().includes(word.toLowerCase()))).toBe(false);
  }
}

describe('urgency classifier behaviour (rules.yaml)', () => {
  const themes = [...new Set(ruleCases.map((c) => c.theme))];
  it('holds the earlier rule cases, 45 of them', () => expect(ruleCases.length).toBeGreaterThanOrEqual(45));
  for (const theme of themes) {
    describe(theme, () => {
      for (const c of ruleCases.filter((r) => r.theme === theme)) it(c.rule ?? c.id, () => check(c));
    });
  }
});

// The mechanisms below are checked with the lexicon as its author wrote it (weights.yaml's fitted
// scales and thresholds move levels, not what each signal does).
const written = loadLexicon(SHIPPED_LEXICON);

describe('account and conversation signals', () => {
  const borderline = { text: 'The export fails with an error.' };

  it('a paying, higher plan tier raises the same message from normal to high, and says so', () => {
    const free = classify({ ...borderline, planTier: 'free' }, written);
    const enterprise = classify({ ...borderline, planTier: 'enterprise' }, written);
    expect(free.level).toBe('normal');
    expect(enterprise.level).toBe('high');
    expect(enterprise.score).toBeGreaterThan(free.score);
    expect(enterprise.evidence).toContainEqual(expect.objectContaining({ phrase: 'plan: enterprise', category: 'plan_tier', start: null, end: null }));
  });

  it('a paid plan weighs more than a trial', () => {
    expect(classify({ ...borderline, planTier: 'paid' }, written).score).toBeGreaterThan(classify({ ...borderline, planTier: 'trial' }, written).score);
  });

  it('a plan tier never makes a calm message urgent by itself', () => {
    const result = classify({ text: 'How do I change my avatar?', planTier: 'enterprise' });
    expect(['normal', 'low']).toContain(result.level);
    expect(result.evidence.some((e) => e.category === 'plan_tier')).toBe(false);
  });

  it('contacting again within 24 hours raises the level, and says so', () => {
    const message = { text: 'The export failed, any news?' };
    const first = classify(message, written);
    const again = classify({ ...message, repeatContactWithin24h: true }, written);
    expect(first.level).toBe('normal');
    expect(again.level).toBe('high');
    expect(again.evidence).toContainEqual(expect.objectContaining({ category: 'repeat_contact', start: null, end: null }));
  });

  it('a live chat counts a little more than an email', () => {
    const chat = classify({ ...borderline, channel: 'chat' });
    const email = classify({ ...borderline, channel: 'email' });
    expect(chat.score).toBeGreaterThan(email.score);
    expect(chat.evidence).toContainEqual(expect.objectContaining({ phrase: 'channel: chat', category: 'channel' }));
  });
});

describe('explanations staff can trust', () => {
  const input: TriageInput = {
    subject: 'URGENT: site down',
    text: "Our site is down and customers can't pay!!!\n\nOn Mon, Ann <a@example.com> wrote:\n> old message about an outage",
    planTier: 'paid',
  };

  it('every text evidence offset points at its phrase in the returned text', () => {
    const result = classify(input);
    const inText = result.evidence.filter((e) => e.start !== null);
    expect(inText.length).toBeGreaterThan(2);
    for (const e of inText) expect(result.text.slice(e.start!, e.end!)).toBe(e.phrase);
  });

  it('the returned text is the subject and the body without the quoted history', () => {
    expect(classify(input).text).toBe("URGENT: site down\nOur site is down and customers can't pay!!!");
  });

  it('the score is the sum of the evidence weights', () => {
    const result = classify(input);
    expect(result.score).toBeCloseTo(result.evidence.reduce((sum, e) => sum + e.weight, 0), 2);
  });

  it('the same message always gets the same result', () => {
    expect(classify(input)).toEqual(classify(input));
  });

  it('a message with no evidence is normal with low confidence', () => {
    const result = classify({ text: 'Hello, here is the file you asked for.' });
    expect(result).toMatchObject({ level: 'normal', confidence: 'low', evidence: [] });
  });

  it('a message with several strong signals is called with high confidence', () => {
    expect(classify(input).confidence).toBe('high');
  });

  it('full-width and ligature characters are read as plain letters (NFKC)', () => {
    const result = classify({ text: 'Our site is ｄｏｗｎ and data is ﬁnally gone' });
    expect(findEvidence(result, 'is down')).toBeDefined();
  });
});
