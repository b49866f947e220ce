import { z } from 'zod';
import { secret } from '../config/secrets.js';
import { isOpen, nextOpening, weeklyHoursSchema as weeklyHours, type TeamConfig } from './hours.js';
import { DAYS, timeZoneSchema as timeZone, toMinutes, wallClock, type Day } from './local-time.js';

/**
 * The on-call schedule (config section `oncall`): people with their zones, waking hours and
 * contacts; weekly rotations with handoffs, coverage hours and overrides; and routes from a triage
 * category to a rotation or a person. "Who is on call now" and "is that person awake" are computed
 * from it with an injected clock, so escalation never assumes the owner is reachable at 3 a.m.
 */

// The team's own readers, so weekly hours and zones are written the same way in `team` and `oncall`.
type WeeklyHours = TeamConfig['businessHours'];

export const ALL_WEEK: WeeklyHours = Object.fromEntries(DAYS.map((day) => [day, ['00:00-24:00']]));
/** Fixed anchor of rotations without a `start`: their first shift is the first handoff day from it. */
const EPOCH = '2024-01-01';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'ids are lowercase letters, digits, - and _');
const idRecord = <T extends z.ZodType>(value: T) =>
  z.record(id, value, { error: (issue) => (issue.code === 'invalid_key' ? 'ids are lowercase letters, digits, - and _' : undefined) });
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time such as 09:00');
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2025-01-06')
  .refine((d) => !Number.isNaN(Date.parse(d)) && new Date(d).toISOString().startsWith(d), 'is not a calendar date');
const instant = z
  .string()
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
    'must be a date-time with its offset, such as 2025-03-10T09:00+01:00',
  );

/** Local waking hours; may wrap past midnight ("22:00-06:00" for a night owl). */
const awakeSpan = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must look like 08:00-22:00')
  .refine((s) => s.slice(0, 5) !== s.slice(6), 'must not start and end at the same time');

const contacts = z
  .strictObject({
    email: z.email('must be an email address').optional(),
    slack: z
      .string()
      .regex(/^(@[\w.-]+|[UW][A-Z0-9]{6,})$/, 'must be an @handle or a Slack member id such as U024BE7LH')
      .optional(),
    // true: page through the PagerDuty integration's own service; a string is a per-person
    // service's Events API v2 routing key, which can open incidents, so it is redacted.
    pagerduty: secret(
      z
        .union([z.literal(true), z.string().regex(/^[A-Za-z0-9]{32}$/, 'must be true or a 32-character Events API v2 routing key')])
        .optional(),
    ),
    // Personal data: redacted like a secret so config dumps and logs never show it.
    phone: secret(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be in E.164 form such as +14155550123').optional()),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'must name at least one way to reach this person');

const person = z.strictObject({
  name: z.string().min(1, 'must not be empty'),
  timeZone,
  awake: awakeSpan.default('08:00-22:00'),
  contacts,
});

const rotation = z.strictObject({
  members: z.array(id).min(1, 'must name at least one person'),
  /** Handoffs and coverage hours are read in this zone. */
  timeZone,
  /** Local wall-clock time of each handoff; `day` picks the first shift's weekday (default mon). */
  handoff: z.strictObject({ day: z.enum(DAYS).optional(), time: clock.default('09:00') }).prefault({}),
  lengthDays: z.number().int().min(1).max(28).default(7),
  /** Local date members[0] took the first shift; default: the first handoff day from 2024-01-01. */
  start: isoDate.optional(),
  /** "24x7" or weekly hours like the team's ("mon-fri 08:00-20:00"); outside them nobody is on call. */
  coverage: z.preprocess((v) => (v === '24x7' ? ALL_WEEK : v), weeklyHours).default(ALL_WEEK),
});

const override = z.strictObject({ rotation: id, person: id, from: instant, to: instant });

export const oncallSchema = z
  .strictObject({
    people: idRecord(person).default({}),
    rotations: idRecord(rotation).default({}),
    /** Later entries win where overrides overlap (the newest edit is usually last). */
    overrides: z.array(override).default([]),
    /** Triage category (or `default`) → rotation id or person id. */
    routes: z
      .record(z.string().regex(/^[a-z][a-z_]*$/), id, {
        error: (issue) => (issue.code === 'invalid_key' ? 'categories are lowercase letters and _' : undefined),
      })
      .default({}),
  })
  .superRefine((config, ctx) => {
    const people = Object.keys(config.people);
    const rotations = Object.keys(config.rotations);
    const known = (kind: string, ids: string[], value: string) =>
      `unknown ${kind} "${value}" (${kind === 'person' ? 'people' : 'rotations'}: ${ids.join(', ') || 'none'})`;
    for (const [rotationId, r] of Object.entries(config.rotations)) {
      if (config.people[rotationId]) {
        ctx.addIssue({ code: 'custom', path: ['rotations', rotationId], message: `"${rotationId}" is also a person; routes could not tell them apart` });
      }
      r.members.forEach((member, i) => {
        if (!config.people[member]) ctx.addIssue({ code: 'custom', path: ['rotations', rotationId, 'members', i], message: known('person', people, member) });
      });
      if (r.start && r.handoff.day && weekday(r.start) !== r.handoff.day) {
        ctx.addIssue({ code: 'custom', path: ['rotations', rotationId, 'start'], message: `${r.start} is a ${weekday(r.start)}, but handoff.day is ${r.handoff.day}` });
      }
    }
    config.overrides.forEach((o, i) => {
      if (!config.rotations[o.rotation]) ctx.addIssue({ code: 'custom', path: ['overrides', i, 'rotation'], message: known('rotation', rotations, o.rotation) });
      if (!config.people[o.person]) ctx.addIssue({ code: 'custom', path: ['overrides', i, 'person'], message: known('person', people, o.person) });
      if (Date.parse(o.to) <= Date.parse(o.from)) ctx.addIssue({ code: 'custom', path: ['overrides', i, 'to'], message: `must be after from (${o.from})` });
    });
    for (const [category, target] of Object.entries(config.routes)) {
      if (!config.people[target] && !config.rotations[target]) {
        ctx.addIssue({ code: 'custom', path: ['routes', category], message: `"${target}" is neither a rotation (${rotations.join(', ') || 'none'}) nor a person (${people.join(', ') || 'none'})` });
      }
    }
  })
  .prefault({});

export type OncallConfig = z.output<typeof oncallSchema>;
export type OncallPerson = OncallConfig['people'][string];
export type OncallRotation = OncallConfig['rotations'][string];
export type OncallOverride = OncallConfig['overrides'][number];

export class OncallError extends Error {
  override readonly name = 'OncallError';
}

// ── local time ───────────────────────────────────────────────────────────────────────────────

const dayNumber = (date: string) => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000;
const weekday = (date: string): Day => DAYS[(((dayNumber(date) + 4) % 7) + 7) % 7]!; // 1970-01-01 was a Thursday
const renderLocal = (at: Date, zone: string) => {
  const local = wallClock(at, zone);
  return `${local.date} ${local.hhmm} ${zone}`;
};

/** isOpen/nextOpening read only the zone, the weekly hours and the holidays. */
export const asHours = (zone: string, businessHours: WeeklyHours): TeamConfig => ({ timeZone: zone, businessHours, holidays: [] });

function awakeHours(p: OncallPerson): TeamConfig {
  const [from, to] = p.awake.split('-') as [string, string];
  const spans = toMinutes(from) < toMinutes(to) ? [p.awake] : [`00:00-${to}`, `${from}-24:00`];
  return asHours(p.timeZone, Object.fromEntries(DAYS.map((day) => [day, spans])));
}

// ── who is on call ───────────────────────────────────────────────────────────────────────────

export function isAwake(p: OncallPerson, at: Date): boolean {
  return isOpen(awakeHours(p), at);
}

/** `at` itself when awake, else the minute their waking hours next begin (DST-aware). */
export function nextAwake(p: OncallPerson, at: Date): Date {
  const next = nextOpening(awakeHours(p), at);
  // Waking hours recur daily and are never empty (schema), so a search of 60 days always ends.
  if (!next) throw new OncallError(`${p.name} is never awake`);
  return next;
}

export interface OnCall {
  rotation: string;
  personId: string;
  person: OncallPerson;
  /** The override that put this person on call, if any. */
  override: OncallOverride | null;
}

function rotationOf(config: OncallConfig, rotationId: string): OncallRotation {
  const r = config.rotations[rotationId];
  if (!r) throw new OncallError(`unknown on-call rotation "${rotationId}"`);
  return r;
}

/**
 * Which member holds the shift at `at`: shifts are counted in whole local days from the rotation's
 * start, changing at handoff.time on the wall clock of the rotation's zone, so a 09:00 handoff stays
 * at 09:00 across DST changes (a naive 7×24 h count would drift by an hour).
 */
function shiftHolder(r: OncallRotation, at: Date): string {
  const start = r.start ?? firstWeekdayFrom(EPOCH, r.handoff.day ?? 'mon');
  const local = wallClock(at, r.timeZone);
  const days = dayNumber(local.date) - dayNumber(start) - (local.minutes < toMinutes(r.handoff.time) ? 1 : 0);
  const shift = Math.floor(days / r.lengthDays);
  return r.members[((shift % r.members.length) + r.members.length) % r.members.length]!;
}

function firstWeekdayFrom(date: string, day: Day): string {
  const offset = (DAYS.indexOf(day) - DAYS.indexOf(weekday(date)) + 7) % 7;
  return new Date((dayNumber(date) + offset) * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Who is on call for a rotation at `at`, or null outside its coverage hours. An override swaps the
 * person holding the shift but does not extend coverage: "Ravi covers for Priya this week" must not
 * start paging Ravi at night on a business-hours rotation.
 */
export function onCallAt(config: OncallConfig, rotationId: string, at: Date): OnCall | null {
  const r = rotationOf(config, rotationId);
  if (!isOpen(asHours(r.timeZone, r.coverage), at)) return null;
  const t = at.getTime();
  const override = config.overrides.findLast((o) => o.rotation === rotationId && Date.parse(o.from) <= t && t < Date.parse(o.to)) ?? null;
  const personId = override?.person ?? shiftHolder(r, at);
  const p = config.people[personId];
  if (!p) throw new OncallError(`on-call rotation "${rotationId}" names unknown person "${personId}"`);
  return { rotation: rotationId, personId, person: p, override };
}

// ── routing ──────────────────────────────────────────────────────────────────────────────────

interface RouteBase {
  category: string;
  /** `default` when the category has no route of its own. */
  routedBy: 'category' | 'default';
  /** The rotation routed to; absent when the route names a person directly. */
  rotation?: string;
  reason: string;
}
export interface RoutedToPerson extends RouteBase {
  covered: true;
  personId: string;
  person: OncallPerson;
  awake: boolean;
  /** The person's wall clock at `at`, "HH:MM". */
  localTime: string;
  /** `at` when awake, else when their waking hours begin. */
  awakeAt: Date;
  override: OncallOverride | null;
}
/** The route's rotation is outside its coverage hours: nobody is on call for it. */
export interface Uncovered extends RouteBase {
  covered: false;
  rotation: string;
  nextCoverage: Date | null;
}
export type Route = RoutedToPerson | Uncovered;

function personNow(p: OncallPerson, at: Date, awake: boolean): string {
  const local = wallClock(at, p.timeZone);
  return `${p.name} (${p.timeZone}, ${local.hhmm} local, ${awake ? 'awake' : `asleep until ${p.awake.slice(0, 5)}`})`;
}

/**
 * Where a message of this triage category goes at `at`: its route, else the `default` route; null
 * when neither exists. A route names a rotation (whoever is on call) or a person (always reachable:
 * "billing → the owner" has no shifts).
 */
export function routeFor(config: OncallConfig, category: string, at: Date): Route | null {
  const own = config.routes[category];
  const target = own ?? config.routes['default'];
  if (!target) return null;
  const routedBy = own ? 'category' : 'default';
  const head = `${category}${own ? '' : ' (no route; default)'} →`;
  if (config.rotations[target]) {
    const onCall = onCallAt(config, target, at);
    if (!onCall) {
      const r = rotationOf(config, target);
      const nextCoverage = nextOpening(asHours(r.timeZone, r.coverage), at);
      const resumes = nextCoverage ? `coverage resumes ${renderLocal(nextCoverage, r.timeZone)}` : 'no coverage in the next 60 days';
      return { category, routedBy, rotation: target, covered: false, nextCoverage, reason: `${head} rotation ${target}: nobody on call (outside its coverage hours); ${resumes}` };
    }
    const awake = isAwake(onCall.person, at);
    const via = onCall.override ? ` (override until ${onCall.override.to})` : '';
    return {
      category,
      routedBy,
      rotation: target,
      covered: true,
      personId: onCall.personId,
      person: onCall.person,
      awake,
      localTime: wallClock(at, onCall.person.timeZone).hhmm,
      awakeAt: nextAwake(onCall.person, at),
      override: onCall.override,
      reason: `${head} rotation ${target}${via}: ${personNow(onCall.person, at, awake)}`,
    };
  }
  const p = config.people[target];
  if (!p) throw new OncallError(`route "${own ? category : 'default'}" names unknown "${target}"`);
  const awake = isAwake(p, at);
  return {
    category,
    routedBy,
    covered: true,
    personId: target,
    person: p,
    awake,
    localTime: wallClock(at, p.timeZone).hhmm,
    awakeAt: nextAwake(p, at),
    override: null,
    reason: `${head} ${personNow(p, at, awake)}`,
  };
}

export interface AwakeAlternative {
  personId: string;
  person: OncallPerson;
  localTime: string;
}
export type WakeDecision = Route & {
  /** Paging the routed person now wakes them. */
  wakes: boolean;
  /** Other members of the routed rotation who are awake now (never the routed person). */
  awakeAlternatives: AwakeAlternative[];
};

/**
 * Who to page for a category the escalation has judged urgent. The routed person is always the
 * one paged, asleep or not: being woken is what being on call means, and an off-shift colleague
 * who happens to be awake has promised nothing. When paging wakes someone, the awake members of
 * the same rotation are listed so the escalation can notify them too (chat, not a page), or page
 * them next if the acknowledgement does not come. An uncovered rotation pages nobody: coverage
 * hours are the team's decision about nights, and `default` is for categories without a route,
 * not for uncovered hours.
 */
export function whoToWake(config: OncallConfig, category: string, at: Date): WakeDecision | null {
  const route = routeFor(config, category, at);
  if (!route) return null;
  const members = route.rotation ? rotationOf(config, route.rotation).members : [];
  const awakeAlternatives = [...new Set(members)]
    .filter((m) => !(route.covered && m === route.personId))
    .flatMap((m) => {
      const p = config.people[m];
      return p && isAwake(p, at) ? [{ personId: m, person: p, localTime: wallClock(at, p.timeZone).hhmm }] : [];
    });
  const wakes = route.covered && !route.awake;
  const notes: string[] = [];
  if (wakes) notes.push('paging wakes them');
  if (awakeAlternatives.length > 0 && (wakes || !route.covered)) {
    notes.push(`awake in rotation ${route.rotation}: ${awakeAlternatives.map((a) => `${a.person.name} (${a.localTime} local)`).join(', ')}`);
  } else if (wakes && route.rotation) {
    notes.push('nobody else in the rotation is awake');
  }
  return { ...route, wakes, awakeAlternatives, reason: [route.reason, ...notes].join('; ') };
}

export interface OncallCoverage {
  /** Someone can be paged now: a rotation is within its coverage hours, or a route names a person. */
  covered: boolean;
  onCall: Array<{ rotation: string | null; personId: string; awake: boolean }>;
  /** Rotations outside their coverage hours now. */
  uncovered: string[];
  /** When nobody is covered: the earliest moment a rotation's coverage begins. */
  nextCoverage: Date | null;
}

/**
 * Is anyone on call at `at` (for acknowledgement ETAs: urgent with coverage means minutes, not the
 * next business day). For one category's answer use routeFor(...).covered.
 */
export function coverageAt(config: OncallConfig, at: Date): OncallCoverage {
  const onCall: OncallCoverage['onCall'] = [];
  const uncovered: string[] = [];
  for (const rotationId of Object.keys(config.rotations)) {
    const holder = onCallAt(config, rotationId, at);
    if (holder) onCall.push({ rotation: rotationId, personId: holder.personId, awake: isAwake(holder.person, at) });
    else uncovered.push(rotationId);
  }
  for (const target of new Set(Object.values(config.routes))) {
    const p = config.people[target];
    if (p) onCall.push({ rotation: null, personId: target, awake: isAwake(p, at) });
  }
  const covered = onCall.length > 0;
  const starts = covered
    ? []
    : uncovered.flatMap((rotationId) => {
        const r = rotationOf(config, rotationId);
        const next = nextOpening(asHours(r.timeZone, r.coverage), at);
        return next ? [next.getTime()] : [];
      });
  return { covered, onCall, uncovered, nextCoverage: starts.length ? new Date(Math.min(...starts)) : null };
}
