import { escapeHtml } from '../http/views.js';
import { safeHref } from '../sidebar/safe-href.js';

/**
 * Helpers every dashboard template gets. Times are shown in the team's zone (passed as `zone`) with
 * a machine-readable `<time datetime>`; durations read like a person would say them.
 */


export function formatTime(value: Date | string | null | undefined, zone: string): string {
  if (!value) return '—';
  const date = new Date(value);
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

/** "23:42" on the same day (in the zone) as `now`, else as formatTime ("9 Mar, 23:42"). */
export function formatTimeOfDay(value: Date | string | null | undefined, zone: string, now: Date): string {
  if (!value) return '—';
  const day = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  const date = new Date(value);
  if (day(date) !== day(now)) return formatTime(date, zone);
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

/** "3 h 5 min", "45 s", "2 d 4 h": the two largest units. */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export interface Highlight {
  start: number | null;
  end: number | null;
  category: string;
  weight: number;
  negated?: true;
  /** Why a reading of the whole message lowered it ("resolved", "automatic reply", …). */
  reading?: string;
}

/**
 * The text with each piece of evidence in a `<mark>` naming its category and weight (escaped:
 * the customer's words never become markup). Overlapping spans keep the first.
 */
export function highlightEvidence(text: string, evidence: readonly Highlight[]): string {
  const spans = evidence
    .filter((e): e is Highlight & { start: number; end: number } => e.start !== null && e.end !== null && e.start < e.end && e.end <= text.length)
    .sort((a, b) => a.start - b.start);
  let html = '';
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue;
    html += escapeHtml(text.slice(at, span.start));
    const label = `${span.category}${span.negated ? ' (negated)' : ''}${span.reading ? ` (${span.reading})` : ''}, ${span.weight >= 0 ? '+' : ''}${span.weight.toFixed(1)}`;
    const tone = span.negated || span.reading || span.weight <= 0 ? 'calm' : 'alarm';
    html += `<mark class="evidence ${tone}" title="${escapeHtml(label)}">${escapeHtml(text.slice(span.start, span.end))}<span class="visually-hidden"> (${escapeHtml(label)})</span></mark>`;
    at = span.end;
  }
  return html + escapeHtml(text.slice(at));
}

export const LEVELS = ['urgent', 'high', 'normal', 'low'] as const;

/** Links only through `href` (http/https only): a javascript: URL from a vendor never becomes a link. */
export const formatHelpers = { formatTime, formatTimeOfDay, formatDuration, highlightEvidence, LEVELS, href: safeHref };
