import type { TeamConfig } from '../../team/hours.js';
import { isOpen, nextOpening } from '../../team/hours.js';
import { isTimeZone } from '../../team/local-time.js';

export interface Availability {
  status: 'open' | 'away';
  expected_reply: { minutes: number | null; text: string };
  next_open_at: string | null;
  time_zone: string;
}

/**
 * What to tell a customer before they write: the team's target while it is open, or when it will
 * be back, phrased in the customer's time zone when we know it. (The triage work makes the figure
 * data-driven; until then it is the configured target.)
 */
export function availability(team: TeamConfig, now: Date, customerZone: string | null): Availability {
  const zone = customerZone && isTimeZone(customerZone) ? customerZone : team.timeZone;
  if (isOpen(team, now)) {
    const minutes = team.firstResponseTargetMinutes;
    return { status: 'open', expected_reply: { minutes, text: `Usually replies within ${duration(minutes)}` }, next_open_at: null, time_zone: zone };
  }
  const opening = nextOpening(team, now);
  const when = opening
    ? new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'long', hour: 'numeric', minute: '2-digit' }).format(opening)
    : null;
  return {
    status: 'away',
    expected_reply: {
      minutes: null,
      text: when ? `We're away right now. We'll be back ${when}${customerZone ? ', your time' : ` (${zone})`}.` : "We're away right now.",
    },
    next_open_at: opening ? opening.toISOString() : null,
    time_zone: zone,
  };
}

function duration(minutes: number): string {
  if (minutes < 60) return `about ${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours === 1 ? 'about an hour' : hours < 48 ? `about ${hours} hours` : `about ${Math.round(hours / 24)} days`;
}

