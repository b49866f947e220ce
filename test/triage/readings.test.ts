/**
 * The named rules behind the lexicon (issue 23): the deadline reader, the readings of a whole
 * message (automatic reply, recovery, amplifiers without a problem, acknowledgement), hypothetical
 * clauses, forwarded messages, chat shorthand, and the topic routing knows a finer category by.
 * Each is checked through `classify` where the evidence is what staff see.
 */
import { describe, expect, it } from 'vitest';
import { classify, classifiedText, type TriageResult } from '../../src/triage/classify.js';
import { primaryCategory } from '../../src/triage/problem.js';
import { readPeopleCounts, readTimeWords } from '../../src/triage/time-words.js';
import { tokenize } from '../../src/triage/tokens.js';

function kinds(text: string): string[] {
  return readTimeWords(text).map((h) => `${h.kind}:${text.slice(h.start, h.end)}`);
}

function item(result: TriageResult, category: string) {
  return result.evidence.find((e) => e.category === category);
}

describe('the deadline reader', () => {
  it('reads near deadlines: today, a time of day, within hours, tomorrow, before the payroll run', () => {
    expect(kinds('payroll is due today')).toEqual(['today:today']);
    expect(kinds('our payroll runs at 3pm')).toEqual(['clock:at 3pm']);
    expect(kinds('the bank file goes out at 16:00')).toEqual(['clock:at 16:00']);
    expect(kinds('I have a demo in 1 hour')).toEqual(['today:in 1 hour']);
    expect(kinds('the filing is due tomorrow morning')).toEqual(['tomorrow:tomorrow morning']);
    expect(kinds('we need it before payroll runs on Thursday')).toContain('soon:before payroll runs');
    expect(kinds('payroll closes on Thursday')).toEqual(['soon:closes on Thursday']);
  });

  it('reads far deadlines: within 30 days, next month, a renewal in March, until May', () => {
    expect(kinds('our auditors need it within 30 days')).toEqual(['far:within 30 days']);
    expect(kinds('by the end of next month')).toEqual(['far:by the end of next month']);
    expect(kinds('before our renewal in March')).toEqual(['far:renewal in March']);
    expect(kinds('nobody books leave until May')).toEqual(['far:until May']);
    expect(kinds('sometime next quarter')).toEqual(['far:sometime next quarter']);
  });

  it('a time that starts a problem is a duration, and a month in the past is no deadline', () => {
    expect(kinds('the clock-in button does nothing since 7am')).toEqual(['since:since 7am']);
    expect(kinds('it started at 6 when the shift came in')).toEqual([]);
    expect(kinds('the export has been empty for 3 days')).toEqual(['since:for 3 days']);
    expect(kinds('we deactivated 25 leavers in February')).toEqual([]);
    expect(kinds('all 1,200 employees')).toEqual([]);
  });

  it('counts people from ten up, not smaller numbers or years', () => {
    expect(readPeopleCounts('about 240 employees and 3 managers').map((h) => h.count)).toEqual([240]);
    expect(readPeopleCounts('all 1,200 staff')).toMatchObject([{ count: 1200 }]);
    expect(readPeopleCounts('in 2024 we hired')).toEqual([]);
  });

  it('near deadlines push a problem up, far ones push a request down, as evidence', () => {
    const near = classify({ text: 'Payroll export fails and payroll is due today.' });
    expect(item(near, 'deadline')).toMatchObject({ phrase: 'today' });
    expect(item(near, 'deadline')!.weight).toBeGreaterThan(0);
    const far = classify({ text: 'We would like to switch to biweekly pay by the end of next month. What is involved?' });
    expect(item(far, 'deadline_far')!.weight).toBeLessThan(0);
    expect(far.level).toBe('low');
  });
});

describe('readings of the whole message', () => {
  it('an automatic reply counts nothing it quotes, and says why', () => {
    const result = classify({ subject: 'Automatic reply: URGENT payroll failure', text: 'I am out of the office until Monday. For urgent payroll matters call 555 0100.' });
    expect(result.level).toBe('low');
    const alarms = result.evidence.filter((e) => e.category !== 'auto_reply' && e.reading === 'automatic reply');
    expect(alarms.length).toBeGreaterThan(0);
    for (const e of alarms) expect(e.weight).toBe(0);
  });

  it('what was reported before a recovery is resolved; the message is low', () => {
    const result = classify({ subject: 'Re: Site is down', text: "Thanks, it's working again now. Our staff can clock in." });
    expect(result.level).toBe('low');
    expect(item(result, 'resolution')).toMatchObject({ phrase: 'working again' });
  });

  it('a problem after the recovery is new: the recovery stops counting and the problem decides', () => {
    const result = classify({ text: 'Thanks, the export works again. However the net pay on 6 payslips is now different from the export figures, and we pay on Thursday.' });
    expect(['urgent', 'high']).toContain(result.level);
    expect(item(result, 'resolution')).toMatchObject({ weight: 0, reading: 'a new problem follows' });
    // The thanks were for the fix: they go with it.
    expect(item(result, 'gratitude')).toMatchObject({ phrase: 'Thanks', weight: 0, reading: 'a new problem follows' });
  });

  it('"URGENT!!!" over a how-to question is a how-to question: amplifiers count little, the question counts', () => {
    const result = classify({ subject: 'URGENT!!!', text: 'Hi, could you tell me where to change the colour of the company logo on the login page? Thanks' });
    expect(result.level).toBe('low');
    expect(result.evidence.find((e) => e.phrase === 'URGENT')).toMatchObject({ reading: 'no problem reported' });
  });

  it('an acknowledgement alone is low; a real report in the same few words is not', () => {
    expect(classify({ text: 'ok', channel: 'chat' }).level).toBe('low');
    expect(classify({ text: 'thx', channel: 'chat' }).level).toBe('low');
    expect(['urgent', 'high']).toContain(classify({ text: 'nobody can clock in', channel: 'chat' }).level);
  });

  it('alarms in a hypothetical clause are not reports ("what happens if a payroll run fails")', () => {
    const result = classify({ text: 'What happens if a payroll run fails halfway through? We want to document a fallback.' });
    expect(result.level).toBe('low');
    expect(result.evidence.find((e) => e.phrase === 'fails')).toMatchObject({ reading: 'hypothetical' });
    // The same failure reported is a problem.
    expect(classify({ text: 'The payroll run fails halfway through.' }).evidence.find((e) => e.phrase === 'fails')?.reading).toBeUndefined();
  });

  it('an alarm in a clause that puts it weeks away is not happening yet; in its own clause it is', () => {
    const planned = classify({ text: 'Our SAML certificate expires on the 30th of next month, how do we upload the new one without downtime?' });
    expect(planned.level).toBe('low');
    expect(planned.evidence.find((e) => e.phrase === 'certificate expires')).toMatchObject({ reading: 'far off' });
    const now = classify({ text: 'Our SAML certificate expired this morning and nobody can sign in, our audit is next month.' });
    expect(['urgent', 'high']).toContain(now.level);
    expect(now.evidence.filter((e) => e.reading === 'far off')).toEqual([]);
  });

  it('a failure the lexicon does not list ("won\'t open", "hasn\'t arrived") is evidence', () => {
    const result = classify({ text: "The rota page won't open for our managers." });
    expect(item(result, 'not_happening')).toMatchObject({ phrase: "won't open" });
    // Polite formulas and uncertainty are not failures.
    expect(item(classify({ text: "Please don't hesitate to call me, I'm not sure which plan we have." }), 'not_happening')).toBeUndefined();
  });
});

describe('reading the words', () => {
  it('chat shorthand without apostrophes negates like the full form', () => {
    expect(tokenize('cant login').tokens.map((t) => t.norm)).toEqual(['can', 'not', 'login']);
    expect(item(classify({ text: 'the app isnt crashing anymore, thanks!' }), 'resolution')).toBeDefined();
  });

  it('a line that opens with where/how is a question even without "?"', () => {
    const result = classify({ text: 'where do i change my bank details', channel: 'chat' });
    expect(['normal', 'low']).toContain(result.level);
    expect(item(result, 'product_question')).toMatchObject({ phrase: 'where do i' });
    // "change my bank details" asked about is not "changed the bank details" reported.
    expect(item(result, 'account_compromise')).toBeUndefined();
  });

  it('a forward is read with the message it forwards; a reply\'s history is not', () => {
    const forwarded = 'See below from one of our drivers.\n\nFrom: Dario <d@example.com>\nSent: Wednesday, 5 June 2024 18:22\nTo: HR <hr@example.com>\nSubject: payslip\n\nin the app i see salary slip of another person, not mine.';
    expect(classifiedText({ subject: 'Fwd: payslip in app', text: forwarded })).toContain('salary slip of another person');
    expect(classifiedText({ subject: 'Re: payslip in app', text: forwarded })).not.toContain('salary slip');
    expect(['urgent', 'high']).toContain(classify({ subject: 'Fwd: payslip in app', text: forwarded }).level);
  });
});

describe('routing topics', () => {
  it('a compromised account, exposed payslips and impersonation route as security; everyone blocked as outage', () => {
    expect(primaryCategory(classify({ text: 'Someone hacked our account and changed the admin password' }).evidence)).toBe('security');
    expect(primaryCategory(classify({ text: 'Ravi sees the payslip of Joanna, not his own.' }).evidence)).toBe('security');
    expect(primaryCategory(classify({ text: 'Staff get texts pretending to be from you asking for their PIN.' }).evidence)).toBe('security');
    expect(primaryCategory(classify({ text: 'Nobody can log in.' }).evidence)).toBe('outage');
    // Deadlines and head counts say how much, not what.
    expect(primaryCategory(classify({ text: 'Payroll export fails, 240 employees, due today.' }).evidence)).not.toMatch(/deadline|many_people/);
  });
});
