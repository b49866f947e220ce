/**
 * The acknowledgement promises a first reply the team can keep: counted in the team's business
 * time (zones, DST, weekends, holidays), from the level's target or from what 80% of recent
 * replies achieved, with on-call minutes for urgent at night, phrased in the customer's clock.
 * Every clock here is fixed; times are written with their UTC offset so they read as local time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBusinessMinutes, businessMinutesBetween, nextClosing } from '../../src/team/business-time.js';
import { computeEta, etaSchema, friendlyMinutes, nearestRank, p80, phraseEta, type EtaRequest, type FirstResponseSample } from '../../src/team/eta.js';
import { isOpen, nextOpening, teamSchema } from '../../src/team/hours.js';

const at = (iso: string) => new Date(iso);
const berlinTeam = teamSchema.parse({ timeZone: 'Europe/Berlin', businessHours: 'mon-fri 09:00-17:00' });
const defaults = etaSchema.parse({});

function eta(request: Partial<EtaRequest> & Pick<EtaRequest, 'level' | 'at'>) {
  return computeEta({ team: berlinTeam, eta: defaults, customerTimeZone: null, onCallCovered: false, history: [], ...request });
}

describe('ETA settings', () => {
  it('defaults: urgent 1 h, high 4 h, normal 1 business day, low 3; 30 on-call minutes; 80th percentile of 20+ replies in 28 days', () => {
    expect(defaults).toEqual({
      firstResponseTargetMinutes: { urgent: 60, high: 240, normal: 480, low: 1440 },
      urgentOnCallMinutes: 30,
      history: { windowDays: 28, minSamples: 20, percentile: 0.8 },
    });
  });

  it('reads numbers written as strings (environment form) and rejects targets that favour a lower level', () => {
    expect(etaSchema.parse({ firstResponseTargetMinutes: { urgent: '30' } }).firstResponseTargetMinutes.urgent).toBe(30);
    expect(() => etaSchema.parse({ firstResponseTargetMinutes: { urgent: 300, high: 240 } })).toThrow(/urgent ≤ high/);
    expect(() => etaSchema.parse({ history: { percentile: 0.5 - 0.01 } })).toThrow();
  });
});

describe('inside business hours', () => {
  it('promises the level target in minutes or hours from now', () => {
    const tuesday10 = at('2026-01-13T10:00:00+01:00');
    const urgent = eta({ level: 'urgent', at: tuesday10 });
    expect(urgent).toMatchObject({ basis: 'target', businessMinutes: 60, text: 'within about an hour' });
    expect(urgent.due.toISOString()).toBe('2026-01-13T10:00:00.000Z');
    expect(urgent.textForAgents).toBe('First reply due Tue, Jan 13, 11:00 AM (Europe/Berlin); urgent target: 60 business minutes');

    const high = eta({ level: 'high', at: tuesday10 });
    expect(high.text).toBe('within about 4 hours');
    expect(high.due.toISOString()).toBe('2026-01-13T13:00:00.000Z');

    const quick = eta({ level: 'urgent', at: tuesday10, eta: etaSchema.parse({ firstResponseTargetMinutes: { urgent: 20 } }) });
    expect(quick.text).toBe('within about 20 minutes');
  });

  it('a promise ending exactly at closing time still reads as "within"', () => {
    const result = eta({ level: 'urgent', at: at('2026-01-13T16:00:00+01:00') });
    expect(result.due.toISOString()).toBe('2026-01-13T16:00:00.000Z');
    expect(result.text).toBe('within about an hour');
  });

  it('near closing the rest spills into the next morning, and "tomorrow" is the customer\'s tomorrow', () => {
    const tuesday16 = at('2026-01-13T16:00:00+01:00');
    const result = eta({ level: 'high', at: tuesday16, customerTimeZone: 'Europe/Berlin' });
    expect(result.due.toISOString()).toBe('2026-01-14T11:00:00.000Z');
    expect(result.text).toBe('by 12:00 PM tomorrow, your time');
    expect(eta({ level: 'high', at: tuesday16, customerTimeZone: 'America/New_York' }).text).toBe('by 6:00 AM tomorrow, your time');
    // In Tokyo it is already Wednesday 00:00 when the customer writes.
    expect(eta({ level: 'high', at: tuesday16, customerTimeZone: 'Asia/Tokyo' }).text).toBe('by 8:00 PM today, your time');
  });

  it('a lunch break in between turns "within" into a clock time', () => {
    const team = teamSchema.parse({ timeZone: 'Europe/Berlin', businessHours: 'mon-fri 09:00-12:00,13:00-17:00' });
    const result = eta({ team, level: 'urgent', at: at('2026-01-13T11:30:00+01:00'), customerTimeZone: 'Europe/Berlin' });
    expect(result.due.toISOString()).toBe('2026-01-13T12:30:00.000Z');
    expect(result.text).toBe('by 1:30 PM today, your time');
  });
});

describe('outside business hours', () => {
  const fridayEvening = at('2026-01-16T18:30:00+01:00');

  it('Friday evening → Monday morning, on the customer\'s clock', () => {
    const result = eta({ level: 'urgent', at: fridayEvening, customerTimeZone: 'America/New_York' });
    expect(result.due.toISOString()).toBe('2026-01-19T09:00:00.000Z');
    expect(result.text).toBe('by 4:00 AM Monday, your time');
  });

  it('without a (valid) customer zone, names the team zone', () => {
    expect(eta({ level: 'urgent', at: fridayEvening }).text).toBe('by 10:00 AM Monday (Europe/Berlin time)');
    expect(eta({ level: 'urgent', at: fridayEvening, customerTimeZone: 'Mars/Olympus_Mons' }).text).toBe('by 10:00 AM Monday (Europe/Berlin time)');
  });

  it('a team in New York, customer in New York: "by 9:00 AM Monday, your time"', () => {
    const team = teamSchema.parse({ timeZone: 'America/New_York', businessHours: 'mon-fri 08:00-18:00' });
    const result = eta({ team, level: 'urgent', at: at('2026-01-16T20:00:00-05:00'), customerTimeZone: 'America/New_York' });
    expect(result.text).toBe('by 9:00 AM Monday, your time');
  });

  it('skips holidays', () => {
    const team = teamSchema.parse({ timeZone: 'Europe/Berlin', businessHours: 'mon-fri 09:00-17:00', holidays: '2026-12-24,2026-12-25' });
    const result = eta({ team, level: 'high', at: at('2026-12-23T16:30:00+01:00') });
    expect(result.due.toISOString()).toBe('2026-12-28T11:30:00.000Z');
    expect(result.text).toBe('by 12:30 PM Monday (Europe/Berlin time)');
    // A week or more away, the date is named too.
    expect(eta({ team, level: 'low', at: at('2026-12-23T16:30:00+01:00') }).text).toBe('by 4:30 PM Wednesday, December 30 (Europe/Berlin time)');
  });

  it('Europe/Berlin DST start (2026-03-29) between Friday and Monday: Monday 12:00 is 10:00 UTC, not 11:00', () => {
    const result = eta({ level: 'high', at: at('2026-03-27T16:00:00+01:00'), customerTimeZone: 'Europe/London' });
    expect(result.due.toISOString()).toBe('2026-03-30T10:00:00.000Z');
    expect(result.text).toBe('by 11:00 AM Monday, your time');
  });

  it('US DST start (2026-03-08) for a New York team, read in Berlin where clocks have not changed yet', () => {
    const team = teamSchema.parse({ timeZone: 'America/New_York', businessHours: 'mon-fri 09:00-17:00' });
    const result = eta({ team, level: 'normal', at: at('2026-03-06T16:00:00-05:00'), customerTimeZone: 'Europe/Berlin' });
    expect(result.due.toISOString()).toBe('2026-03-09T20:00:00.000Z');
    expect(result.text).toBe('by 9:00 PM Monday, your time');
  });
});

describe('urgent and on call', () => {
  const wednesday2am = at('2026-01-14T02:00:00+01:00');

  it('with on-call coverage at 2 a.m.: minutes, not the next business day', () => {
    const result = eta({ level: 'urgent', at: wednesday2am, onCallCovered: true, customerTimeZone: 'Europe/Berlin' });
    expect(result).toMatchObject({ basis: 'on-call', businessMinutes: null, text: 'within about 30 minutes' });
    expect(result.due.toISOString()).toBe('2026-01-14T01:30:00.000Z');
    expect(eta({ level: 'urgent', at: at('2026-01-17T02:00:00+01:00'), onCallCovered: true }).text).toBe('within about 30 minutes');
  });

  it('without coverage: the next business morning', () => {
    const result = eta({ level: 'urgent', at: wednesday2am, customerTimeZone: 'Europe/Berlin' });
    expect(result).toMatchObject({ basis: 'target', businessMinutes: 60, text: 'by 10:00 AM today, your time' });
    expect(eta({ level: 'urgent', at: at('2026-01-17T02:00:00+01:00'), customerTimeZone: 'Europe/Berlin' }).text).toBe('by 10:00 AM Monday, your time');
  });

  it('on call is for urgent only', () => {
    expect(eta({ level: 'high', at: wednesday2am, onCallCovered: true }).basis).toBe('target');
  });

  it('ten minutes before closing, on call takes over at closing instead of tomorrow', () => {
    const result = eta({ level: 'urgent', at: at('2026-01-13T16:50:00+01:00'), onCallCovered: true });
    expect(result.due.toISOString()).toBe('2026-01-13T16:30:00.000Z');
    expect(result).toMatchObject({ basis: 'on-call', text: 'within about 40 minutes' });
  });
});

describe('history', () => {
  const now = at('2026-01-13T10:00:00+01:00');
  const samples = (minutes: number[], daysAgo = 1): FirstResponseSample[] =>
    minutes.map((m) => ({ receivedAt: new Date(now.getTime() - daysAgo * 86_400_000), businessMinutes: m }));
  const tens = Array.from({ length: 25 }, (_, i) => (i + 1) * 10);

  it('with ≥ 20 recent replies the 80th percentile (90% upper bound) replaces the target, rounded up to a friendly step', () => {
    const result = eta({ level: 'normal', at: now, history: samples(tens) });
    // Rank ⌈0.8 × 25 + 1.28 × √(25 × 0.8 × 0.2)⌉ = ⌈22.56⌉ = 23 → 230 minutes, rounded up to the quarter hour.
    expect(result).toMatchObject({ basis: 'history', businessMinutes: 240, text: 'within about 4 hours' });
    expect(result.due.toISOString()).toBe('2026-01-13T13:00:00.000Z');
    expect(result.textForAgents).toContain('to keep 80% of promises, the 23rd fastest of 25 first replies in the last 28 days: 230 business minutes; promised 240');
  });

  it('a faster team promises less than its target', () => {
    expect(eta({ level: 'normal', at: now, history: samples(Array(20).fill(22)) })).toMatchObject({ basis: 'history', businessMinutes: 25, text: 'within about 25 minutes' });
  });

  it('fewer than 20 replies, or replies older than the window, keep the target', () => {
    expect(eta({ level: 'normal', at: now, history: samples(tens.slice(0, 19)) })).toMatchObject({ basis: 'target', businessMinutes: 480 });
    const mixed = [...samples(tens.slice(0, 15)), ...samples(tens.slice(15), 29)];
    expect(eta({ level: 'normal', at: now, history: mixed })).toMatchObject({ basis: 'target', businessMinutes: 480 });
  });

  it('p80 is nearest-rank: a value someone actually waited, with at least 80% at or below it', () => {
    expect(p80(Array.from({ length: 10 }, (_, i) => i + 1))).toBe(8);
    expect(p80(Array.from({ length: 15 }, (_, i) => 15 - i))).toBe(12);
    expect(nearestRank(Array.from({ length: 100 }, (_, i) => i + 1), 0.55)).toBe(55); // 0.55 × 100 is 55.00000000000001 in floating point
    expect(p80([7])).toBe(7);
    expect(p80([])).toBeNull();
    expect(nearestRank([1, 2, 3, 4], 0.5)).toBe(2);
    expect(friendlyMinutes(137)).toBe(150);
    expect(friendlyMinutes(150)).toBe(150);
    expect(friendlyMinutes(3)).toBe(5);
  });

  it('replay: promises made from a month of history would have been kept for ≥ 80% of it (a median would not)', () => {
    const random = mulberry32(20260113);
    const conversations = Array.from({ length: 300 }, () => {
      const receivedAt = new Date(now.getTime() - random() * 27 * 86_400_000);
      // Log-normal waits, median 2 h of business time, long tail.
      const drawn = 120 * Math.exp(0.9 * gaussian(random));
      const repliedAt = addBusinessMinutes(berlinTeam, receivedAt, drawn)!;
      return { receivedAt, repliedAt, businessMinutes: businessMinutesBetween(berlinTeam, receivedAt, repliedAt) };
    });
    const keptShare = (percentile: number) => {
      const config = etaSchema.parse({ history: { percentile } });
      const promised = eta({ level: 'normal', at: now, eta: config, history: conversations }).businessMinutes!;
      const kept = conversations.filter((c) => c.repliedAt <= addBusinessMinutes(berlinTeam, c.receivedAt, promised)!);
      return kept.length / conversations.length;
    };
    expect(keptShare(0.8)).toBeGreaterThanOrEqual(0.8);
    expect(keptShare(0.8)).toBeLessThan(0.9); // honest, not padded
    expect(keptShare(0.5)).toBeLessThan(0.8);
  });
});

describe('phrasing', () => {
  const tuesday10 = at('2026-01-13T10:00:00+01:00');
  const plus = (minutes: number) => new Date(tuesday10.getTime() + minutes * 60_000);

  it('rounds up, never promising earlier than due', () => {
    expect(phraseEta(plus(17), tuesday10, null, 'Europe/Berlin')).toBe('within about 20 minutes');
    expect(phraseEta(plus(20 + 1 / 60), tuesday10, null, 'Europe/Berlin')).toBe('within about 25 minutes');
    expect(phraseEta(plus(0), tuesday10, null, 'Europe/Berlin')).toBe('within about 5 minutes');
    expect(phraseEta(plus(75), tuesday10, null, 'Europe/Berlin')).toBe('within about 90 minutes');
    expect(phraseEta(plus(130), tuesday10, null, 'Europe/Berlin')).toBe('within about 3 hours');
    expect(phraseEta(plus(7 * 60 + 59), tuesday10, null, 'Europe/Berlin')).toBe('within about 8 hours');
    expect(phraseEta(plus(8 * 60), tuesday10, 'Europe/Berlin', 'Europe/Berlin')).toBe('by 6:00 PM today, your time');
    expect(phraseEta(at('2026-01-19T09:07:00+01:00'), tuesday10, 'Europe/Berlin', 'Europe/Berlin')).toBe('by 9:15 AM Monday, your time');
    expect(phraseEta(at('2026-01-19T09:00:00+01:00'), tuesday10, 'Europe/Berlin', 'Europe/Berlin')).toBe('by 9:00 AM Monday, your time');
  });

  it('a clock time when closed hours lie in between, even if it is soon', () => {
    expect(phraseEta(plus(60), tuesday10, 'Asia/Kolkata', 'Europe/Berlin', { sameStretch: false })).toBe('by 3:30 PM today, your time');
  });
});

describe('business time', () => {
  const week = (zone: string, businessHours: string) => teamSchema.parse({ timeZone: zone, businessHours });

  it('counts the real length of DST days', () => {
    const allWeek = week('Europe/Berlin', 'mon-sun 00:00-24:00');
    expect(businessMinutesBetween(allWeek, at('2026-03-28T12:00:00+01:00'), at('2026-03-29T12:00:00+02:00'))).toBe(23 * 60);
    expect(businessMinutesBetween(allWeek, at('2026-10-24T12:00:00+02:00'), at('2026-10-25T12:00:00+01:00'))).toBe(25 * 60);
    const sundayNight = week('Europe/Berlin', 'sun 00:00-04:00');
    expect(businessMinutesBetween(sundayNight, at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'))).toBe(180);
    expect(addBusinessMinutes(sundayNight, at('2026-03-28T00:00:00Z'), 200)!.toISOString()).toBe('2026-04-04T22:20:00.000Z');
  });

  it('has no closing for a 24/7 team and the end of the stretch otherwise', () => {
    expect(nextClosing(week('Europe/Berlin', 'mon-sun 00:00-24:00'), at('2026-01-13T10:00:00Z'))).toBeNull();
    expect(nextClosing(berlinTeam, at('2026-01-13T10:00:00Z'))!.toISOString()).toBe('2026-01-13T16:00:00.000Z');
    expect(nextClosing(berlinTeam, at('2026-01-13T20:00:00Z'))).toBeNull();
    expect(addBusinessMinutes(week('UTC', 'mon 09:00-09:00'), at('2026-01-13T10:00:00Z'), 10)).toBeNull();
  });

  it('agrees with isOpen and nextOpening every quarter hour around DST changes (gaps, repeats, half-hour DST)', () => {
    const cases: { zone: string; from: string; hours: string[] }[] = [
      { zone: 'Europe/Berlin', from: '2026-03-27T00:00:00Z', hours: ['mon-fri 09:00-12:00,13:00-17:30; sat 10:00-14:00; sun 00:00-04:00', 'sun 02:30-03:30; sat 22:00-24:00'] },
      // A span opening at a repeated time opens at its first occurrence, as isOpen has it.
      { zone: 'Europe/Berlin', from: '2026-10-23T00:00:00Z', hours: ['mon-fri 09:00-12:00,13:00-17:30; sat 10:00-14:00; sun 00:00-04:00', 'sun 02:00-05:00'] },
      { zone: 'America/New_York', from: '2026-03-06T00:00:00Z', hours: ['mon-fri 09:00-17:00; sun 01:00-03:00', 'sun 02:15-02:45'] },
      { zone: 'America/New_York', from: '2026-10-30T00:00:00Z', hours: ['mon-fri 09:00-17:00; sun 00:30-03:00', 'sun 01:00-03:00'] },
      { zone: 'Australia/Lord_Howe', from: '2026-10-02T00:00:00Z', hours: ['mon-fri 08:00-16:00; sun 01:00-03:00'] },
    ];
    for (const { zone, from, hours } of cases) {
      for (const businessHours of hours) {
        const team = week(zone, businessHours);
        for (let t = at(from).getTime(); t < at(from).getTime() + 4 * 86_400_000; t += 15 * 60_000) {
          const minute = businessMinutesBetween(team, new Date(t), new Date(t + 60_000));
          expect({ zone, businessHours, at: new Date(t).toISOString(), open: minute === 1 }).toEqual({ zone, businessHours, at: new Date(t).toISOString(), open: isOpen(team, new Date(t)) });
          if (t % (6 * 3_600_000) === 0) expect(addBusinessMinutes(team, new Date(t), 0)).toEqual(nextOpening(team, new Date(t)));
        }
      }
    }
  });

  it('adding business minutes and measuring them are inverses', () => {
    const teams = [berlinTeam, week('America/New_York', 'mon-fri 09:00-12:00,13:00-17:00; sat 10:00-12:00')];
    fc.assert(
      fc.property(
        fc.constantFrom(...teams),
        fc.date({ min: at('2026-01-01T00:00:00Z'), max: at('2026-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 5000 }),
        (team, from, minutes) => businessMinutesBetween(team, from, addBusinessMinutes(team, from, minutes)!) === minutes,
      ),
      { numRuns: 300 },
    );
  });
});

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Box–Muller: a standard normal draw from two uniform ones. */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
