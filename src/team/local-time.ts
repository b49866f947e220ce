import { z } from 'zod';

/**
 * Wall-clock time in an IANA zone, shared by business hours, on-call, ETAs and the sidebar card.
 * Building an `Intl.DateTimeFormat` costs ~50 µs and using one ~5 µs, and `nextOpening` alone asks
 * thousands of times, so there is one cached formatter per zone (and one validity answer per name).
 */

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

export interface WallClock {
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  day: Day;
  /** Minutes since local midnight. */
  minutes: number;
  /** `HH:MM`, 24-hour. */
  hhmm: string;
  year: number;
  month: number;
  dayOfMonth: number;
  hour: number;
  minute: number;
  second: number;
}

// Zone names come from configuration and requests; the maps are bounded anyway.
const MAX_ZONES = 500;
const formats = new Map<string, Intl.DateTimeFormat | null>();

function formatFor(zone: string): Intl.DateTimeFormat | null {
  let format = formats.get(zone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        weekday: 'short',
      });
    } catch {
      format = null;
    }
    if (formats.size >= MAX_ZONES) formats.clear();
    formats.set(zone, format);
  }
  return format;
}

export function isTimeZone(zone: string | null | undefined): zone is string {
  return typeof zone === 'string' && zone !== '' && formatFor(zone) !== null;
}

export const timeZoneSchema = z.string().refine((zone) => isTimeZone(zone), 'must be an IANA time zone such as Europe/Berlin');

/** The wall clock in `zone` at `at`; throws on an unknown zone (validate names at the edge). */
export function wallClock(at: Date | number, zone: string): WallClock {
  const format = formatFor(zone);
  if (!format) throw new RangeError(`unknown time zone "${zone}"`);
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of format.formatToParts(at)) p[part.type] = part.value;
  // Some engines print midnight as 24 even with h23.
  const hour = Number(p.hour) % 24;
  const minute = Number(p.minute);
  const hh = String(hour).padStart(2, '0');
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    day: String(p.weekday).slice(0, 3).toLowerCase() as Day,
    minutes: hour * 60 + minute,
    hhmm: `${hh}:${p.minute}`,
    year: Number(p.year),
    month: Number(p.month),
    dayOfMonth: Number(p.day),
    hour,
    minute,
    second: Number(p.second),
  };
}

/** `HH:MM` → minutes since midnight (`24:00` → 1440). */
export const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
