/**
 * The sidebar card as data: what an agent sees beside a conversation. Every helpdesk renders this
 * one model (Help Scout's HTML, Zendesk's app) and `POST /sidebar/card` returns it as JSON, so the
 * facts are decided once. Every string here is plain text: renderers escape all of it.
 */

/** Colour of a badge; renderers map it to the helpdesk's own classes. */
export type Tone = 'neutral' | 'success' | 'info' | 'warning' | 'danger';

export interface CardBadge {
  text: string;
  tone: Tone;
}

export interface CardLink {
  text: string;
  /** Always http(s): assembly drops any other scheme. */
  url: string;
}

export interface CardItem {
  label: string;
  /** What the agent reads, already formatted (dates, money). */
  text?: string;
  /** The machine-readable value behind `text` (ISO date, amount in minor units, count) for JSON consumers. */
  value?: string | number | boolean;
  badge?: CardBadge;
  link?: CardLink;
  /** A secondary line (e.g. the same date in the customer's time zone). */
  hint?: string;
}

export interface CardSection {
  /** Stable key: `hub`, `device`, or `source:<integration id>`. */
  id: string;
  title: string;
  /** `unavailable`: the source failed or missed the time budget; `items` is then empty. */
  state: 'ok' | 'unavailable';
  items: CardItem[];
  note?: string;
}

/**
 * `account`: a source knows the account (or one could not answer in time, so nobody can say
 * there is none). `lead`: every source answered and none knows the email. `unverified`: the email
 * is an unproven claim (or could not be checked), so account data is withheld (ARCHITECTURE §7).
 * `notice`: no card for this request (no email yet, a mailbox the app is not enabled for, a
 * rejected request).
 */
export type CardKind = 'account' | 'lead' | 'unverified' | 'notice';

export interface SidebarCard {
  kind: CardKind;
  email: string | null;
  /** Company or customer name, the card's heading. */
  headline: string | null;
  badges: CardBadge[];
  /** One short sentence shown under the heading ("No account — lead?"). */
  notice: string | null;
  sections: CardSection[];
  generatedAt: string;
}

/** A card that only says something: rejections, "not enabled for this mailbox", "no email yet". */
export function noticeCard(message: string, now: Date = new Date()): SidebarCard {
  return { kind: 'notice', email: null, headline: null, badges: [], notice: message, sections: [], generatedAt: now.toISOString() };
}
