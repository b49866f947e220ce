import { z } from 'zod';
import { DAYS, timeZoneSchema, toMinutes, wallClock, type Day } from './local-time.js';

/**
 * When the support team works: a time zone, weekly hours, holidays. Availability notices (and,
 * later, acknowledgement ETAs) are computed from this, so nobody is promised "a few minutes" at
 * 2 a.m.
 */
const span = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must look like 09:00-17:00');

/** "mon-fri 09:00-17:00; sat 10:00-14:00" (environment form) or a map of day → spans (file form). */
export const weeklyHoursSchema = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  const weekly: Partial<Record<Day, string[]>> = {};
  for (const part of value.split(';').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z]{3})(?:-([a-z]{3}))?\s+(.+)$/.exec(part.toLowerCase());
    const from = DAYS.indexOf(match?.[1] as Day);
    const to = match?.[2] ? DAYS.indexOf(match[2] as Day) : from;
    const spans = match?.[3]?.split(',').map((s) => s.trim()) ?? [];
    if (!match || from < 0 || to < 0 || spans.some((s) => !span.safeParse(s).success)) {
      ctx.addIssue({ code: 'custom', message: `cannot read "${part}"; write e.g. "mon-fri 09:00-17:00; sat 10:00-14:00"`, input: value });
      return value;
    }
    for (let d = from; ; d = (d + 1) % 7) {
      weekly[DAYS[d]!] = [...(weekly[DAYS[d]!] ?? []), ...spans];
      if (d === to) break;
    }
  }
  return weekly;
}, z.partialRecord(z.enum(DAYS), z.array(span)));

export const dateList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((d) => d.trim()).filter(Boolean) : value),
  z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'dates must be YYYY-MM-DD')),
);

export const teamSchema = z
  .object({
    timeZone: timeZoneSchema.default('UTC'),
    businessHours: weeklyHoursSchema.default({ mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-17:00'] }),
    holidays: dateList.default([]),
  })
  .prefault({});
export type TeamConfig = z.output<typeof teamSchema>;

export function isOpen(team: TeamConfig, at: Date): boolean {
  const local = wallClock(at, team.timeZone);
  if (team.holidays.includes(local.date)) return false;
  return (team.businessHours[local.day] ?? []).some((s) => {
    const [from, to] = s.split('-') as [string, string];
    return local.minutes >= toMinutes(from) && local.minutes < toMinutes(to);
  });
}

/** The next moment the team is open (minute resolution, within 60 days), or null if never. */
export function nextOpening(team: TeamConfig, after: Date): Date | null {
  if (isOpen(team, after)) return after;
  // Walk forward in 15-minute steps, then refine to the minute: simple, and DST-proof because
  // every candidate is checked in the team's zone.
  const step = 15 * 60_000;
  let at = new Date(Math.ceil(after.getTime() / 60_000) * 60_000);
  for (let i = 0; i < (60 * 24 * 60) / 15; i++) {
    const next = new Date(at.getTime() + step);
    if (isOpen(team, next)) {
      for (let t = at.getTime() + 60_000; t <= next.getTime(); t += 60_000) if (isOpen(team, new Date(t))) return new Date(t);
      return next;
    }
    at = next;
  }
  return null;
}
