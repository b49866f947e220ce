import type { Eta } from '../../team/eta.js';
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
 * What to tell a customer before they write: while the team is open, the same promise the
 * acknowledgement would make for a normal conversation now (src/team/eta.ts: business hours, the
 * target or what history says 80% of replies met); while it is away, when it will be back —
 * phrased in the customer's time zone when we know it.
 */
export function availability(team: TeamConfig, now: Date, customerZone: string | null, expected: Eta): Availability {
  const zone = customerZone && isTimeZone(customerZone) ? customerZone : team.timeZone;
  if (isOpen(team, now)) {
    const minutes = Math.max(1, Math.ceil((expected.due.getTime() - now.getTime()) / 60_000));
    const text = expected.text.startsWith('within') ? `Usually replies ${expected.text}` : `We'll reply ${expected.text}`;
    return { status: 'open', expected_reply: { minutes, text }, next_open_at: null, time_zone: zone };
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
