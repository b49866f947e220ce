import { z } from 'zod';
import type { UrgencyLevel } from '../triage/classify.js';
import { addBusinessMinutes, businessMinutesBetween, calendarDaysBetween, nextClosing } from './business-time.js';
import { isOpen, type TeamConfig } from './hours.js';
import { isTimeZone } from './local-time.js';

/**
 * Honest first-reply ETAs for the acknowledgement: the level's target (or, once there is enough
 * history, what the team actually achieved for 80% of that level) counted in business time, or
 * the on-call promise for urgent conversations outside hours; phrased in the customer's zone.
 */

const targetMinutes = (fallback: number) => z.coerce.number().int().min(1).max(14 * 24 * 60).default(fallback);

export const etaSchema = z
  .object({
    /**
     * First-reply targets in business minutes, used until history takes over. With the default
     * 09:00-17:00 week: urgent within the hour; high within half a day (the team-wide 240 the
     * availability notice shows); normal within one business day; low within three.
     */
    firstResponseTargetMinutes: z
      .object({ urgent: targetMinutes(60), high: targetMinutes(240), normal: targetMinutes(480), low: targetMinutes(1440) })
      .refine((t) => t.urgent <= t.high && t.high <= t.normal && t.normal <= t.low, 'targets must not promise a lower level sooner than a higher one (urgent ≤ high ≤ normal ≤ low)')
      .prefault({}),
    /** Wall-clock minutes promised for urgent outside hours when on call: time to be paged, wake and reply. */
    urgentOnCallMinutes: z.coerce.number().int().min(5).max(24 * 60).default(30),
    history: z
      .object({
        /** Four whole weeks: every weekday counted equally, recent enough to follow staffing changes. */
        windowDays: z.coerce.number().int().min(1).max(365).default(28),
        /** Below this an 80th percentile rests on a handful of replies; keep the configured target. */
        minSamples: z.coerce.number().int().min(1).default(20),
        /** Share of past first replies the promise would have met; a median would break half of them. */
        percentile: z.coerce.number().min(0.5).max(1).default(0.8),
      })
      .prefault({}),
  })
  .prefault({});
export type EtaConfig = z.output<typeof etaSchema>;

/** One past first response of a level. */
export interface FirstResponseSample {
  /** When the customer wrote (UTC); samples older than the history window are ignored. */
  receivedAt: Date;
  /**
   * Business minutes until the first agent reply (`businessMinutesBetween`). For a conversation
   * still unanswered, the minutes waited so far, so the slowest cases are not left out.
   */
  businessMinutes: number;
}

export interface EtaRequest {
  team: TeamConfig;
  eta: EtaConfig;
  level: UrgencyLevel;
  at: Date;
  /** The customer's IANA zone when known; unknown or invalid zones phrase in the team's zone. */
  customerTimeZone?: string | null;
  /** Someone on call answers urgent conversations outside business hours (now, and tonight if open now). */
  onCallCovered?: boolean;
  /** Past first responses of this level. */
  history?: readonly FirstResponseSample[];
}

export interface Eta {
  due: Date;
  basis: 'target' | 'history' | 'on-call';
  /** The business minutes promised; null when the promise is on-call wall-clock time. */
  businessMinutes: number | null;
  /** For the customer, to follow "We'll reply …": "within about 3 hours", "by 9:00 AM Monday, your time". */
  text: string;
  /** For agents, in the team's zone, with where the figure came from. */
  textForAgents: string;
}

export class NoBusinessHoursError extends Error {
  constructor(zone: string) {
    super(`the team (${zone}) has no business hours in the coming year, so no reply time can be promised`);
    this.name = 'NoBusinessHoursError';
  }
}

/**
 * The first-reply promise for a conversation of `level` arriving `at`: business time from the
 * level's target or its measured percentile; for urgent with on-call coverage, wall-clock on-call
 * minutes while closed (or from closing, if the business-time promise would run past it).
 * Throws NoBusinessHoursError for a team that never opens.
 */
export function computeEta(request: EtaRequest): Eta {
  const { team, eta, level, at } = request;
  const customerZone = request.customerTimeZone ?? null;
  const teamZone = team.timeZone;
  const onCall = level === 'urgent' && request.onCallCovered === true;
  const wallClockDue = new Date(at.getTime() + eta.urgentOnCallMinutes * 60_000);
  const onCallNote = `urgent, on call: ${eta.urgentOnCallMinutes} minutes`;

  if (onCall && !isOpen(team, at)) {
    return promise(wallClockDue, 'on-call', null, phraseEta(wallClockDue, at, customerZone, teamZone), onCallNote, teamZone);
  }

  const measured = historyPromise(request.history ?? [], eta, at);
  const minutes = measured?.minutes ?? eta.firstResponseTargetMinutes[level];
  const due = addBusinessMinutes(team, at, minutes);
  if (!due) throw new NoBusinessHoursError(teamZone);

  if (onCall) {
    // Open now, but the promise runs past closing: on call picks it up from there.
    const closing = nextClosing(team, at);
    if (closing && due > closing) {
      const onCallDue = new Date(closing.getTime() + eta.urgentOnCallMinutes * 60_000);
      if (onCallDue < due) return promise(onCallDue, 'on-call', null, phraseEta(onCallDue, at, customerZone, teamZone), onCallNote, teamZone);
    }
  }

  // "Within about N hours" only while nothing closed lies between now and the promise.
  const sameStretch = Math.abs(businessMinutesBetween(team, at, due) * 60_000 - (due.getTime() - at.getTime())) < 1000;
  const note = measured
    ? `${level}: to keep ${Math.round(eta.history.percentile * 100)}% of promises, the ${ordinal(measured.rank)} fastest of ${measured.samples} first replies in the last ${eta.history.windowDays} days: ${formatMinutes(measured.observed)} business minutes; promised ${minutes}`
    : `${level} target: ${minutes} business minutes`;
  return promise(due, measured ? 'history' : 'target', minutes, phraseEta(due, at, customerZone, teamZone, { sameStretch }), note, teamZone);
}

function promise(due: Date, basis: Eta['basis'], minutes: number | null, text: string, note: string, teamZone: string): Eta {
  const c = clock(due, teamZone);
  return { due, basis, businessMinutes: minutes, text, textForAgents: `First reply due ${c.weekday.slice(0, 3)}, ${c.month.slice(0, 3)} ${c.day}, ${c.time} (${teamZone}); ${note}` };
}

/**
 * The promise history supports, or null while it holds fewer than `minSamples` replies in the window.
 * The sample's 80th percentile is only an estimate of the team's: promising exactly it keeps about
 * 80% of future promises on average — half the time fewer. So the promise is the order statistic
 * that is at or above the true percentile with 90% confidence (normal approximation of the
 * binomial: rank ⌈np + 1.28·√(np(1−p))⌉), which keeps the share at or above the percentile
 * while the team's pace holds, and moves toward it as history grows.
 */
function historyPromise(history: readonly FirstResponseSample[], eta: EtaConfig, at: Date): { minutes: number; observed: number; samples: number; rank: number } | null {
  const since = at.getTime() - eta.history.windowDays * 24 * 60 * 60_000;
  const recent = history.filter((s) => s.receivedAt.getTime() > since && s.receivedAt <= at && Number.isFinite(s.businessMinutes)).map((s) => Math.max(0, s.businessMinutes));
  if (recent.length < eta.history.minSamples) return null;
  const n = recent.length;
  const p = eta.history.percentile;
  const rank = Math.min(n, Math.ceil(n * p + CONFIDENCE_Z * Math.sqrt(n * p * (1 - p)) - 1e-9));
  const observed = nearestRank(recent, rank / n)!;
  return { minutes: friendlyMinutes(observed), observed, samples: n, rank };
}

/** One-sided 90% normal quantile. */
const CONFIDENCE_Z = 1.2816;

const ordinal = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;

/**
 * Nearest-rank percentile: the sample at rank ⌈p·n⌉ of the n samples sorted ascending, i.e. the
 * smallest sample that at least a share p of all samples are at or below. It never interpolates,
 * so a promise of at least this long would have been kept for at least p of the samples. Null
 * for no samples.
 */
export function nearestRank(samples: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 1)) throw new RangeError(`percentile must be in (0, 1], got ${p}`);
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  // The epsilon keeps float noise (0.8 × 15 = 12.000000000000002) from moving up a rank.
  const rank = Math.max(1, Math.ceil(p * sorted.length - 1e-9));
  return sorted[rank - 1]!;
}

/** The 80th percentile by nearest rank (see `nearestRank`). */
export const p80 = (samples: readonly number[]): number | null => nearestRank(samples, 0.8);

/** Rounds a measured figure UP to a step a person would say, so the promise is never shorter. */
export function friendlyMinutes(minutes: number): number {
  const step = minutes <= 60 ? 5 : minutes <= 240 ? 15 : minutes <= 480 ? 30 : 60;
  return Math.max(5, Math.ceil(minutes / step) * step);
}

const HOUR = 60;
const RELATIVE_LIMIT_MINUTES = 8 * HOUR;

/**
 * The customer-facing promise. Less than 8 hours ahead with nothing closed in between (pass
 * `sameStretch: false` otherwise): "within about 20 minutes" / "within about 3 hours". Else a
 * clock time in the customer's zone: "by 9:00 AM Monday, your time", "by 5:00 PM tomorrow, your
 * time"; without a (valid) customer zone, "by 9:00 AM Monday (Europe/Berlin time)". Figures are
 * rounded up (5 minutes, whole hours, clock times to the quarter hour): never earlier than `due`.
 */
export function phraseEta(due: Date, at: Date, customerZone: string | null, teamZone: string, options: { sameStretch?: boolean } = {}): string {
  const waitMinutes = (due.getTime() - at.getTime()) / 60_000;
  if ((options.sameStretch ?? true) && waitMinutes < RELATIVE_LIMIT_MINUTES) {
    if (waitMinutes <= 55) return `within about ${Math.max(5, Math.ceil(waitMinutes / 5) * 5)} minutes`;
    if (waitMinutes <= HOUR) return 'within about an hour';
    if (waitMinutes <= 90) return 'within about 90 minutes';
    return `within about ${Math.ceil(waitMinutes / HOUR)} hours`;
  }
  const known = customerZone !== null && isTimeZone(customerZone);
  const zone = known ? customerZone : teamZone;
  // Every zone's offset today is a whole quarter hour, so rounding UTC rounds the local clock too.
  const quarter = 15 * 60_000;
  const shown = new Date(Math.ceil(due.getTime() / quarter) * quarter);
  const c = clock(shown, zone);
  const days = calendarDaysBetween(at, shown, zone);
  const day = days <= 0 ? 'today' : days === 1 ? 'tomorrow' : days < 7 ? c.weekday : `${c.weekday}, ${c.month} ${c.day}`;
  return `by ${c.time} ${day}${known ? ', your time' : ` (${teamZone} time)`}`;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** en-US pieces of a wall-clock reading, joined with plain spaces (ICU puts U+202F before AM/PM). */
function clock(at: Date, zone: string): { weekday: string; month: string; day: string; time: string } {
  let format = clockFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'long', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', hour12: true });
    clockFormats.set(zone, format);
  }
  const part = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value])) as Partial<Record<Intl.DateTimeFormatPartTypes, string>>;
  return { weekday: part.weekday ?? '', month: part.month ?? '', day: part.day ?? '', time: `${part.hour}:${part.minute} ${part.dayPeriod}` };
}


const formatMinutes = (minutes: number) => String(Math.round(minutes * 10) / 10);
