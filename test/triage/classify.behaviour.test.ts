/**
 * What staff can rely on from the urgency classifier. Each case states the level it must get and
 * the evidence phrase that must explain it (or must not appear). Written from the rules,
 * before the lexicon weights were tuned: a failing case means fix the classifier, not the case.
 */
import { describe, expect, it } from 'vitest';
import { classify, type Evidence, type TriageInput, type TriageResult, type UrgencyLevel } from '../../src/triage/classify.js';

interface Case {
  rule: string;
  input: TriageInput;
  level: UrgencyLevel | UrgencyLevel[];
  /** An evidence phrase that must be shown (case-insensitive), with its category. */
  evidence?: { phrase: string; category: string; negated?: boolean };
  /** Words that must not appear in any evidence (e.g. alarm words from quoted history). */
  absent?: string[];
}

function findEvidence(result: TriageResult, phrase: string): Evidence | undefined {
  return result.evidence.find((e) => e.phrase.toLowerCase() === phrase.toLowerCase());
}

function check(c: Case): void {
  const result = classify(c.input);
  const levels = Array.isArray(c.level) ? c.level : [c.level];
  expect(levels, JSON.stringify(result.evidence)).toContain(result.level);
  if (c.evidence) {
    const found = findEvidence(result, c.evidence.phrase);
    expect(found, `evidence "${c.evidence.phrase}" in ${JSON.stringify(result.evidence)}`).toBeDefined();
    expect(found!.category).toBe(c.evidence.category);
    expect(found!.negated === true).toBe(c.evidence.negated === true);
  }
  for (const word of c.absent ?? []) {
    expect(result.evidence.some((e) => e.phrase.toLowerCase().includes(word.toLowerCase()))).toBe(false);
  }
}

const negation: Case[] = [
  {
    rule: '"not urgent" makes a request low, and says so',
    input: { text: 'Not urgent, but could you tell me how to change my avatar?' },
    level: 'low',
    evidence: { phrase: 'Not urgent', category: 'no_urgency' },
  },
  {
    rule: '"no rush" makes a request low, and says so',
    input: { subject: 'Typo on pricing page', text: 'No rush at all: whenever you get a chance, the word "monthly" is misspelled.' },
    level: 'low',
    evidence: { phrase: 'No rush', category: 'no_urgency' },
  },
  {
    rule: '"isn\'t down" is not an outage',
    input: { text: "The site isn't down, but the logo looks blurry on my laptop." },
    level: ['normal', 'low'],
    evidence: { phrase: "isn't down", category: 'outage', negated: true },
  },
  {
    rule: '"no data loss" is reassurance, not data loss',
    input: { text: 'Good news: there was no data loss, everything synced after the restart. Can you explain what happened?' },
    level: ['normal', 'low'],
    evidence: { phrase: 'no data loss', category: 'data_loss', negated: true },
  },
  {
    rule: 'a negator far away in another clause does not cancel an outage',
    input: { text: "I'm not sure why, but the whole site is down for all our users." },
    level: ['urgent', 'high'],
    evidence: { phrase: 'is down', category: 'outage' },
  },
  {
    rule: '"can\'t log in" contains a negation and still means locked out',
    input: { text: "I can't log in to my account since this morning." },
    level: ['urgent', 'high'],
    evidence: { phrase: "can't log in", category: 'locked_out' },
  },
];

const quotedHistory: Case[] = [
  {
    rule: 'alarm words in an "On … wrote:" quote do not count',
    input: {
      subject: 'Re: ticket 4411',
      text: 'Thanks, that fixed it.\n\nOn Tue, 4 Jun 2024 at 09:12, Support <help@example.com> wrote:\n> We are investigating the OUTAGE.\n> Your site is down, this is urgent and critical.',
    },
    level: ['normal', 'low'],
    absent: ['down', 'urgent', 'critical', 'OUTAGE'],
  },
  {
    rule: 'a reply\'s inherited subject ("Re: outage") counts only a little',
    input: { subject: 'Re: outage', text: 'Thanks, that fixed it.' },
    level: ['normal', 'low'],
    evidence: { phrase: 'outage', category: 'outage' },
  },
  {
    rule: '"On … wrote:" wrapped over two lines still starts the history',
    input: {
      text: 'Perfect, all good now.\n\nOn Tue, 4 Jun 2024 at 09:12, Support Team\n<help@example.com> wrote:\n> Emergency maintenance: the service is down.',
    },
    level: ['normal', 'low'],
    absent: ['emergency', 'down'],
  },
  {
    rule: 'lines quoted with ">" do not count',
    input: { text: '> URGENT: checkout is down and we are losing money!!!\nOk, thanks for the update, I will wait for your email.' },
    level: ['normal', 'low'],
    absent: ['urgent', 'down', 'losing money', '!!!'],
  },
  {
    rule: 'an Outlook "From: … Sent: …" header block starts the history',
    input: {
      text: 'Sounds good, see you Thursday.\n\nFrom: Support <help@example.com>\nSent: Monday, June 3, 2024 10:00 AM\nTo: Ann Lee\nSubject: RE: outage\n\nThe outage is critical, a fix is urgent!!!',
    },
    level: ['normal', 'low'],
    absent: ['outage', 'critical', 'urgent'],
  },
  {
    rule: '"-----Original Message-----" starts the history',
    input: { text: 'Received, thank you.\n\n-----Original Message-----\nFrom: ops\nOur servers crashed and data loss is likely.' },
    level: ['normal', 'low'],
    absent: ['crash', 'data loss'],
  },
  {
    rule: 'a signature after "-- " does not count',
    input: { text: 'Could you resend last month\'s invoice?\n\n-- \nJane Doe\nHead of Emergency Response | Critical Systems Inc.' },
    level: ['normal', 'low'],
    absent: ['emergency', 'critical'],
  },
];

const questions: Case[] = [
  {
    rule: '"down for maintenance?" is a question about planned work, not an outage',
    input: { text: 'Is the dashboard down for maintenance tonight?' },
    level: ['normal', 'low'],
    evidence: { phrase: 'down for maintenance', category: 'maintenance_question' },
  },
  {
    rule: 'the same words as a statement of an outage are urgent',
    input: { text: 'The dashboard is down and nobody can log in.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'is down', category: 'outage' },
  },
  {
    rule: 'a report followed by a request for help is a report: only the asking clause is a question',
    input: { text: 'Our site is down, can you help?' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'is down', category: 'outage' },
  },
  {
    rule: 'a subject is read as its body reads it: asked about in the body, the subject is a question too',
    input: { subject: 'Deadline', text: 'Is there a way to set deadlines on tasks?' },
    level: ['normal', 'low'],
    evidence: { phrase: 'Deadline', category: 'time_pressure' },
  },
  {
    rule: 'a subject the body denies is denied ("Data loss" over "there was no data loss")',
    input: { subject: 'Data loss', text: 'Good news: there was no data loss after the restart. Can you explain what happened?' },
    level: ['normal', 'low'],
    evidence: { phrase: 'Data loss', category: 'data_loss', negated: true },
  },
  {
    rule: 'a subject the body does not mention keeps its weight',
    input: { subject: 'Server down', text: 'Please help, nothing loads.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'down', category: 'outage' },
  },
  {
    rule: 'every clause that asks is a question ("is it down, or is it me?")',
    input: { text: 'Is it down, or is it just me?' },
    level: ['normal', 'low'],
    evidence: { phrase: 'down', category: 'outage' },
  },
];

const intensity: Case[] = [
  {
    rule: 'an ALL-CAPS complaint is more urgent than the same words in lower case',
    input: { text: 'THE EXPORT KEEPS FAILING' },
    level: 'high',
    evidence: { phrase: 'THE EXPORT KEEPS FAILING', category: 'intensity' },
  },
  {
    rule: 'the same complaint in lower case is normal',
    input: { text: 'the export keeps failing' },
    level: 'normal',
    evidence: { phrase: 'failing', category: 'malfunction' },
  },
  {
    rule: 'a single acronym is not shouting',
    input: { text: 'The API returns an error when I upload a CSV file.' },
    level: 'normal',
    absent: ['API', 'CSV'],
  },
  {
    rule: '"!!!" adds urgency and is shown',
    input: { text: 'The export failed again!!!' },
    level: 'high',
    evidence: { phrase: '!!!', category: 'intensity' },
  },
];

const realWorld: Case[] = [
  {
    rule: 'being charged twice is urgent enough to be high',
    input: { text: 'I was charged twice for my subscription this month.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'charged twice', category: 'payment_failure' },
  },
  {
    rule: 'a locked-out customer is high',
    input: { text: "I'm locked out of my account and my password reset email never arrives." },
    level: ['urgent', 'high'],
    evidence: { phrase: 'locked out', category: 'locked_out' },
  },
  {
    rule: 'a legal threat is high',
    input: { text: 'If this is not sorted by Friday, our lawyer will be in touch.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'lawyer', category: 'legal_churn' },
  },
  {
    rule: 'a hacked account is urgent',
    input: { text: 'I think our account was hacked: someone changed the admin email and we have lost access.' },
    level: 'urgent',
    evidence: { phrase: 'hacked', category: 'security' },
  },
  {
    rule: 'an outage affecting everyone with money at stake is urgent',
    input: { subject: 'Checkout down', text: 'Checkout has been down for an hour, all of our customers are affected and we are losing sales.' },
    level: 'urgent',
    evidence: { phrase: 'losing sales', category: 'business_impact' },
  },
  {
    rule: 'a feature wish is low',
    input: { text: 'Feature request: it would be nice to have keyboard shortcuts in the editor.' },
    level: 'low',
    evidence: { phrase: 'Feature request', category: 'feature_request' },
  },
  {
    rule: 'a how-to question is normal',
    input: { text: 'How do I add a second admin to our workspace?' },
    level: ['normal', 'low'],
  },
  {
    rule: '"drop down" is not an outage',
    input: { text: 'The drop down menu on the settings page has a slightly wrong colour.' },
    level: ['normal', 'low'],
    absent: ['down'],
  },
];

// Everyday support phrasings written from how customers report problems (not from the dev set),
// before the lexicon gained the phrases that now explain them.
const everydayPhrasings: Case[] = [
  {
    rule: 'webhooks that stopped and orders not syncing are high',
    input: { subject: 'Webhooks', text: 'Our webhooks stopped firing yesterday; orders are not syncing to our warehouse.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'not syncing', category: 'malfunction' },
  },
  {
    rule: 'customers who cannot check out are high',
    input: { text: 'Customers cannot check out, the payment step just hangs.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'cannot check out', category: 'payment_failure' },
  },
  {
    rule: 'mail that stopped arriving is high',
    input: { text: 'We are not receiving any emails since yesterday evening.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'not receiving', category: 'malfunction' },
  },
  {
    rule: 'a sign-in by someone else is a security matter',
    input: { text: 'Someone logged into my account from another country and changed my email. Please help' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'Someone logged', category: 'security' },
  },
  {
    rule: 'an expired certificate takes a site down',
    input: { text: 'Our SSL certificate expired and browsers are blocking the site with a security warning.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'certificate expired', category: 'outage' },
  },
  {
    rule: 'a deadline within the hour adds to being locked out',
    input: { text: 'I cannot log in, the password reset email never arrives. I have a demo with a client in 1 hour!' },
    level: 'urgent',
    evidence: { phrase: 'in 1 hour', category: 'time_pressure' },
  },
  {
    rule: 'work deleted by accident is high even when asked about',
    input: { text: 'I deleted a project by accident, is there any way to restore it? It had 3 months of work.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'deleted a project by accident', category: 'data_loss' },
  },
  {
    rule: 'a failure with a deadline tomorrow is high',
    input: { text: 'Payroll export fails and we must pay our staff tomorrow.' },
    level: ['urgent', 'high'],
    evidence: { phrase: 'tomorrow', category: 'time_pressure' },
  },
  {
    rule: '"take your time" makes a request low',
    input: { text: 'Could you update the company name on our invoices? Take your time.' },
    level: 'low',
    evidence: { phrase: 'Take your time', category: 'no_urgency' },
  },
  {
    rule: '"not in a hurry" makes a request low',
    input: { text: "Not in a hurry, but I'd love to know if you plan an Android widget." },
    level: 'low',
    evidence: { phrase: 'Not in a hurry', category: 'no_urgency' },
  },
  {
    rule: 'booking a demo is a sales question, not a problem',
    input: { text: 'Could we book a demo of the enterprise plan next week?' },
    level: ['normal', 'low'],
    evidence: { phrase: 'book a demo', category: 'presales' },
  },
  {
    rule: 'the down arrow and a crash course are not an outage',
    input: { subject: 'Crash course', text: 'The down arrow in the list does nothing. Also, do you have a crash course for new agents?' },
    level: ['normal', 'low'],
    absent: ['down', 'crash'],
  },
  {
    rule: 'an "urgent care" clinic exploring options is not urgent',
    input: { text: 'We are an urgent care clinic: can we use your forms for patient intake? Just exploring options.' },
    level: ['normal', 'low'],
    absent: ['urgent'],
  },
];

describe('urgency classifier behaviour', () => {
  for (const [group, cases] of Object.entries({ negation, quotedHistory, questions, intensity, realWorld, everydayPhrasings })) {
    describe(group, () => {
      for (const c of cases) it(c.rule, () => check(c));
    });
  }
});

describe('account and conversation signals', () => {
  const borderline = { text: 'The export fails with an error.' };

  it('a paying, higher plan tier raises the same message from normal to high, and says so', () => {
    const free = classify({ ...borderline, planTier: 'free' });
    const enterprise = classify({ ...borderline, planTier: 'enterprise' });
    expect(free.level).toBe('normal');
    expect(enterprise.level).toBe('high');
    expect(enterprise.score).toBeGreaterThan(free.score);
    expect(enterprise.evidence).toContainEqual(expect.objectContaining({ phrase: 'plan: enterprise', category: 'plan_tier', start: null, end: null }));
  });

  it('a paid plan weighs more than a trial', () => {
    expect(classify({ ...borderline, planTier: 'paid' }).score).toBeGreaterThan(classify({ ...borderline, planTier: 'trial' }).score);
  });

  it('a plan tier never makes a calm message urgent by itself', () => {
    const result = classify({ text: 'How do I change my avatar?', planTier: 'enterprise' });
    expect(result.level).toBe('normal');
    expect(result.evidence.some((e) => e.category === 'plan_tier')).toBe(false);
  });

  it('contacting again within 24 hours raises the level, and says so', () => {
    const message = { text: 'Any news on the failed export?' };
    const first = classify(message);
    const again = classify({ ...message, repeatContactWithin24h: true });
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
