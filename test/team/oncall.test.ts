/**
 * The on-call schedule: who holds a rotation's shift, who is awake, and where each triage category
 * is routed. Every clock is fixed; instants are written in UTC with the local time beside them.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import YAML from 'yaml';
import { secretPaths } from '../../src/config/secrets.js';
import {
  coverageAt,
  isAwake,
  nextAwake,
  onCallAt,
  oncallSchema,
  routeFor,
  whoToWake,
  type OncallConfig,
} from '../../src/team/oncall.js';

/** The form an operator writes in the HUB_CONFIG file, under `oncall`. */
const file = {
  people: {
    sam: { name: 'Sam', timeZone: 'America/New_York', contacts: { email: 'sam@acme.example', phone: '+12125550100' } },
    priya: { name: 'Priya', timeZone: 'Asia/Kolkata', awake: '07:00-23:00', contacts: { slack: '@priya', pagerduty: true } },
    ravi: { name: 'Ravi', timeZone: 'Asia/Kolkata', contacts: { slack: 'U024BE7LH' } },
    lena: { name: 'Lena', timeZone: 'Europe/Berlin', contacts: { email: 'lena@acme.example' } },
    jonas: { name: 'Jonas', timeZone: 'Europe/Berlin', contacts: { email: 'jonas@acme.example' } },
  },
  rotations: {
    security: { members: ['priya', 'ravi'], timeZone: 'Asia/Kolkata', handoff: { day: 'mon', time: '09:00' }, start: '2025-01-13' },
    engineering: { members: ['lena', 'jonas'], timeZone: 'Europe/Berlin', start: '2025-01-13', coverage: 'mon-fri 08:00-20:00' },
  },
  overrides: [] as unknown[],
  routes: { security: 'security', billing: 'sam', legal_churn: 'sam', outage: 'engineering', default: 'sam' },
};

const parse = (input: unknown): OncallConfig => oncallSchema.parse(input);
const main = parse(file);
const person = (id: string) => main.people[id]!;

/** Problems as the config loader reports them: dotted key, then message. */
function problemsOf(oncall: unknown): string[] {
  const result = z.object({ oncall: oncallSchema }).safeParse({ oncall });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
}

// 2025-01-15 (Wednesday) 08:00 UTC = 03:00 in New York, 13:30 in Kolkata, 09:00 in Berlin.
const WED_0800Z = new Date('2025-01-15T08:00:00Z');

describe('on-call: the must-show scenario', () => {
  it('at 3 a.m. in the owner’s zone an urgent security message pages the awake security contact, not the owner', () => {
    const decision = whoToWake(main, 'security', WED_0800Z)!;
    expect(decision.covered && decision.personId).toBe('priya');
    expect(decision.covered && decision.awake).toBe(true);
    expect(decision.wakes).toBe(false);
    expect(decision.reason).toBe('security → rotation security: Priya (Asia/Kolkata, 13:30 local, awake)');
  });

  it('billing goes to the owner even at 3 a.m., and the decision says paging wakes them', () => {
    const decision = whoToWake(main, 'billing', WED_0800Z)!;
    expect(decision.covered && decision.personId).toBe('sam');
    expect(decision.covered && decision.awake).toBe(false);
    expect(decision.wakes).toBe(true);
    expect(decision.covered && decision.awakeAt.toISOString()).toBe('2025-01-15T13:00:00.000Z');
    expect(decision.reason).toBe('billing → Sam (America/New_York, 03:00 local, asleep until 08:00); paging wakes them');
  });
});

describe('on-call: routing by category', () => {
  it.each([
    ['security', 'security → rotation security: Priya (Asia/Kolkata, 13:30 local, awake)'],
    ['outage', 'outage → rotation engineering: Lena (Europe/Berlin, 09:00 local, awake)'],
    ['legal_churn', 'legal_churn → Sam (America/New_York, 03:00 local, asleep until 08:00)'],
    ['data_loss', 'data_loss (no route; default) → Sam (America/New_York, 03:00 local, asleep until 08:00)'],
  ])('routes %s and explains why', (category, reason) => {
    expect(routeFor(main, category, WED_0800Z)?.reason).toBe(reason);
  });

  it('a category without a route and no default routes nowhere', () => {
    const { default: _, ...routes } = file.routes;
    expect(routeFor(parse({ ...file, routes }), 'data_loss', WED_0800Z)).toBeNull();
  });

  it('a rotation outside its coverage hours pages nobody and says when coverage resumes', () => {
    const saturday = new Date('2025-01-18T12:00:00Z');
    const route = routeFor(main, 'outage', saturday)!;
    expect(route.covered).toBe(false);
    expect(!route.covered && route.nextCoverage?.toISOString()).toBe('2025-01-20T07:00:00.000Z');
    expect(route.reason).toBe('outage → rotation engineering: nobody on call (outside its coverage hours); coverage resumes 2025-01-20 08:00 Europe/Berlin');
  });

  it('when the on-call person is asleep, the awake members of the same rotation are offered', () => {
    const followTheSun = parse({
      people: {
        lena: file.people.lena,
        maya: { name: 'Maya', timeZone: 'America/Los_Angeles', contacts: { email: 'maya@acme.example' } },
      },
      rotations: { platform: { members: ['lena', 'maya'], timeZone: 'Europe/Berlin', start: '2025-01-13' } },
      routes: { outage: 'platform' },
    });
    // 02:00 UTC: 03:00 for Lena (on shift), 18:00 the day before for Maya.
    const decision = whoToWake(followTheSun, 'outage', new Date('2025-01-15T02:00:00Z'))!;
    expect(decision.covered && decision.personId).toBe('lena');
    expect(decision.wakes).toBe(true);
    expect(decision.awakeAlternatives.map((a) => [a.personId, a.localTime])).toEqual([['maya', '18:00']]);
    expect(decision.reason).toBe(
      'outage → rotation platform: Lena (Europe/Berlin, 03:00 local, asleep until 08:00); paging wakes them; awake in rotation platform: Maya (18:00 local)',
    );
  });
  it('when the on-call person is asleep and so is the rest of the rotation, the decision says so', () => {
    // 20:00 UTC is 01:30 the next day in Kolkata, where both security members live.
    const decision = whoToWake(main, 'security', new Date('2025-01-15T20:00:00Z'))!;
    expect(decision.covered && decision.personId).toBe('priya');
    expect(decision.awakeAlternatives).toEqual([]);
    expect(decision.reason).toBe(
      'security → rotation security: Priya (Asia/Kolkata, 01:30 local, asleep until 07:00); paging wakes them; nobody else in the rotation is awake',
    );
  });
});

describe('on-call: weekly rotations', () => {
  const berlin = (rotation: Record<string, unknown>) =>
    parse({
      people: { a: { name: 'A', timeZone: 'Europe/Berlin', contacts: { email: 'a@acme.example' } }, b: { name: 'B', timeZone: 'Europe/Berlin', contacts: { email: 'b@acme.example' } } },
      rotations: { r: { members: ['a', 'b'], timeZone: 'Europe/Berlin', ...rotation } },
    });
  const holder = (config: OncallConfig, iso: string) => onCallAt(config, 'r', new Date(iso))?.personId;

  it('hands off at 09:00 local on the Monday after the spring DST change (07:00 UTC, not 08:00)', () => {
    const config = berlin({ start: '2025-03-17' }); // a from 17 Mar, b from 24 Mar, a again from 31 Mar
    expect(holder(config, '2025-03-24T07:59:00Z')).toBe('a'); // 08:59 CET
    expect(holder(config, '2025-03-24T08:00:00Z')).toBe('b'); // 09:00 CET
    expect(holder(config, '2025-03-31T06:59:00Z')).toBe('b'); // 08:59 CEST
    expect(holder(config, '2025-03-31T07:00:00Z')).toBe('a'); // 09:00 CEST
  });

  it('hands off at 09:00 local on the Monday after the autumn DST change (08:00 UTC, not 07:00)', () => {
    const config = berlin({ start: '2025-09-01' }); // eight weeks later, 27 Oct, is a's again
    expect(holder(config, '2025-10-27T07:30:00Z')).toBe('b'); // 08:30 CET
    expect(holder(config, '2025-10-27T08:00:00Z')).toBe('a'); // 09:00 CET
  });

  it('a handoff time skipped by the spring change happens when the clock jumps past it', () => {
    const config = berlin({ start: '2025-03-29', lengthDays: 1, handoff: { time: '02:30' } });
    expect(holder(config, '2025-03-30T00:59:00Z')).toBe('a'); // 01:59 CET
    expect(holder(config, '2025-03-30T01:00:00Z')).toBe('b'); // 03:00 CEST
  });

  it('without a start date, the first shift is the first handoff day from 2024-01-01', () => {
    const config = berlin({ handoff: { day: 'wed', time: '10:00' } }); // a from Wed 3 Jan 2024
    expect(holder(config, '2024-01-03T09:00:00Z')).toBe('a'); // 10:00 CET
    expect(holder(config, '2024-01-10T08:59:00Z')).toBe('a');
    expect(holder(config, '2024-01-10T09:00:00Z')).toBe('b');
    expect(holder(config, '2024-01-03T08:59:00Z')).toBe('b'); // the shift before the first wraps round
  });

  it('an override wins over the rotation for exactly its interval; the later of two overlapping wins', () => {
    const config = parse({
      ...file,
      overrides: [
        { rotation: 'security', person: 'ravi', from: '2025-01-15T00:00+05:30', to: '2025-01-16T00:00+05:30' },
        { rotation: 'security', person: 'sam', from: '2025-01-15T10:00Z', to: '2025-01-15T11:00Z' },
      ],
    });
    expect(onCallAt(config, 'security', WED_0800Z)?.personId).toBe('ravi');
    expect(routeFor(config, 'security', WED_0800Z)?.reason).toBe(
      'security → rotation security (override until 2025-01-16T00:00+05:30): Ravi (Asia/Kolkata, 13:30 local, awake)',
    );
    expect(onCallAt(config, 'security', new Date('2025-01-15T10:30:00Z'))?.personId).toBe('sam');
    expect(onCallAt(config, 'security', new Date('2025-01-15T18:30:00Z'))?.personId).toBe('priya'); // `to` is exclusive
  });

  it('an override swaps the person but does not extend a rotation’s coverage hours', () => {
    const config = parse({ ...file, overrides: [{ rotation: 'engineering', person: 'jonas', from: '2025-01-17T00:00Z', to: '2025-01-20T00:00Z' }] });
    expect(onCallAt(config, 'engineering', new Date('2025-01-17T12:00:00Z'))?.personId).toBe('jonas'); // Friday 13:00
    expect(onCallAt(config, 'engineering', new Date('2025-01-18T12:00:00Z'))).toBeNull(); // Saturday
  });
});

describe('on-call: coverage', () => {
  it('a business-hours rotation covers until 20:00 Friday and resumes Monday 08:00 local', () => {
    const engineeringOnly = parse({ people: file.people, rotations: { engineering: file.rotations.engineering }, routes: { outage: 'engineering' } });
    expect(coverageAt(engineeringOnly, new Date('2025-01-17T18:59:00Z')).covered).toBe(true); // Fri 19:59
    const after = coverageAt(engineeringOnly, new Date('2025-01-17T19:00:00Z')); // Fri 20:00
    expect(after).toEqual({ covered: false, onCall: [], uncovered: ['engineering'], nextCoverage: new Date('2025-01-20T07:00:00Z') });
  });

  it('a 24x7 rotation or a route to a person counts as coverage at night', () => {
    const saturdayNight = new Date('2025-01-18T23:00:00Z');
    const coverage = coverageAt(main, saturdayNight);
    expect(coverage.covered).toBe(true);
    expect(coverage.uncovered).toEqual(['engineering']);
    expect(coverage.onCall).toEqual([
      { rotation: 'security', personId: 'priya', awake: false }, // 04:30 in Kolkata
      { rotation: null, personId: 'sam', awake: true }, // 18:00 in New York
    ]);
    expect(coverage.nextCoverage).toBeNull();
  });
});

describe('on-call: waking hours', () => {
  it('one instant is night for the owner and day for the security contact', () => {
    expect(isAwake(person('sam'), WED_0800Z)).toBe(false); // 03:00
    expect(isAwake(person('priya'), WED_0800Z)).toBe(true); // 13:30
    expect(isAwake(person('lena'), WED_0800Z)).toBe(true); // 09:00
  });

  it('waking hours end at their end time (default 08:00-22:00)', () => {
    expect(isAwake(person('sam'), new Date('2025-01-16T02:59:00Z'))).toBe(true); // 21:59
    expect(isAwake(person('sam'), new Date('2025-01-16T03:00:00Z'))).toBe(false); // 22:00
    expect(isAwake(person('sam'), new Date('2025-01-15T12:59:00Z'))).toBe(false); // 07:59
  });

  it('waking hours may wrap past midnight', () => {
    const owl = parse({ people: { owl: { name: 'Owl', timeZone: 'UTC', awake: '22:00-06:00', contacts: { email: 'owl@acme.example' } } } }).people['owl']!;
    expect(isAwake(owl, new Date('2025-01-15T23:00:00Z'))).toBe(true);
    expect(isAwake(owl, new Date('2025-01-15T05:59:00Z'))).toBe(true);
    expect(isAwake(owl, new Date('2025-01-15T06:00:00Z'))).toBe(false);
    expect(nextAwake(owl, new Date('2025-01-15T12:00:00Z')).toISOString()).toBe('2025-01-15T22:00:00.000Z');
  });

  it('the next waking moment follows the local clock across a DST change', () => {
    // 9 Mar 2025, 01:00 EST; clocks spring forward at 02:00, so 08:00 EDT is 12:00 UTC.
    expect(nextAwake(person('sam'), new Date('2025-03-09T06:00:00Z')).toISOString()).toBe('2025-03-09T12:00:00.000Z');
    expect(nextAwake(person('priya'), WED_0800Z)).toEqual(WED_0800Z);
  });
});

describe('on-call: configuration', () => {
  it('the example configuration is valid, in JSON and in YAML file form', () => {
    expect(problemsOf(file)).toEqual([]);
    const yaml = `
people:
  priya: { name: Priya, timeZone: Asia/Kolkata, awake: 07:00-23:00, contacts: { slack: "@priya" } }
rotations:
  security: { members: [priya], timeZone: Asia/Kolkata, handoff: { day: mon, time: 09:00 }, coverage: 24x7 }
overrides:
  - { rotation: security, person: priya, from: 2025-01-15T00:00+05:30, to: 2025-01-16T00:00+05:30 }
routes: { security: security, default: priya }
`;
    expect(problemsOf(YAML.parse(yaml))).toEqual([]);
    expect(parse(YAML.parse(yaml)).rotations['security']?.handoff.time).toBe('09:00');
  });

  it('an absent section means no on-call: nothing is routed, nobody is covered', () => {
    const none = parse(undefined);
    expect(routeFor(none, 'security', WED_0800Z)).toBeNull();
    expect(coverageAt(none, WED_0800Z).covered).toBe(false);
  });

  it('phone numbers and PagerDuty routing keys are redacted from config dumps', () => {
    expect(secretPaths(z.object({ oncall: oncallSchema }))).toEqual(
      expect.arrayContaining([
        ['oncall', 'people', '*', 'contacts', 'pagerduty'],
        ['oncall', 'people', '*', 'contacts', 'phone'],
      ]),
    );
  });

  const people = file.people;
  const rotations = file.rotations;
  const override = { rotation: 'security', person: 'ravi', from: '2025-01-15T00:00Z', to: '2025-01-16T00:00Z' };
  it.each([
    ['an unknown person in a rotation', { ...file, rotations: { ...rotations, security: { ...rotations.security, members: ['priya', 'rav'] } } },
      'oncall.rotations.security.members.1: unknown person "rav" (people: sam, priya, ravi, lena, jonas)'],
    ['a rotation with no members', { ...file, rotations: { ...rotations, security: { ...rotations.security, members: [] } } },
      'oncall.rotations.security.members: must name at least one person'],
    ['an override of an unknown rotation', { ...file, overrides: [{ ...override, rotation: 'secur1ty' }] },
      'oncall.overrides.0.rotation: unknown rotation "secur1ty" (rotations: security, engineering)'],
    ['an override by an unknown person', { ...file, overrides: [{ ...override, person: 'nobody' }] },
      'oncall.overrides.0.person: unknown person "nobody"'],
    ['an override that ends before it starts', { ...file, overrides: [{ ...override, to: '2025-01-15T00:00Z' }] },
      'oncall.overrides.0.to: must be after from (2025-01-15T00:00Z)'],
    ['an override without an offset', { ...file, overrides: [{ ...override, from: '2025-01-15T00:00' }] },
      'oncall.overrides.0.from: must be a date-time with its offset'],
    ['a route to nobody', { ...file, routes: { ...file.routes, outage: 'enginering' } },
      'oncall.routes.outage: "enginering" is neither a rotation (security, engineering) nor a person'],
    ['a bad time zone', { ...file, people: { ...people, priya: { ...people.priya, timeZone: 'India/Mumbai' } } },
      'oncall.people.priya.timeZone: must be an IANA time zone such as Europe/Berlin'],
    ['a bad rotation zone', { ...file, rotations: { ...rotations, security: { ...rotations.security, timeZone: 'Mars/Olympus' } } },
      'oncall.rotations.security.timeZone: must be an IANA time zone'],
    ['a person nobody can reach', { ...file, people: { ...people, ravi: { ...people.ravi, contacts: {} } } },
      'oncall.people.ravi.contacts: must name at least one way to reach this person'],
    ['a misspelt key', { ...file, people: { ...people, ravi: { ...people.ravi, timezone: 'Asia/Kolkata' } } },
      'oncall.people.ravi: Unrecognized key: "timezone"'],
    ['waking hours that are not a span', { ...file, people: { ...people, sam: { ...people.sam, awake: '8-22' } } },
      'oncall.people.sam.awake: must look like 08:00-22:00'],
    ['unreadable coverage hours', { ...file, rotations: { ...rotations, engineering: { ...rotations.engineering, coverage: 'weekdays' } } },
      'oncall.rotations.engineering.coverage: cannot read "weekdays"'],
    ['a start date that is not the handoff day', { ...file, rotations: { ...rotations, security: { ...rotations.security, start: '2025-01-14' } } },
      'oncall.rotations.security.start: 2025-01-14 is a tue, but handoff.day is mon'],
    ['a start date that is not in the calendar', { ...file, rotations: { ...rotations, security: { ...rotations.security, start: '2025-02-30' } } },
      'oncall.rotations.security.start: is not a calendar date'],
    ['an id that is both a person and a rotation', { ...file, rotations: { ...rotations, sam: { members: ['sam'], timeZone: 'UTC' } } },
      'oncall.rotations.sam: "sam" is also a person; routes could not tell them apart'],
    ['a Slack contact that is neither a handle nor a member id', { ...file, people: { ...people, ravi: { ...people.ravi, contacts: { slack: 'ravi' } } } },
      'oncall.people.ravi.contacts.slack: must be an @handle or a Slack member id'],
    ['an upper-case person id', { ...file, people: { ...people, Ravi: people.ravi } },
      'oncall.people.Ravi: ids are lowercase letters, digits, - and _'],
  ])('rejects %s, naming the key', (_rule, input, expected) => {
    const problems = problemsOf(input);
    expect(problems.some((p) => p.startsWith(expected)), problems.join('\n')).toBe(true);
  });
});
