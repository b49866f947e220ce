import type { TeamConfig } from './hours.js';
import { DAYS, wallClock } from './local-time.js';

/**
 * Business-time arithmetic on top of the team's hours: "60 business minutes from now" and "how
 * many business minutes did this first reply take". Open time is worked out per local calendar
 * date in the team's zone and turned into UTC instants, so a DST change, a weekend or a holiday is
 * simply a date with shorter, no, or skipped spans.
 *
 * Open means what `isOpen` (hours.ts) means: the wall clock in the team's zone is inside a span of
 * that date. A span boundary that falls in a DST gap opens at the jump (the first instant whose
 * clock reads later); one inside a repeated autumn hour is taken at its first occurrence.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** A team closed for a whole year is treated as never opening again. */
const CLOSED_DAYS_HORIZON = 366;
/** How far `nextClosing` follows open time that runs on across midnight (a 24/7 team). */
const CLOSING_SEARCH_DAYS = 14;

interface OpenInterval {
  /** Epoch milliseconds, inclusive. */
  start: number;
  /** Epoch milliseconds, exclusive. */
  end: number;
}

/**
 * The first open instant at or after `from` plus `minutes` of open time: closed hours, closed
 * days and holidays are skipped. Adding 0 gives the next opening (or `from` while open). Null if
 * the team does not open within a year.
 */
export function addBusinessMinutes(team: TeamConfig, from: Date, minutes: number): Date | null {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`business minutes must be a finite number ≥ 0, got ${minutes}`);
  let remaining = minutes * MINUTE;
  for (const open of openIntervals(team, from.getTime())) {
    if (remaining <= open.end - open.start) return new Date(open.start + remaining);
    remaining -= open.end - open.start;
  }
  return null;
}

/**
 * Open time between two instants, in minutes (fractional when the instants are not on whole
 * minutes): how long a customer waited "within business hours". Zero when `to` is not after
 * `from`.
 */
export function businessMinutesBetween(team: TeamConfig, from: Date, to: Date): number {
  const end = to.getTime();
  let total = 0;
  for (const open of openIntervals(team, from.getTime())) {
    if (open.start >= end) break;
    total += Math.min(open.end, end) - open.start;
  }
  return total / MINUTE;
}

/**
 * When the open stretch containing `at` ends (spans that touch across midnight count as one
 * stretch). Null when the team is closed at `at`, or still open two weeks later (a 24/7 team).
 */
export function nextClosing(team: TeamConfig, at: Date): Date | null {
  const horizon = at.getTime() + CLOSING_SEARCH_DAYS * DAY;
  let closing: number | null = null;
  for (const open of openIntervals(team, at.getTime())) {
    if (closing === null && open.start > at.getTime()) return null;
    if (closing !== null && open.start > closing) break;
    closing = open.end;
    if (closing > horizon) return null;
  }
  return closing === null ? null : new Date(closing);
}

/** Local calendar dates from the date of `from` to the date of `to` in `zone` (0 = same day). */
export function calendarDaysBetween(from: Date, to: Date, zone: string): number {
  return localDayNumber(to.getTime(), zone) - localDayNumber(from.getTime(), zone);
}

/** Open intervals that end after `from`, in order, the first clipped to start no earlier than it. */
function* openIntervals(team: TeamConfig, from: number): Generator<OpenInterval> {
  // Start a day early: a span of yesterday's date can still be running (DST repeats, 24:00 ends).
  let day = localDayNumber(from, team.timeZone) - 1;
  for (let closedDays = 0; closedDays < CLOSED_DAYS_HORIZON; day++) {
    const spans = openSpansOn(team, day);
    closedDays = spans.length === 0 ? closedDays + 1 : 0;
    for (const span of spans) if (span.end > from) yield { start: Math.max(span.start, from), end: span.end };
  }
}

/** The open spans of one local date (days since 1970-01-01), as merged UTC intervals. */
function openSpansOn(team: TeamConfig, day: number): OpenInterval[] {
  const midnight = day * DAY;
  if (team.holidays.includes(new Date(midnight).toISOString().slice(0, 10))) return [];
  const spans: OpenInterval[] = [];
  for (const span of team.businessHours[DAYS[(day + 4) % 7]!] ?? []) {
    const [from, to] = span.split('-').map(clockMinutes) as [number, number];
    // isOpen compares wall minutes of the same date, so "22:00-06:00" is never open and 24:xx is midnight.
    if (from >= to) continue;
    const start = wallClockToInstant(midnight + from * MINUTE, team.timeZone);
    const end = wallClockToInstant(midnight + to * MINUTE, team.timeZone);
    if (end > start) spans.push({ start, end });
  }
  spans.sort((a, b) => a.start - b.start);
  const merged: OpenInterval[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

const clockMinutes = (hhmm: string) => Math.min(24 * 60, Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)));

/**
 * The earliest instant whose wall clock in `zone` reads `wallMs` (a local date-time written as if
 * it were UTC) or later: the instant itself when it exists once, its first occurrence when the
 * clock repeats it, the moment of the jump when DST skips it.
 */
function wallClockToInstant(wallMs: number, zone: string): number {
  // At most one offset change lies within a day of any wall time, so these are the only offsets.
  const before = zoneOffset(wallMs - DAY, zone);
  const after = zoneOffset(wallMs + DAY, zone);
  const exact = [wallMs - before, wallMs - after].filter((t) => t + zoneOffset(t, zone) === wallMs);
  if (exact.length > 0) return Math.min(...exact);
  // Skipped by a DST jump: find the jump (whole seconds) between the two readings.
  let lo = Math.min(wallMs - before, wallMs - after);
  let hi = Math.max(wallMs - before, wallMs - after);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (mid + zoneOffset(mid, zone) >= wallMs) hi = mid;
    else lo = mid;
  }
  return hi;
}

function localDayNumber(at: number, zone: string): number {
  return Math.floor((at + zoneOffset(at, zone)) / DAY);
}

/** How far the wall clock in `zone` is ahead of UTC at `at`, in milliseconds. */
function zoneOffset(at: number, zone: string): number {
  const c = wallClock(at, zone);
  const wall = Date.UTC(c.year, c.month - 1, c.dayOfMonth, c.hour, c.minute, c.second);
  return wall - Math.floor(at / 1000) * 1000;
}
